"""Start the real action server and Rasa server for end-to-end tests, as `make run` does.

Each Rasa start is slow (TensorFlow import, model load), so the tests take their pairs from one
factory that starts each configuration once per session (pairs.py). Every server gets free
ports, its own SQLite files under a temporary directory, and logs in files that a failing test
prints.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connector.rest import conversation_id
from tests.e2e.turn_rule import check_turn

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "rasa_project"
BIN = Path(sys.executable).parent
MODEL = PROJECT / "models" / "booking.tar.gz"
# Rasa's CLI as `make run` starts it: with the Rasa patches RASA_PATCHES selects (all by default).
RASA = BIN / "booking-rasa"
# A fixed "now" (business-local) for every server the tests start: Tuesday, December 1st 2026,
# 9 AM, so what the assistant offers and books never depends on the day the tests run.
NOW = "2026-12-01T09:00"
# One of each per test session, as `make run` makes one per run: the token Rasa sends the action
# server, and the HTTP API's (`?token=`).
ACTION_SERVER_TOKEN = secrets.token_hex(32)
RASA_API_TOKEN = secrets.token_hex(32)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not listen on {port} within {timeout} s:\n{tail(log)}")


def tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def sqlite_env(workdir: Path, **extra: str) -> dict[str, str]:
    """base_env with the bookings and the conversations in SQLite files under `workdir`, and the
    repository's business profile unless `extra` names another."""
    env = base_env(
        BOOKING_DB_URL=f"sqlite:///{workdir / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{workdir / 'tracker.db'}",
        **extra,
    )
    if "BUSINESS_PROFILE" not in extra:
        env.pop("BUSINESS_PROFILE", None)
    return env


@contextmanager
def serving(assistant: Assistant, *companions: Any) -> Iterator[Assistant]:
    """`assistant` started; afterwards (also when start-up fails) it and every companion (a fake
    Gemini, a proxy: anything with stop()) are stopped."""
    try:
        assistant.start()
        yield assistant
    finally:
        assistant.stop_all()
        for companion in companions:
            companion.stop()


def base_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        "RASA_API_TOKEN": RASA_API_TOKEN,
    }
    env.update(extra)
    return env


@dataclass
class Assistant:
    """A running action server + Rasa server pair and the files they use."""

    workdir: Path
    env: dict[str, str]
    action_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    action_url: str | None = None  # Rasa's action endpoint, when not the action server itself
    endpoints_file: Path | None = None  # an endpoints file of the repository, instead of ours

    @property
    def endpoints(self) -> Path:
        return self.endpoints_file or self.workdir / "endpoints.yml"

    @property
    def actions_direct(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self) -> Assistant:
        self.workdir.mkdir(parents=True, exist_ok=True)
        relay_url = f"http://127.0.0.1:{self.rasa_port}/webhooks/retell/relay"
        self.env.setdefault("RELAY_URLS", f"default={relay_url}")
        if self.endpoints_file is None:
            self.write_endpoints()
        self.start_actions()
        self.start_rasa()
        return self

    def write_endpoints(self) -> None:
        self.endpoints.write_text(
            f"action_endpoint:\n  url: {self.action_url or self.actions_direct}\n"
            "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
            "tracker_store:\n  type: connector.tracker_store.StrictSQLTrackerStore\n"
            "lock_store:\n  type: in_memory\n"
        )

    def start_actions(self) -> None:
        log = self.log("actions").open("ab")
        self.processes["actions"] = subprocess.Popen(
            [str(BIN / "python"), "-m", "actions.server", "--port", str(self.action_port)],
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.action_port, self.processes["actions"], 60, self.log("actions"))

    def start_rasa(self) -> None:
        log = self.log("rasa").open("ab")
        self.processes["rasa"] = subprocess.Popen(
            [
                str(RASA),
                "run",
                "--enable-api",
                "--auth-token",
                self.env["RASA_API_TOKEN"],
                "--interface",
                "127.0.0.1",
                "--port",
                str(self.rasa_port),
                "--credentials",
                "credentials.yml",
                "--endpoints",
                str(self.endpoints),
                "--model",
                str(MODEL),
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.rasa_port, self.processes["rasa"], 180, self.log("rasa"))

    def stop(self, name: str, hard: bool = False) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        process.kill() if hard else process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    # ------------------------------------------------------------------ talking to it

    def say(self, sender: str, text: str, **extra) -> list[str]:
        """One caller turn over Rasa's REST channel; returns what the assistant said. `extra`
        goes into the request body as is (`metadata`, `input_channel`). The turn (every message
        of the response, joined) must obey the turn rule (`turn_rule.py`)."""
        body = json.dumps({"sender": sender, "message": text, **extra}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rasa_port}/webhooks/rest/webhook",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            said = [m["text"] for m in json.load(response) if m.get("text")]
        check_turn(" ".join(said), caller=text)
        return said

    @property
    def socket_url(self) -> str:
        """Retell's custom-LLM WebSocket on this pair's Rasa server (the simulator adds the id)."""
        return f"ws://127.0.0.1:{self.rasa_port}/webhooks/retell/llm-websocket"

    def api_url(self, path: str) -> str:
        """The HTTP API's address for `path`, with its token (`?token=`, as Rasa's API asks)."""
        return f"http://127.0.0.1:{self.rasa_port}{path}?token={self.env['RASA_API_TOKEN']}"

    def tracker(self, conversation: str) -> dict:
        """A conversation's tracker from the HTTP API: a Retell call id, or `rest_tracker`."""
        with urllib.request.urlopen(
            self.api_url(f"/conversations/{conversation}/tracker"), timeout=30
        ) as response:
            return json.load(response)

    def rest_tracker(self, sender: str) -> dict:
        """The tracker of the conversation `say(sender, ...)` talks to (connector/rest.py)."""
        return self.tracker(conversation_id(sender))

    @staticmethod
    def tracker_from(events: list[dict]) -> dict:
        """The few tracker fields a test needs, recomputed from raw events."""
        requested = None
        for event in events:
            if event.get("event") == "slot" and event.get("name") == "requested_slot":
                requested = event.get("value")
        return {"requested_slot": requested}

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "booking-admin"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def bookings(self) -> list[dict]:
        result = self.admin("list", "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def log_end(self, name: str) -> int:
        """Where `name`'s log ends now: `log_since` reads what a test makes the server log."""
        path = self.log(name)
        return path.stat().st_size if path.exists() else 0

    def log_since(self, name: str, offset: int) -> str:
        """What `name` logged after `offset` (a `log_end`): on a shared pair, this test's lines
        alone, not another module's."""
        with self.log(name).open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{tail(self.log(n))}" for n in ("actions", "rasa"))
