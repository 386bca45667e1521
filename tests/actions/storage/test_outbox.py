"""The outbox table: rows written with the booking change, claims, leases (SQLite, Postgres)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from actions.storage import outbox, schema
from actions.storage.bookings import BookingStore, SlotTaken
from actions.storage.outbox import OutboxMail, Snapshot

UTC = timezone.utc
T10 = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
def store(db_url: str) -> Iterator[BookingStore]:
    store = BookingStore(db_url, pool_size=10, max_overflow=10)
    store.create_schema()
    yield store
    store.dispose()


def book(store: BookingStore, reference: str, start: datetime = T10, **changes: object):
    values: dict[str, object] = {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+14155550123",
        "service": "Haircut",
    }
    values.update(changes)
    return store.book(
        reference=reference,
        start=start,
        end=start + timedelta(minutes=30),
        slot_minutes=15,
        capacity=1,
        **values,
    )


def mails(store: BookingStore, status: str | None = None) -> list[OutboxMail]:
    return store.read(lambda conn: outbox.list_mails(conn, status))


def claim(store: BookingStore, worker: str, now: datetime = NOW, limit: int = 1):
    # Rows are due at their creation time (the real clock); claim from far in the future.
    return store.transaction(lambda conn: outbox.claim(conn, worker, now, LEASE, limit))


LATER = datetime.now(UTC) + timedelta(days=1)


def test_booking_change_and_cancel_each_queue_one_event(store: BookingStore) -> None:
    booking = book(store, "ref-1")
    book(store, "ref-1")  # an unchanged re-submit: no mail
    moved = book(store, "ref-1", start=T10 + timedelta(hours=1))
    book(store, "ref-1", start=T10 + timedelta(hours=1), name="Jane Q. Doe")  # same time
    store.cancel(booking.code)
    store.cancel(booking.code)  # cancelling again: no mail
    book(store, "ref-1", start=T10 + timedelta(hours=1), name="Jane Q. Doe")  # re-confirmed
    rows = mails(store)
    assert [(m.kind, m.sequence) for m in rows] == [
        ("booked", 0),
        ("changed", 1),
        ("changed", 2),
        ("cancelled", 3),
        ("booked", 4),
    ]
    assert {m.code for m in rows} == {booking.code} and moved.code == booking.code
    assert len({m.booking_id for m in rows}) == 1
    assert all(m.status == "pending" and m.attempts == 0 for m in rows)
    first, move, rename = rows[0].snapshot, rows[1].snapshot, rows[2].snapshot
    assert first == Snapshot(
        booking.code,
        "Jane Doe",
        "jane@example.com",
        "+14155550123",
        "Haircut",
        T10,
        T10 + timedelta(minutes=30),
    )
    assert move.start == T10 + timedelta(hours=1) and move.previous_start == T10
    assert rename.name == "Jane Q. Doe" and rename.previous_start is None
    assert rows[3].snapshot.start == T10 + timedelta(hours=1)


def test_a_refused_booking_queues_nothing(store: BookingStore) -> None:
    book(store, "ref-1")
    with pytest.raises(SlotTaken):
        book(store, "ref-2")  # same time, capacity 1
    other = book(store, "ref-3", start=T10 + timedelta(hours=2))
    with pytest.raises(SlotTaken):
        book(store, "ref-3")  # moving onto a full time: the move is rolled back, mail too
    assert [m.kind for m in mails(store)] == ["booked", "booked"]
    assert store.get(other.code).start == T10 + timedelta(hours=2)


def test_the_event_and_the_booking_commit_together(
    store: BookingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No booking without its mail: a failure to queue it rolls the booking back too."""
    booking = book(store, "ref-1")

    def broken(*args: object) -> None:
        raise RuntimeError("outbox insert failed")

    monkeypatch.setattr(outbox, "record", broken)
    with pytest.raises(RuntimeError):
        book(store, "ref-2", start=T10 + timedelta(hours=2))
    with pytest.raises(RuntimeError):
        book(store, "ref-1", start=T10 + timedelta(hours=3))
    with pytest.raises(RuntimeError):
        store.cancel(booking.code)
    monkeypatch.undo()
    assert store.get_by_reference("ref-2") is None
    assert store.get(booking.code).start == T10 and store.get(booking.code).status == "confirmed"
    assert store.occupancy(T10, T10 + timedelta(hours=4)) == {
        T10: 1,
        T10 + timedelta(minutes=15): 1,
    }
    assert [m.kind for m in mails(store)] == ["booked"]


def test_snapshot_json_round_trip() -> None:
    snap = Snapshot(
        "K7P2Q",
        "Zoë",
        "z@example.com",
        None,
        "Colour",
        T10,
        T10 + timedelta(hours=1),
        previous_start=T10 - timedelta(days=1),
    )
    assert Snapshot.from_json(snap.to_json()) == snap
    assert "z@example.com" not in repr(
        OutboxMail(1, 1, "K7P2Q", "booked", 0, snap, "pending", 0, T10, None, None, T10, None, None)
    )


