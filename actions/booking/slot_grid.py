"""The slot grid: time cut into units of `slot_minutes`, counted from the Unix epoch in UTC.

One grid serves both sides of a booking: the scheduling rules count occupancy per unit, and the
bookings store holds one row per unit a booking overlaps (its capacity guard). Both must cut time
the same way, so both call `unit_starts`. The profile allows only slots that divide an hour and
timezones whose UTC offsets are multiples of the slot, so this UTC grid is the local one too.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def unit_starts(start: datetime, end: datetime, slot_minutes: int) -> list[datetime]:
    """Aware UTC starts of the grid units overlapping [start, end). Naive input is read as UTC
    (how a store without timezone support returns what it was given)."""
    unit = timedelta(minutes=slot_minutes)
    first, last = (t.astimezone(UTC) if t.tzinfo else t.replace(tzinfo=UTC) for t in (start, end))
    cursor = _EPOCH + (first - _EPOCH) // unit * unit  # floor onto the grid
    units = []
    while cursor < last:
        units.append(cursor)
        cursor += unit
    return units
