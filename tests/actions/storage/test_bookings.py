"""The bookings store, on SQLite and on Postgres (the `db_url` fixture runs each test on both)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from actions.booking.codes import ALPHABET
from actions.storage import bookings as store_module
from actions.storage.bookings import Booking, BookingStore, SlotTaken

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
T10 = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[BookingStore]:
    # Pool of at most 40 on Postgres (max_connections is 100); ignored by SQLite.
    store = BookingStore(db_url, pool_size=20, max_overflow=20)
    store.create_schema()
    store.create_schema()  # idempotent
    yield store
    store.dispose()


def book(
    store: BookingStore,
    reference: str,
    start: datetime,
    minutes: int = 30,
    capacity: int = 1,
    **changes: Any,
) -> Booking:
    values: dict[str, Any] = {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+14155550123",
        "service": "haircut",
    }
    values.update(changes)
    return store.book(
        reference=reference,
        start=start,
        end=start + timedelta(minutes=minutes),
        slot_minutes=15,
        capacity=capacity,
        **values,
    )


def test_round_trip(store: BookingStore) -> None:
    local = datetime(2030, 3, 4, 11, 0, tzinfo=PARIS)  # 10:00 UTC
    booking = book(store, "ref-1", local, minutes=45)
    assert len(booking.code) == 5 and set(booking.code) <= set(ALPHABET)
    assert booking.reference == "ref-1" and booking.status == "confirmed"
    assert (booking.name, booking.email, booking.phone, booking.service) == (
        "Jane Doe",
        "jane@example.com",
        "+14155550123",
        "haircut",
    )
    assert booking.start == T10 and booking.start.tzinfo == UTC
    assert booking.end == T10 + timedelta(minutes=45) and booking.end.tzinfo == UTC
    assert booking.created_at.tzinfo == UTC and booking.updated_at == booking.created_at
    assert store.get(booking.code) == booking
    assert store.get(booking.code.lower()) == booking
    assert store.get_by_reference("ref-1") == booking
    assert store.get("ZZZZZ") is None and store.get_by_reference("nope") is None
    assert store.occupancy(T10 - timedelta(hours=1), T10 + timedelta(hours=2)) == {
        T10: 1,
        T10 + timedelta(minutes=15): 1,
        T10 + timedelta(minutes=30): 1,
    }


def test_repr_hides_contact_details(store: BookingStore) -> None:
    text = repr(book(store, "ref-1", T10))
    assert "jane@example.com" not in text and "5550123" not in text


def test_naive_datetimes_are_refused(store: BookingStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        book(store, "ref-1", T10.replace(tzinfo=None))
    with pytest.raises(ValueError):
        store.occupancy(T10.replace(tzinfo=None), T10 + timedelta(hours=1))


@pytest.mark.parametrize(
    "bad",
    [{"minutes": 0}, {"capacity": 0}, {"name": ""}, {"email": ""}],
)
def test_bad_arguments_are_refused(store: BookingStore, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        book(store, "ref-1", T10, **bad)
    assert store.list_bookings() == []


def test_resubmit_with_same_reference_is_idempotent(store: BookingStore) -> None:
    first = book(store, "ref-1", T10)
    again = book(store, "ref-1", T10)
    assert again == first  # same code, same updated_at: nothing was written
    assert store.list_bookings() == [first]
    assert store.occupancy(T10, T10 + timedelta(hours=1)) == {
        T10: 1,
        T10 + timedelta(minutes=15): 1,
    }


def test_changed_values_update_the_same_booking(store: BookingStore) -> None:
    first = book(store, "ref-1", T10)
    moved = book(store, "ref-1", T10 + timedelta(hours=2), minutes=45, name="Jane Smith")
    assert moved.code == first.code and moved.created_at == first.created_at
    assert moved.name == "Jane Smith" and moved.start == T10 + timedelta(hours=2)
    assert moved.updated_at >= first.updated_at
    assert store.list_bookings() == [moved]
    occupied = store.occupancy(T10, T10 + timedelta(hours=4))
    assert sorted(occupied) == [T10 + timedelta(hours=2, minutes=m) for m in (0, 15, 30)]
    # Moving within its own time (overlapping itself) is not blocked by its own units.
    shifted = book(store, "ref-1", T10 + timedelta(hours=2, minutes=15), minutes=45)
    assert shifted.code == first.code


def test_change_to_a_full_time_keeps_the_old_booking(store: BookingStore) -> None:
    mine = book(store, "mine", T10)
    book(store, "other", T10 + timedelta(hours=1))
    with pytest.raises(SlotTaken):
        book(store, "mine", T10 + timedelta(hours=1), name="Jane Smith")
    assert store.get_by_reference("mine") == mine
    assert store.occupancy(T10, T10 + timedelta(hours=2)) == {
        T10 + timedelta(minutes=m): 1 for m in (0, 15, 60, 75)
    }


def test_capacity_one_refuses_overlaps_of_any_length(store: BookingStore) -> None:
    book(store, "a", T10, minutes=45)  # 10:00-10:45
    for reference, start, minutes in [
        ("b", T10, 15),
        ("c", T10 + timedelta(minutes=30), 60),  # 10:30-11:30 overlaps the last quarter
        ("d", T10 - timedelta(minutes=15), 30),  # 09:45-10:15
        ("e", T10 - timedelta(hours=1), 120),  # 09:00-11:00 covers it
        ("f", T10 + timedelta(minutes=40), 10),  # 10:40-10:50, off the grid, still overlaps
    ]:
        with pytest.raises(SlotTaken):
            book(store, reference, start, minutes=minutes)
    before = book(store, "g", T10 - timedelta(minutes=30), minutes=30)  # 09:30-10:00
    after = book(store, "h", T10 + timedelta(minutes=45), minutes=15)  # 10:45-11:00
    assert [b.reference for b in store.list_bookings()] == ["g", "a", "h"]
    assert before.code != after.code


def test_capacity_two_fits_two(store: BookingStore) -> None:
    book(store, "a", T10, minutes=60, capacity=2)
    book(store, "b", T10 + timedelta(minutes=30), minutes=30, capacity=2)
    with pytest.raises(SlotTaken):
        book(store, "c", T10 + timedelta(minutes=45), minutes=30, capacity=2)
    book(store, "d", T10, minutes=30, capacity=2)  # 10:00-10:30 has one seat left
    occupied = store.occupancy(T10, T10 + timedelta(hours=2))
    assert occupied == {T10 + timedelta(minutes=m): 2 for m in (0, 15, 30, 45)}


def test_cancel_frees_the_slot_and_keeps_the_row(store: BookingStore) -> None:
    first = book(store, "a", T10)
    cancelled = store.cancel(first.code)
    assert cancelled is not None and cancelled.status == "cancelled"
    assert cancelled.code == first.code and cancelled.updated_at >= first.updated_at
    assert store.occupancy(T10, T10 + timedelta(hours=1)) == {}
    second = book(store, "b", T10)
    assert store.cancel(first.code) == cancelled  # twice: harmless, unchanged
    assert store.cancel("ZZZZZ") is None
    assert store.list_bookings(status="cancelled") == [cancelled]
    assert store.list_bookings(status="confirmed") == [second]


def test_booking_a_cancelled_reference_again_reconfirms_it(store: BookingStore) -> None:
    first = book(store, "a", T10)
    store.cancel(first.code)
    taker = book(store, "b", T10)
    with pytest.raises(SlotTaken):
        book(store, "a", T10)
    assert store.get(first.code).status == "cancelled"
    store.cancel(taker.code)
    again = book(store, "a", T10)
    assert again.code == first.code and again.status == "confirmed"
    assert store.occupancy(T10, T10 + timedelta(hours=1)) == {
        T10: 1,
        T10 + timedelta(minutes=15): 1,
    }


def test_list_bookings_filters(store: BookingStore) -> None:
    a = book(store, "a", T10 + timedelta(days=1), email="Jane@Example.com")
    b = book(store, "b", T10, email="bob@example.com", phone=None)
    c = book(store, "c", T10 + timedelta(days=2), phone="+442071234567")
    store.cancel(c.code)
    c = store.get(c.code)
    assert store.list_bookings() == [b, a, c]
    assert store.list_bookings(email="jane@example.COM ") == [a, c]
    assert store.list_bookings(phone="+14155550123") == [a]
    assert store.list_bookings(since=T10 + timedelta(hours=1)) == [a, c]
    assert store.list_bookings(status="confirmed", since=T10) == [b, a]
    with pytest.raises(ValueError):
        store.list_bookings(status="maybe")


def test_the_database_enforces_capacity(
    store: BookingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a seat choice that ignores who sits where cannot double-book: the unique index on
    (unit_start, seat) refuses it, and the store gives up after its bounded retries."""
    monkeypatch.setattr(store_module, "_free_seats", lambda conn, units, capacity: [0] * len(units))
    monkeypatch.setattr(store_module, "MAX_ATTEMPTS", 3)
    first = book(store, "a", T10)
    with pytest.raises(store_module.StoreError, match="conflicting"):
        book(store, "b", T10 + timedelta(minutes=15))
    assert store.list_bookings() == [first]


