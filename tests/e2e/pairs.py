"""The server pairs end-to-end tests share: one factory, one pair per named configuration.

Starting a pair costs about 20 s (TensorFlow, the model), so `ServerPairs` (the session fixture
`server_pairs` in tests/conftest.py) starts a configuration the first time a test asks for it and
hands the same running pair to every later test that names it; the session's end stops them all.
Whoever takes a pair gets it in a known state:

- both servers running: a test that stopped one and died before restarting it (a fault test, a
  restart test) does not take the next test down with it;
- the fake Gemini, where the configuration has one, with no script, fault or hold left over;
- a module taking a pair after another module starts from an empty bookings database, so no
  module's bookings (which hold times) decide what another is offered, whatever the order.

Configurations:

- `plain`: what `make run` serves on a fresh clone (the repository's profile, no secrets, no
  Gemini key): the end-to-end tests of tests/e2e/, the callers' phrasings included;
- `gemini`: the fake Gemini behind a key, a channel secret (so the relay is signed and simulated
  callers' numbers are vouched for, as on a real Retell call) and a copy of the profile that the
  tests may edit: the Gemini fallback (test_gemini_fallback.py), the fault tests (tests/faults/)
  and the attacks (tests/security/);
- `guarded`: a socket secret and a channel secret, a profile without a transfer number, and Rasa
  reaching the action server through `SlowProxy`: call control (test_call_control.py), whose
  log test reads everything the pair ever logged, so no other module shares it.

GEMINI_FIRST_CHUNK_TIMEOUT is 2.5 s on the `gemini` pair, above the watchdog's 1.5 s, so a
stalled Gemini makes the holding line go out before the FAQ answer, every time
(tests/faults/test_gemini_stall.py); the fallback tests' stalled Gemini is answered within their
6 s either way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.storage.bookings import BookingStore
from actions.storage.schema import metadata
from tests.e2e.servers import NOW, REPO, Assistant, sqlite_env
from tests.e2e.slow_proxy import SlowProxy
from tests.fakes.gemini import FakeGemini

# One of each per test session: the channel secret signs the relay and the callers' numbers,
# the socket secret guards the `guarded` pair's socket.
CHANNEL_SECRET = secrets.token_hex(16)
WS_SECRET = f"sock-{secrets.token_hex(8)}"
GEMINI_KEY = "fake-key"


def profile_copy(workdir: Path, **changes: Any) -> Path:
    """The repository's business profile, written under `workdir` with `changes` (a value of None
    removes the key): the action server re-reads it when it changes."""
    profile = yaml.safe_load((REPO / "data" / "business.yml").read_text())
    for key, value in changes.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    path = workdir / "business.yml"
    path.write_text(yaml.safe_dump(profile))
    return path


def plain(workdir: Path) -> tuple[Assistant, list]:
    return Assistant(workdir, sqlite_env(workdir, ASSISTANT_NOW=NOW)), []


def gemini(workdir: Path) -> tuple[Assistant, list]:
    fake = FakeGemini(valid_key=GEMINI_KEY).start()
    running = Assistant(
        workdir,
        sqlite_env(
            workdir,
            ASSISTANT_NOW=NOW,
            BUSINESS_PROFILE=str(profile_copy(workdir)),
            CHANNEL_SECRET=CHANNEL_SECRET,
            GEMINI_API_KEY=GEMINI_KEY,
            GEMINI_API_ENDPOINT=fake.endpoint,
            GEMINI_FIRST_CHUNK_TIMEOUT="2.5",
        ),
    )
    running.gemini = fake
    return running, [fake]


def guarded(workdir: Path) -> tuple[Assistant, list]:
    running = Assistant(
        workdir,
        sqlite_env(
            workdir,
            ASSISTANT_NOW=NOW,
            BUSINESS_PROFILE=str(profile_copy(workdir, transfer_number=None)),
            RETELL_WS_SECRET=WS_SECRET,
            CHANNEL_SECRET=CHANNEL_SECRET,
        ),
    )
    return running, [SlowProxy.in_front_of(running)]


CONFIGURATIONS: dict[str, Callable[[Path], tuple[Assistant, list]]] = {
    "plain": plain,
    "gemini": gemini,
    "guarded": guarded,
}


def empty_bookings(store: BookingStore) -> None:
    """Delete every row of the bookings database (bookings, their units, the outbox, failed
    proofs and locks), its tables kept."""
    with store._engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


class ServerPairs:
    """The session's running pairs, one per configuration (see the module docstring)."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._pairs: dict[str, Assistant] = {}
        self._companions: dict[str, list] = {}
        self._module: dict[str, str] = {}  # the module that took each pair last

    def get(self, name: str, module: str) -> Assistant:
        """The pair of configuration `name` for a test of `module`, running and reset."""
        pair = self._pairs.get(name) or self._start(name)
        for server, start in (("actions", pair.start_actions), ("rasa", pair.start_rasa)):
            process = pair.processes.get(server)
            if process is None or process.poll() is not None:
                pair.processes.pop(server, None)
                start()
        if getattr(pair, "gemini", None) is not None:
            pair.gemini.reset()
        if self._module.get(name) != module:
            store = BookingStore(pair.env["BOOKING_DB_URL"])
            try:
                store.create_schema()
                empty_bookings(store)
            finally:
                store.dispose()
            self._module[name] = module
        return pair

    def _start(self, name: str) -> Assistant:
        pair, companions = CONFIGURATIONS[name](self._tmp.mktemp(name))
        try:
            pair.start()
        except BaseException:
            self._stop(pair, companions)
            raise
        self._pairs[name], self._companions[name] = pair, companions
        return pair

    @staticmethod
    def _stop(pair: Assistant, companions: list) -> None:
        pair.stop_all()
        for companion in companions:
            companion.stop()

    def stop_all(self) -> None:
        for name in list(self._pairs):
            self._stop(self._pairs.pop(name), self._companions.pop(name))