def test_claim_lease_and_outcomes(store: BookingStore) -> None:
    for n in range(3):
        book(store, f"ref-{n}", start=T10 + timedelta(hours=n))
    a = claim(store, "a", LATER)
    b = claim(store, "b", LATER, limit=5)
    assert len(a) == 1 and len(b) == 2 and {m.id for m in a} & {m.id for m in b} == set()
    assert a[0].claimed_by == "a" and a[0].claimed_until == LATER + LEASE
    assert claim(store, "c", LATER) == []  # everything is leased
    store.transaction(lambda conn: outbox.mark_sent(conn, a[0].id, "a", LATER))
    retry_at = LATER + timedelta(seconds=30)
    store.transaction(lambda conn: outbox.mark_retry(conn, b[0].id, "b", "timeout", retry_at))
    store.transaction(lambda conn: outbox.mark_failed(conn, b[1].id, "b", "recipient refused"))
    by_id = {m.id: m for m in mails(store)}
    sent, retried, failed = by_id[a[0].id], by_id[b[0].id], by_id[b[1].id]
    assert (sent.status, sent.attempts, sent.sent_at, sent.claimed_by) == ("sent", 1, LATER, None)
    assert (retried.status, retried.attempts, retried.last_error) == ("pending", 1, "timeout")
    assert retried.next_attempt_at == retry_at and retried.claimed_until is None
    assert (failed.status, failed.last_error) == ("failed", "recipient refused")
    assert claim(store, "c", LATER) == []  # the retry is not due yet
    assert [m.id for m in claim(store, "c", retry_at)] == [retried.id]
    assert [m.id for m in mails(store, "pending")] == [retried.id]


def test_an_expired_lease_lets_another_sender_take_over(store: BookingStore) -> None:
    book(store, "ref-1")
    (first,) = claim(store, "dead", LATER)
    assert claim(store, "alive", LATER + LEASE - timedelta(seconds=1)) == []
    (again,) = claim(store, "alive", LATER + LEASE + timedelta(seconds=1))
    assert again.id == first.id and again.claimed_by == "alive"
    # The dead sender's late outcomes no longer touch the row; a late "sent" is still recorded
    # (it WAS sent) but reported as not ours.
    store.transaction(lambda conn: outbox.mark_retry(conn, first.id, "dead", "x", LATER))
    assert mails(store)[0].claimed_by == "alive"
    assert store.transaction(lambda conn: outbox.mark_sent(conn, first.id, "alive", LATER))
    assert not store.transaction(lambda conn: outbox.mark_sent(conn, first.id, "dead", LATER))
    assert mails(store)[0].attempts == 1


def test_concurrent_claims_never_share_a_row(store: BookingStore) -> None:
    for n in range(40):
        book(store, f"ref-{n}", start=T10 + timedelta(hours=n))
    got: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def worker(name: str) -> None:
        barrier.wait()
        mine = got.setdefault(name, [])
        while batch := claim(store, name, LATER, limit=3):
            mine.extend(m.id for m in batch)

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    claimed = [mail_id for ids in got.values() for mail_id in ids]
    assert sorted(claimed) == sorted(m.id for m in mails(store))  # each exactly once


def test_bad_values_are_refused(store: BookingStore) -> None:
    with pytest.raises(ValueError, match="kind"):
        store.transaction(
            lambda conn: outbox.record(
                conn, "moved", 1, Snapshot("K", "n", "e@x.y", None, "s", T10, T10), NOW
            )
        )
    with pytest.raises(ValueError, match="status"):
        store.read(lambda conn: outbox.list_mails(conn, "lost"))
    with pytest.raises(ValueError, match="naive"):
        store.transaction(lambda conn: outbox.claim(conn, "w", NOW.replace(tzinfo=None), LEASE))


def test_existing_databases_get_the_table(db_url: str) -> None:
    """A database made before the outbox existed: create_schema adds the table, keeps bookings."""
    store = BookingStore(db_url)
    try:
        store.create_schema()
        book(store, "ref-1")
        with store._engine.begin() as conn:
            schema.outbox.drop(conn)
        store.create_schema()
        assert mails(store) == [] and store.get_by_reference("ref-1") is not None
        book(store, "ref-1", name="Janet")
        assert [m.kind for m in mails(store)] == ["changed"]
    finally:
        store.dispose()


def test_an_unreadable_row_is_failed_not_blocking(store: BookingStore) -> None:
    book(store, "ref-1")
    book(store, "ref-2", start=T10 + timedelta(hours=1))
    first = mails(store)[0]
    table = schema.outbox
    store.transaction(
        lambda conn: conn.execute(
            table.update().where(table.c.id == first.id).values(snapshot="{}")
        )
    )
    claimed = claim(store, "w", LATER, limit=5)
    second = mails(store)[1].id
    assert [(m.id, m.snapshot is None) for m in claimed] == [(first.id, True), (second, False)]
    assert mails(store)[0].snapshot is None  # still listed
