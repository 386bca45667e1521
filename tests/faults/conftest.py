"""Fault tests share one server pair (each start is slow): the real action server and Rasa
server with the fake Gemini and a channel secret (so answers stream through the relay, as in
production). Tests that kill a server restart it before they end, and `assistant` makes sure
both run before each test, so one test's failure does not cascade. A module that needs other
settings (the Postgres one) defines its own `assistant`.

GEMINI_FIRST_CHUNK_TIMEOUT is 2.5 s here, above the 1.5 s watchdog, so a stalled Gemini makes the
holding line go out first, every time (test_gemini_stall.py).
"""

from __future__ import annotations

import secrets

import pytest

from tests.e2e.conftest import NOW
from tests.e2e.servers import MODEL, Assistant, serving, sqlite_env
from tests.fakes.gemini import FakeGemini

CHANNEL_SECRET = secrets.token_hex(16)


@pytest.fixture(scope="package")
def fault_pair(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("faults")
    gemini = FakeGemini(valid_key="fake-key").start()
    running = Assistant(
        workdir,
        sqlite_env(
            workdir,
            ASSISTANT_NOW=NOW,
            CHANNEL_SECRET=CHANNEL_SECRET,
            GEMINI_API_KEY="fake-key",
            GEMINI_API_ENDPOINT=gemini.endpoint,
            GEMINI_FIRST_CHUNK_TIMEOUT="2.5",
            RETELL_HOLDING_AFTER="1.5",
        ),
    )
    running.gemini = gemini
    with serving(running, gemini):
        yield running


@pytest.fixture
def assistant(fault_pair: Assistant) -> Assistant:
    """The shared pair, both servers up (a previous test may have died with one down)."""
    for name, start in (("actions", fault_pair.start_actions), ("rasa", fault_pair.start_rasa)):
        process = fault_pair.processes.get(name)
        if process is None or process.poll() is not None:
            fault_pair.processes.pop(name, None)
            start()
    fault_pair.gemini.reset()
    return fault_pair
