"""`rasa interactive` (what `make interactive` runs) works: a smoke test through a pseudo-terminal.

The real action server and `rasa interactive` are started on free ports, in a temporary copy of
`rasa_project/` (interactive rewrites the training files on exit; the real ones must stay as they
are). The test types two caller lines, confirms every NLU and action prediction, then leaves with
Ctrl-C → "Export & Quit", accepting the default export paths, and checks the exported story.

How the terminal UI is followed: prompt_toolkit turns bracketed paste on (ESC[?2004h) when a
prompt starts and off (ESC[?2004l) when it ends, so a prompt is waiting for keys exactly when the
raw output holds an ESC[?2004h after the last ESC[?2004l. Its text is what was drawn since that
ESC[?2004h, with the escape codes removed. Cursor position requests are turned off
(PROMPT_TOOLKIT_NO_CPR=1), else every prompt waits 2 s for an answer that never comes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import tarfile
import termios
import time
from pathlib import Path

from tests.e2e.servers import (
    BIN,
    MODEL,
    NOW,
    PROJECT,
    RASA,
    REPO,
    base_env,
    free_port,
    tail,
    wait_for_port,
)

TOTAL_SECONDS = 240  # everything from starting `rasa interactive` to its exit
ROWS, COLUMNS = 40, 120

PASTE_ON, PASTE_OFF = b"\x1b[?2004h", b"\x1b[?2004l"
ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, modes
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: window titles
    r"|\x1b[()][0-9A-Za-z]"  # character set switches (the chat history's table lines)
    r"|\x1b[=>78]"
)
DOWN, ENTER, CTRL_C = "\x1b[B", "\r", "\x03"

CALLER_LINES = ["hi", "i'd like to book an appointment"]

# The prompts, as `collapsed` text. A prompt may be followed by a stray line that interactive
# prints while the prompt is up ("------"), so nothing is anchored at the end.
ACTION_PROMPT = re.compile(r"\? The bot wants to run '(\w+)', correct\? \(Y/n\)")
INTENT_PROMPT = re.compile(r"\? Your NLU model classified '.*' with intent '(\w+)' .*\(Y/n\)")
EXPORT_PROMPT = re.compile(r"\? Export (stories|NLU data|domain file) to \([^)]*\) (\S+)")


def plain(raw: bytes) -> str:
    """Terminal output as text: escape codes and carriage returns removed."""
    return ESCAPES.sub("", raw.decode("utf-8", errors="replace")).replace("\r", "")


def collapsed(text: str) -> str:
    """Whitespace runs as one space: prompts and table cells wrap at the terminal's width."""
    return " ".join(text.split())


def training_files(project: Path) -> dict[str, str]:
    """sha256 of what interactive rewrites on exit (data/ and domain.yml), by relative path."""
    paths = [project / "domain.yml", *(p for p in (project / "data").rglob("*") if p.is_file())]
    digests = {}
    for path in sorted(paths):
        try:
            digests[str(path.relative_to(project))] = hashlib.sha256(path.read_bytes()).hexdigest()
        except FileNotFoundError:  # removed meanwhile (an editor's temporary file)
            pass
    return digests


def differing(before: dict[str, str], after: dict[str, str]) -> dict[str, str | None]:
    """The files added, changed or removed: relative path -> new digest (None: removed)."""
    names = before.keys() | after.keys()
    return {name: after.get(name) for name in sorted(names) if before.get(name) != after.get(name)}


def stable_model_copy(destination: Path, timeout: float = 180) -> None:
    """Copy the trained model, retrying while a concurrent `rasa train` is rewriting it."""
    deadline = time.monotonic() + timeout
    problem = "no attempt"
    while time.monotonic() < deadline:
        try:
            before = MODEL.stat()
            shutil.copyfile(MODEL, destination)
            after = MODEL.stat()
            if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
                with tarfile.open(destination) as archive:
                    archive.getmembers()  # reads to the end: a half-written archive fails here
                return
            problem = "the model changed while it was copied"
        except (OSError, tarfile.TarError, EOFError) as error:
            problem = f"{type(error).__name__}: {error}"
        time.sleep(2)
    raise AssertionError(f"could not copy a complete model from {MODEL}: {problem}")


