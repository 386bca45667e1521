"""One real action server + Rasa server pair for every end-to-end test of the session."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.servers import MODEL, Assistant, base_env

# A fixed "now" (business-local): Tuesday, December 1st 2026, 9 AM.
NOW = "2026-12-01T09:00"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("assistant")
    env = base_env(
        ASSISTANT_NOW=NOW,
        BOOKING_DB_URL=f"sqlite:///{workdir / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{workdir / 'tracker.db'}",
    )
    env.pop("BUSINESS_PROFILE", None)
    running = Assistant(workdir, env)
    try:
        running.start()
    except Exception:
        running.stop_all()
        raise
    yield running
    running.stop_all()


@pytest.fixture
def caller() -> str:
    """A fresh conversation id per test."""
    return f"caller-{uuid.uuid4().hex[:10]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # On an end-to-end failure, show what the servers logged.
    outcome = yield
    report = outcome.get_result()
    if report.failed and "assistant" in item.fixturenames:
        running = item.funcargs.get("assistant")
        if running is not None:
            report.sections.append(("server logs", running.logs()))
