"""The strict tracker store rides out a database restart: pooled connections are pinged before
use, and a read or save that lost its connection is tried again for a bounded time (the Postgres
restart itself: tests/faults/test_postgres_restart.py)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from connector.tracker_store import StrictSQLTrackerStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_RETRY_SECONDS", "1")
    store = StrictSQLTrackerStore(url=f"sqlite:///{tmp_path / 'tracker.db'}", wait_seconds=1)
    yield store
    store.engine.dispose()


def lost_connection() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def test_connections_are_pinged_before_use(store):
    assert store.engine.pool._pre_ping


def test_a_lost_connection_is_tried_again_until_it_works(store):
    failures = [lost_connection(), lost_connection()]

    async def flaky():
        if failures:
            raise failures.pop()
        return "tracker"

    assert asyncio.run(store._retrying("a read", flaky)) == "tracker"
    assert not failures


def test_retries_are_bounded_and_other_errors_are_not_retried(store):
    calls = []

    async def down():
        calls.append(1)
        raise lost_connection()

    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(asyncio.wait_for(store._retrying("a read", down), 5))
    assert 2 <= len(calls) <= 10  # about a second of tries, then the error

    calls.clear()

    async def broken():
        calls.append(1)
        raise sa.exc.IntegrityError("INSERT", {}, Exception("constraint"))

    with pytest.raises(sa.exc.IntegrityError):
        asyncio.run(store._retrying("a save", broken))
    assert len(calls) == 1


def test_the_embedded_sqlite_store_writes_ahead_and_keeps_what_it_saved(store, tmp_path):
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        "call-wal",
        [
            UserUttered("book a haircut", {"name": "book", "confidence": 0.9}),
            SlotSet("service", "haircut"),
        ],
    )
    asyncio.run(store.save(tracker))
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    store.engine.dispose()
    # A fresh store on the same file (a restarted server) reads the call back.
    again = StrictSQLTrackerStore(url=f"sqlite:///{tmp_path / 'tracker.db'}", wait_seconds=1)
    try:
        restored = asyncio.run(again.retrieve("call-wal"))
        assert SlotSet("service", "haircut") in restored.events  # no domain here: events only
        assert restored.latest_message.text == "book a haircut"
    finally:
        again.engine.dispose()


def test_sqlite_connections_are_pooled_so_the_log_stays_open(store):
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        first = connection.connection.dbapi_connection
    with store.engine.connect() as connection:
        assert connection.connection.dbapi_connection is first


def test_a_failed_read_fails_the_turn_instead_of_starting_the_call_afresh(store):
    """Rasa's fail-safe wrapper answers a failed read with None (a new, empty conversation);
    around this store the error reaches the turn, which apologises (test_postgres_restart.py).
    Other stores keep Rasa's behaviour."""
    from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    asyncio.run(store.save(DialogueStateTracker.from_events("call-down", [])))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE events")  # every read now fails, not transiently
    wrapped = FailSafeTrackerStore(store)
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(wrapped.retrieve("call-other"))
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(wrapped.retrieve_full_tracker("call-other"))

    class Broken(SQLTrackerStore):  # Rasa's own SQL store, not ours
        def __init__(self) -> None:
            self.domain = store.domain
            self.event_broker = None

        async def retrieve(self, sender_id):
            raise RuntimeError("down")

    assert asyncio.run(FailSafeTrackerStore(Broken()).retrieve("call-other")) is None


def test_a_failed_statement_does_not_put_what_callers_said_in_the_logs(store):
    with pytest.raises(sa.exc.DBAPIError) as failed:
        with store.engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO no_such_table VALUES (:data)"),
                {"data": '{"text": "pia@example.com"}'},
            )
    assert "no_such_table" in str(failed.value)  # the statement is named
    assert "pia@example.com" not in str(failed.value)
    assert "SQL parameters hidden" in str(failed.value)
