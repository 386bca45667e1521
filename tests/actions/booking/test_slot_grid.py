"""The slot grid (`unit_starts`): the units a time span overlaps, in UTC, across days and DST;
and the one grid shared by the scheduling rules and the bookings store's capacity guard."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from actions.booking.slot_grid import unit_starts
from actions.storage.bookings import BookingStore
from actions.storage.schema import booking_units, bookings

UTC = timezone.utc
TZ = ZoneInfo("America/New_York")


def at(day: str, hhmm: str) -> datetime:
    """Business-local wall time, aware."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=TZ)


def u(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "end", "slot", "units"),
    [
        (
            u("2026-12-09 15:00"),
            u("2026-12-09 15:45"),
            15,
            ["2026-12-09 15:00", "2026-12-09 15:15", "2026-12-09 15:30"],
        ),
        (
            u("2026-12-09 15:07"),
            u("2026-12-09 15:20"),
            15,
            ["2026-12-09 15:00", "2026-12-09 15:15"],
        ),
        (u("2026-12-09 15:00"), u("2026-12-09 15:15"), 15, ["2026-12-09 15:00"]),  # end is open
        (u("2026-12-09 15:00"), u("2026-12-09 15:00"), 15, []),
        (u("2026-12-09 15:00"), u("2026-12-09 14:00"), 15, []),
        (
            u("2026-12-09 23:45"),
            u("2026-12-10 00:30"),
            30,
            ["2026-12-09 23:30", "2026-12-10 00:00"],
        ),
        (at("2026-12-09", "10:00"), at("2026-12-09", "11:00"), 60, ["2026-12-09 15:00"]),
        (
            datetime(2026, 12, 9, 15, 0),
            datetime(2026, 12, 9, 15, 30),
            15,  # naive = UTC
            ["2026-12-09 15:00", "2026-12-09 15:15"],
        ),
        # across the spring-forward gap: one real hour is four units, not zero or eight
        (
            at("2026-03-08", "01:30"),
            at("2026-03-08", "03:30"),
            15,
            ["2026-03-08 06:30", "2026-03-08 06:45", "2026-03-08 07:00", "2026-03-08 07:15"],
        ),
    ],
)
def test_unit_starts(start: datetime, end: datetime, slot: int, units: list[str]) -> None:
    got = unit_starts(start, end, slot)
    assert got == [u(x) for x in units]
    assert all(x.tzinfo is UTC for x in got)


@pytest.mark.parametrize("slot", [5, 10, 15, 20, 30, 60])
def test_units_start_on_the_hour_grid_and_cover_the_span(slot: int) -> None:
    start = datetime(2026, 12, 9, 14, 7, tzinfo=UTC)
    for minutes in range(1, 200, 7):
        end = start + timedelta(minutes=minutes)
        got = unit_starts(start, end, slot)
        assert got[0] <= start < got[0] + timedelta(minutes=slot)
        assert got[-1] < end <= got[-1] + timedelta(minutes=slot)
        assert all(b - a == timedelta(minutes=slot) for a, b in zip(got, got[1:]))
        assert all(u.minute % slot == 0 and u.second == 0 for u in got)


@pytest.mark.parametrize("slot", [15, 30, 60])
def test_the_store_holds_exactly_the_grid_units_the_scheduling_rules_count(
    tmp_path, slot: int
) -> None:
    """What the store writes into its capacity guard and reports as occupancy is the grid that
    `scheduling.check_start` counts against: a different cut would let a full slot look free."""
    store = BookingStore(f"sqlite:///{tmp_path / 'grid.db'}")
    store.create_schema()
    try:
        starts = [at(day, hhmm) for day, hhmm in (("2026-12-09", "09:00"), ("2026-12-10", "10:30"))]
        starts.append(at("2026-03-08", "01:00"))  # the spring-forward night
        for i, start in enumerate(starts):
            end = start + timedelta(minutes=slot * (i + 2))
            store.book(
                reference=f"grid-{i}",
                name="Grid Test",
                email="grid@example.com",
                phone=None,
                service="Haircut",
                start=start,
                end=end,
                slot_minutes=slot,
                capacity=1,
            )
            expected = unit_starts(start, end, slot)
            with store._engine.connect() as conn:
                held = conn.execute(
                    sa.select(booking_units.c.unit_start)
                    .join(bookings, bookings.c.id == booking_units.c.booking_id)
                    .where(bookings.c.reference == f"grid-{i}")
                    .order_by(booking_units.c.unit_start)
                )
                rows = [u.replace(tzinfo=UTC) for (u,) in held]
            assert rows == expected
            occupancy = store.occupancy(start - timedelta(hours=1), end + timedelta(hours=1))
            assert {u for u, n in occupancy.items() if n} >= set(expected)
            assert all(occupancy[u] == 1 for u in expected)
    finally:
        store.dispose()