class Terminal:
    """A process on a pseudo-terminal with a window size, and everything it has drawn."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], deadline: float):
        self.deadline = deadline
        self.raw = b""
        self.answered_at = 0  # raw offset when the last keys were sent
        self.closed = False
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,  # its own session and process group, killed as one
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty is its terminal
        )
        os.close(slave)

    # ---------------------------------------------------------------- output

    def read(self, wait: float) -> bool:
        """Read what is there within `wait` seconds; False once the terminal is closed."""
        if self.closed:
            time.sleep(wait)
            return False
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every process holding the pty's other end has gone
            chunk = b""
        if not chunk:
            self.closed = True
            return False
        self.raw += chunk
        return True

    @property
    def screen(self) -> str:
        return plain(self.raw)

    def failure(self, what: str) -> str:
        code = self.process.poll()
        state = "still running" if code is None else f"exited with {code}"
        return f"{what} (rasa interactive {state}); the screen's end:\n{self.screen[-3000:]}"

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def settle(self, quiet: float = 0.4) -> None:
        """Read until nothing new arrives for `quiet` seconds."""
        while self.left() > 0:
            size = len(self.raw)
            if not self.read(quiet) or len(self.raw) == size:
                return

    # ---------------------------------------------------------------- prompts

    def active_prompt(self) -> str | None:
        """The text of the prompt waiting for keys, if one is (and it is not answered yet)."""
        start = self.raw.rfind(PASTE_ON)
        if start < 0 or self.raw.rfind(PASTE_OFF) > start:
            return None
        if self.answered_at and self.raw.find(PASTE_OFF, self.answered_at) < 0:
            return None  # the prompt just answered has not closed yet
        return collapsed(plain(self.raw[start:]))

    def next_prompt(self) -> str | None:
        """Wait for the next prompt; None when the process exits first."""
        while self.left() > 0:
            alive = self.read(0.2)
            if self.active_prompt() is not None:
                self.settle()  # the whole prompt is drawn before keys are sent
                prompt = self.active_prompt()
                if prompt is not None:
                    return prompt
            elif not alive and self.process.poll() is not None:
                return None
        raise AssertionError(self.failure(f"no prompt within {TOTAL_SECONDS} s"))

    def send(self, keys: str, answer: bool = True) -> None:
        if answer:
            self.answered_at = len(self.raw)
        os.write(self.master, keys.encode())

    def choose(self, choice: str) -> None:
        """Move a select menu's pointer (») to `choice` with the arrow keys, then Enter."""
        for _ in range(10):
            mark = len(self.raw)
            self.send(DOWN, answer=False)
            self.settle()
            if f"» {choice}" in collapsed(plain(self.raw[mark:])):
                self.send(ENTER)
                return
        raise AssertionError(self.failure(f"the arrow keys never reached {choice!r}"))

    def wait_exit(self) -> int:
        while self.left() > 0 and self.process.poll() is None:
            self.read(0.2)
        self.settle(0.2)
        code = self.process.poll()
        assert code is not None, self.failure(f"no exit within {TOTAL_SECONDS} s")
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)
        os.close(self.master)


def make_project_copy(tmp_path: Path, action_port: int) -> Path:
    project = tmp_path / "rasa_project"
    project.mkdir()
    for name in ("config.yml", "domain.yml", "credentials.yml"):
        shutil.copy2(PROJECT / name, project / name)
    for name in ("data", "tests"):
        shutil.copytree(PROJECT / name, project / name)
    # config.yml names the spaCy pipeline as ../var/spacy/en_blank, relative to the project.
    (tmp_path / "var").symlink_to(REPO / "var", target_is_directory=True)
    (project / "models").mkdir()
    stable_model_copy(project / "models" / "booking.tar.gz")
    (project / "endpoints.yml").write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n"
        "  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n"
        "tracker_store:\n  type: connector.tracker_store.StrictSQLTrackerStore\n"
        "lock_store:\n  type: in_memory\n"
    )
    return project


