"""Shared fixtures: the trained model, the server pairs, database URLs for the bookings store.

`model` is the trained model's path, or a failure saying how to get one. `server_pairs` is the
factory of running server pairs (tests/e2e/pairs.py), stopped at the session's end; each package's
`assistant` fixture takes its configuration's pair from it. `store` is the bookings database of
the test's pair, `caller` a fresh conversation id.

`sqlite_url` is a fresh SQLite file per test. `postgres_url` is a fresh Postgres database per test
(CREATE DATABASE booking_test_<random> through the admin URL in TEST_POSTGRES_URL, default
postgresql://postgres@127.0.0.1:5432/postgres; dropped afterwards). Without a reachable server the
Postgres tests are skipped, except on CI (CI=true), where a missing database is a failure, not a
silent skip. `db_url` runs a test once on each.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from actions.storage.bookings import BookingStore

if TYPE_CHECKING:
    from tests.e2e.pairs import ServerPairs

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _admin_url() -> URL:
    return make_url(os.environ.get("TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL)


@pytest.fixture(scope="session")
def model() -> Path:
    # Imported here, not at the top: the servers' module imports Rasa, which, loaded with this
    # file, would turn Rasa's import-time warnings in the test modules into collection warnings.
    from tests.e2e.servers import MODEL

    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    return MODEL


@pytest.fixture(scope="session")
def server_pairs(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPairs]:
    from tests.e2e.pairs import ServerPairs  # see `model`

    pairs = ServerPairs(tmp_path_factory)
    yield pairs
    pairs.stop_all()


@pytest.fixture
def store(assistant) -> Iterator[BookingStore]:
    """The bookings database of the test's server pair (its package's `assistant`)."""
    store = BookingStore(assistant.env["BOOKING_DB_URL"])
    yield store
    store.dispose()


@pytest.fixture
def caller() -> str:
    """A fresh conversation id per test."""
    return f"caller-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def _postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the admin database (CREATE/DROP DATABASE refuse transactions)."""
    url = _admin_url()
    engine = create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        engine.dispose()
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        message = f"Postgres at {url.render_as_string(hide_password=True)} unreachable: {reason}"
        if _on_ci():
            pytest.fail(f"{message} (CI=true: Postgres tests must run)", pytrace=False)
        pytest.skip(f"{message}; set TEST_POSTGRES_URL to run the Postgres tests")
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(_postgres_admin: Engine) -> Iterator[str]:
    name = f"booking_test_{secrets.token_hex(6)}"
    with _postgres_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _admin_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with _postgres_admin.connect() as conn:
            # FORCE (Postgres 13+): a pool a test forgot to dispose must not leak the database.
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bookings.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # On a failure of a test that ran servers (its `assistant` fixture), show what they logged.
    outcome = yield
    report = outcome.get_result()
    if report.failed and "assistant" in item.fixturenames:
        running = item.funcargs.get("assistant")
        if running is not None and hasattr(running, "logs"):
            report.sections.append(("server logs", running.logs()))