@pytest.mark.parametrize("capacity", [1, 2])
def test_race_for_one_slot(store: BookingStore, capacity: int) -> None:
    """100 callers press "book" at the same instant: exactly `capacity` of them get it."""
    attempts = 100
    barrier = threading.Barrier(attempts)
    outcomes: list[object] = [None] * attempts

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = book(store, f"race-{i}", T10, minutes=45, capacity=capacity)
        except Exception as error:  # recorded and checked below
            outcomes[i] = error

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    won = [o for o in outcomes if isinstance(o, Booking)]
    lost = [o for o in outcomes if isinstance(o, SlotTaken)]
    others = [o for o in outcomes if not isinstance(o, (Booking, SlotTaken))]
    assert others == []
    assert (len(won), len(lost)) == (capacity, attempts - capacity)
    assert sorted(b.code for b in store.list_bookings(status="confirmed")) == sorted(
        b.code for b in won
    )
    assert store.occupancy(T10, T10 + timedelta(hours=1)) == {
        T10 + timedelta(minutes=m): capacity for m in (0, 15, 30)
    }


def test_race_resubmitting_one_reference(store: BookingStore) -> None:
    """A re-submit racing the first submit still makes one booking with one code."""
    barrier = threading.Barrier(20)
    results: list[object] = []

    def attempt() -> None:
        barrier.wait()
        try:
            results.append(book(store, "same", T10, capacity=5))
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, Booking) for r in results), results
    assert len({r.code for r in results}) == 1  # type: ignore[union-attr]
    assert len(store.list_bookings()) == 1
    assert store.occupancy(T10, T10 + timedelta(hours=1)) == {
        T10: 1,
        T10 + timedelta(minutes=15): 1,
    }


def test_store_from_env_caches_per_url(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> None:
    monkeypatch.setenv("BOOKING_DB_URL", sqlite_url)
    monkeypatch.setattr(store_module, "_stores", {})
    first = store_module.store_from_env()
    try:
        assert store_module.store_from_env() is first
        assert first.list_bookings() == []  # the schema exists
    finally:
        first.dispose()


def test_default_url_is_under_var() -> None:
    assert store_module.default_url().startswith("sqlite:///")
    assert store_module.default_url().endswith("/var/bookings.db")


def test_a_failed_statement_does_not_name_its_values(store: BookingStore) -> None:
    import sqlalchemy as sa

    with pytest.raises(sa.exc.DBAPIError) as failed:
        with store._engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO no_such_table VALUES (:email)"), {"email": "jane@example.com"}
            )
    # SQLAlchemy no longer appends the values; Postgres may still quote a failing statement's
    # line (psycopg2 binds values into the text), which names no values on a lost connection.
    assert "no_such_table" in str(failed.value) and "SQL parameters hidden" in str(failed.value)
