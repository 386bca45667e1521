"""Fault tests share one server pair (each start costs ~20 s): the real action server and Rasa
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
from tests.e2e.servers import MODEL, Assistant, base_env
from tests.fakes.gemini import FakeGemini

CHANNEL_SECRET = secrets.token_hex(16)


@pytest.fixture(scope="package")
def fault_pair(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("faults")
    gemini = FakeGemini(valid_key="fake-key").start()
    env = base_env(
        ASSISTANT_NOW=NOW,
        BOOKING_DB_URL=f"sqlite:///{workdir / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{workdir / 'tracker.db'}",
        CHANNEL_SECRET=CHANNEL_SECRET,
        GEMINI_API_KEY="fake-key",
        GEMINI_API_ENDPOINT=gemini.endpoint,
        GEMINI_FIRST_CHUNK_TIMEOUT="2.5",
        RETELL_HOLDING_AFTER="1.5",
    )
    env.pop("BUSINESS_PROFILE", None)
    running = Assistant(workdir, env)
    running.gemini = gemini
    try:
        running.start()
    except Exception:
        running.stop_all()
        gemini.stop()
        raise
    yield running
    running.stop_all()
    gemini.stop()


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # On a failure, show what the servers logged (as tests/e2e does).
    outcome = yield
    report = outcome.get_result()
    if report.failed and "assistant" in item.fixturenames:
        running = item.funcargs.get("assistant")
        if running is not None:
            report.sections.append(("server logs", running.logs()))
