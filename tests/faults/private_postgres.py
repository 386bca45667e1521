"""A throwaway PostgreSQL cluster for one test module, so a test may restart it.

The machine's shared cluster (TEST_POSTGRES_URL) is never restarted by a test: other tests and
other people use it. This one lives in a fresh directory under /tmp: `initdb` with trust auth,
`pg_ctl start` on a free loopback port with no Unix socket (nothing to collide with), fsync off
(nothing here must survive a power cut). As root, initdb refuses to run, so every command runs
as the `postgres` user through `runuser`, and the directory is handed to that user.

`PrivatePostgres.create()` raises `Unavailable` with the reason when this machine cannot run
one (no server binaries, root without a `postgres` user, initdb or start failing).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.e2e.servers import free_port


class Unavailable(RuntimeError):
    """No private cluster can run here; the message says why."""


def server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl (PG_BINDIR, PATH, Debian's layout), or None."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    found = shutil.which("initdb")
    candidates.append(str(Path(found).parent) if found else "")
    # Debian/Ubuntu keep them off PATH, per major version; the newest wins.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    return None


class PrivatePostgres:
    def __init__(self, bindir: Path, root: Path, user: str | None) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.logfile = root / "postgres.log"
        self.user = user  # run the server as this user (when we are root)
        self.port = free_port()

    @classmethod
    def create(cls) -> PrivatePostgres:
        bindir = server_binaries()
        if bindir is None:
            raise Unavailable(
                "no PostgreSQL server binaries (initdb, pg_ctl) on this machine; "
                "set PG_BINDIR to their directory"
            )
        user = None
        root = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        if os.geteuid() == 0:  # initdb: "cannot be run as root"
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(root, ignore_errors=True)
                raise Unavailable(
                    "running as root and there is no `postgres` user to run initdb as"
                ) from None
            user = account.pw_name
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster = cls(bindir, root, user)
        try:
            cluster._run(
                "initdb",
                "-D",
                str(cluster.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale",
                "C",
            )
            cluster.start()
        except Unavailable:
            cluster.destroy()
            raise
        return cluster

    def _run(self, tool: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bindir / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, cwd=self.root
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Unavailable(f"{tool} failed: {error}") from None
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise Unavailable(f"{tool} {args[0] if args else ''} failed: {' | '.join(output)}")

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            *args,
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            "30",
            "-o",
            options,
        )

    # -- life cycle

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are ended, as a crash or an operator restart would."""
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._pg_ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "immediate")
        except Unavailable:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
