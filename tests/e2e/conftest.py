"""One real action server + Rasa server pair for every end-to-end test of the session."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.servers import MODEL, Assistant, serving, sqlite_env

# A fixed "now" (business-local): Tuesday, December 1st 2026, 9 AM.
NOW = "2026-12-01T09:00"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("assistant")
    running = Assistant(workdir, sqlite_env(workdir, ASSISTANT_NOW=NOW))
    with serving(running):
        yield running


@pytest.fixture
def caller() -> str:
    """A fresh conversation id per test."""
    return f"caller-{uuid.uuid4().hex[:10]}"
