"""Purging old bookings and their mails leaves no personal data behind (SQLite and Postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from actions.storage import outbox, schema
from actions.storage.bookings import Booking, BookingStore
from actions.storage.purge import (
    PURGED_EMAIL,
    PURGED_NAME,
    PurgeCounts,
    compact_sqlite,
    purge_before,
)

UTC = timezone.utc
OLD = datetime(2020, 5, 4, 14, 0, tzinfo=UTC)
NEW = datetime(2030, 5, 4, 14, 0, tzinfo=UTC)
CUTOFF = datetime(2021, 1, 1, tzinfo=UTC)
OLD_PEOPLE = [
    ("Jane Doe", "jane.doe@example.com", "+14155550123"),
    ("Bob Roe", "bob.roe@example.com", None),
]
SECRETS = ["Jane Doe", "jane.doe@example.com", "4155550123", "Bob Roe", "bob.roe@example.com"]


@pytest.fixture
def store(db_url: str) -> Iterator[BookingStore]:
    store = BookingStore(db_url)
    store.create_schema()
    yield store
    store.dispose()


def book(
    store: BookingStore, reference: str, start: datetime, name: str, email: str, phone: str | None
) -> Booking:
    return store.book(
        reference=reference,
        name=name,
        email=email,
        phone=phone,
        service="Haircut",
        start=start,
        end=start + timedelta(minutes=30),
        slot_minutes=15,
        capacity=1,
    )


def populate(store: BookingStore) -> tuple[Booking, Booking, Booking]:
    jane = book(store, "a", OLD, *OLD_PEOPLE[0])
    book(store, "a", OLD + timedelta(hours=1), *OLD_PEOPLE[0])  # moved: a second mail
    bob = book(store, "b", OLD + timedelta(days=1), *OLD_PEOPLE[1])
    store.cancel(bob.code)
    kim = book(store, "c", NEW, "Kim Lee", "kim@example.com", "+14155550199")
    now = datetime.now(UTC) + timedelta(seconds=1)
    claimed = store.transaction(lambda c: outbox.claim(c, "w", now, timedelta(minutes=5), 10))
    for mail in claimed[:3]:  # jane's two and bob's booking sent; bob's cancel and kim's pending
        store.transaction(lambda c, m=mail: outbox.mark_sent(c, m.id, "w", now))
    for mail in claimed[3:]:
        store.transaction(lambda c, m=mail: outbox.mark_retry(c, m.id, "w", "timeout", now))
    return jane, bob, kim


def dump(store: BookingStore) -> str:
    """Every value of every table, as text."""
    tables = schema.metadata.sorted_tables
    with store._engine.connect() as conn:  # the whole database, whatever the repository shows
        return "\n".join(str(tuple(row)) for t in tables for row in conn.execute(sa.select(t)))


def test_purge_anonymises_old_bookings_and_their_mails(store: BookingStore) -> None:
    jane, bob, kim = populate(store)
    before = dump(store)
    assert all(secret in before for secret in SECRETS)
    counts = store.transaction(lambda conn: purge_before(conn, CUTOFF))
    assert counts == PurgeCounts(bookings=2, mails=4, pending_dropped=1)
    after = dump(store)
    for secret in SECRETS:
        assert secret not in after
    assert "Kim Lee" in after and "kim@example.com" in after  # later bookings untouched
    purged = store.get(jane.code)
    assert (purged.name, purged.email, purged.phone) == (PURGED_NAME, PURGED_EMAIL, None)
    assert (purged.service, purged.start, purged.status) == (
        "Haircut",
        OLD + timedelta(hours=1),
        "confirmed",
    )
    assert store.get(bob.code).status == "cancelled"
    rows = store.read(lambda conn: outbox.list_mails(conn))
    old = [m for m in rows if m.code in (jane.code, bob.code)]
    assert {m.snapshot.email for m in old} == {PURGED_EMAIL}
    assert {m.snapshot.name for m in old} == {PURGED_NAME} and {m.snapshot.phone for m in old} == {
        None
    }
    assert [m.status for m in old] == ["sent", "sent", "sent", "failed"]  # nobody left to mail
    assert old[-1].last_error == "purged before delivery"
    assert [m.snapshot.email for m in rows if m.code == kim.code] == ["kim@example.com"]
    again = store.transaction(lambda conn: purge_before(conn, CUTOFF))
    assert again == PurgeCounts(0, 0, 0)


def test_purged_pending_mails_are_never_sent(store: BookingStore) -> None:
    _, _, kim = populate(store)
    store.transaction(lambda conn: purge_before(conn, CUTOFF))
    later = datetime.now(UTC) + timedelta(days=1)
    due = store.transaction(lambda c: outbox.claim(c, "w2", later, timedelta(minutes=5), 10))
    assert [m.code for m in due] == [kim.code]  # bob's pending cancel is failed, not due


def test_naive_cutoff_is_refused(store: BookingStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.transaction(lambda conn: purge_before(conn, CUTOFF.replace(tzinfo=None)))


def test_nothing_is_left_in_the_sqlite_files(sqlite_url: str) -> None:
    store = BookingStore(sqlite_url)
    store.create_schema()  # WAL mode: the old values also sit in bookings.db-wal
    populate(store)
    path = Path(sa.engine.make_url(sqlite_url).database)
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"jane.doe@example.com" in raw  # the files read are the right ones
    store.transaction(lambda conn: purge_before(conn, CUTOFF))
    assert compact_sqlite(sqlite_url)  # while the store is still open, as in a running server
    store.dispose()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for secret in SECRETS:
        assert secret.encode() not in raw
    assert b"kim@example.com" in raw
    assert not compact_sqlite("postgresql://nobody@127.0.0.1:1/none")  # only SQLite files