def test_interactive_learning_session_exports_to_the_copy(tmp_path):
    real_before = training_files(PROJECT)
    action_port, rasa_port = free_port(), free_port()
    project = make_project_copy(tmp_path, action_port)
    copy_before = training_files(project)
    env = base_env(
        ASSISTANT_NOW=NOW,
        BOOKING_DB_URL=f"sqlite:///{tmp_path / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
        TERM="xterm",
        PROMPT_TOOLKIT_NO_CPR="1",
    )
    env.pop("BUSINESS_PROFILE", None)

    actions_log = tmp_path / "actions.log"
    actions = subprocess.Popen(
        [str(BIN / "python"), "-m", "actions.server", "--port", str(action_port)],
        cwd=REPO,
        env=env,
        stdout=actions_log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    terminal = None
    started = time.monotonic()
    try:
        wait_for_port(action_port, actions, 60, actions_log)
        terminal = Terminal(
            [
                str(RASA),
                "interactive",
                "--model",
                "models/booking.tar.gz",
                "--endpoints",
                "endpoints.yml",
                "--skip-visualization",
                "--port",
                str(rasa_port),
            ],
            cwd=project,
            env=env,
            deadline=time.monotonic() + TOTAL_SECONDS,
        )

        to_say = list(CALLER_LINES)
        proposed_actions: list[str] = []
        intents: list[str] = []
        export_paths: dict[str, str] = {}
        quitting = False
        while (prompt := terminal.next_prompt()) is not None:
            if "Your input ->" in prompt:
                if to_say:
                    terminal.send(to_say.pop(0) + ENTER)
                else:
                    quitting = True
                    terminal.send(CTRL_C)  # interactive's way out: a menu, not an exit
            elif "Do you want to stop?" in prompt:
                assert quitting, terminal.failure("the quit menu came up unasked")
                assert "Export & Quit" in prompt, terminal.failure("no 'Export & Quit' choice")
                terminal.choose("Export & Quit")
            elif found := re.search(EXPORT_PROMPT, prompt):
                export_paths[found[1]] = found[2]
                terminal.send(ENTER)  # the default path, relative to the (copied) project
            elif found := re.search(ACTION_PROMPT, prompt):
                assert not quitting, terminal.failure("a prediction after Export & Quit")
                proposed_actions.append(found[1])
                terminal.send("y")  # answers at once: no Enter, which would reach the next prompt
            elif found := re.search(INTENT_PROMPT, prompt):
                intents.append(found[1])
                terminal.send("y")
            else:
                raise AssertionError(terminal.failure(f"an unexpected prompt: {prompt!r}"))
            assert len(proposed_actions) + len(intents) < 20, terminal.failure("no end to it")

        code = terminal.wait_exit()
        elapsed = time.monotonic() - started
        screen = collapsed(terminal.screen)
        assert code == 0, terminal.failure("rasa interactive failed")
        assert not to_say, terminal.failure(f"never asked for {to_say}")
        assert intents == ["greet", "book_appointment"], terminal.failure(f"intents {intents}")
        assert "action_greet" in proposed_actions, terminal.failure(f"actions {proposed_actions}")
        assert "booking_form" in proposed_actions, terminal.failure(f"actions {proposed_actions}")
        # Both lines come from the action server: the greeting and the form's first question.
        assert "Bella Hair Studio" in screen, terminal.failure("no greeting from the action server")
        assert re.search(r'slot\{"requested_slot": "\w+"\}', screen), terminal.failure(
            "the form asked for nothing"
        )
        assert "Successfully wrote stories and NLU data" in screen, terminal.failure("no export")
        print(f"rasa interactive session: {elapsed:.0f} s")

        # The export went into the copy (default paths), and the story holds this conversation.
        assert export_paths.keys() == {"stories", "NLU data", "domain file"}, export_paths
        stories = (project / export_paths["stories"]).read_text()
        for step in (
            "intent: greet",
            "action: action_greet",
            "intent: book_appointment",
            "action: booking_form",
            "active_loop: booking_form",
        ):
            assert step in stories, f"{step!r} missing from the exported stories:\n{stories}"

        # ... and not into the real project. Other people edit rasa_project/data meanwhile, so
        # a changed real file fails the test only when it holds what the export wrote into the
        # copy at the same path (one export writes the same bytes wherever its paths point).
        exported = differing(copy_before, training_files(project))
        assert export_paths["stories"] in exported, f"the export changed only {sorted(exported)}"
        changed = differing(real_before, training_files(PROJECT))
        ours = sorted(name for name, digest in changed.items() if exported.get(name) == digest)
        assert not ours, f"rasa interactive wrote into {PROJECT}: {ours}"
        if changed:
            print(f"changed meanwhile in {PROJECT} by someone else: {sorted(changed)}")
    finally:
        if terminal is not None:
            terminal.kill()
        if actions.poll() is None:
            actions.terminate()
            try:
                actions.wait(timeout=20)
            except subprocess.TimeoutExpired:
                actions.kill()
                actions.wait(timeout=10)
        print(f"--- action server log ---\n{tail(actions_log)}")  # shown when the test fails
