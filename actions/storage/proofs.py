"""Failed proofs of identity, kept per booking in the bookings database (`proof_failures`).

A caller who names a booking by its email (or a recognised number) and its day, then gives a
name that does not match, has failed a proof against every booking that email and day identify.
Each such failure is one row (booking code, time). `caller_bookings.name_locked` reads them: six
within 24 hours lock proof by name for that booking for an hour. The rows live in the database,
so a restart of the action server, or another action server, sees the same lock.

Rows older than `REACH` (the window plus the lock) can no longer lock anything: recording a
failure deletes that booking's old rows, and `booking-admin purge` deletes all of them.
Functions take a connection: run them in `BookingStore.transaction` / `BookingStore.read`.
Times in and out are aware; the table holds naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from actions.booking.caller_bookings import REACH
from actions.storage.schema import from_db, proof_failures


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value}")
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def record(conn: Connection, codes: Iterable[str], at: datetime) -> int:
    """One failed proof at `at` against each booking in `codes`; their rows older than REACH
    go. Returns the rows written."""
    codes = sorted(set(codes))
    if not codes:
        return 0
    when = _utc(at)
    conn.execute(
        sa.delete(proof_failures).where(
            proof_failures.c.booking_code.in_(codes),
            proof_failures.c.failed_at < when - REACH,
        )
    )
    conn.execute(
        sa.insert(proof_failures), [{"booking_code": code, "failed_at": when} for code in codes]
    )
    return len(codes)


def recent(conn: Connection, codes: Iterable[str], now: datetime) -> dict[str, list[datetime]]:
    """{code: the times of its failed proofs within REACH of `now`, oldest first}; every code
    asked for is a key."""
    codes = sorted(set(codes))
    found: dict[str, list[datetime]] = {code: [] for code in codes}
    if not codes:
        return found
    query = (
        sa.select(proof_failures.c.booking_code, proof_failures.c.failed_at)
        .where(
            proof_failures.c.booking_code.in_(codes),
            proof_failures.c.failed_at >= _utc(now) - REACH,
        )
        .order_by(proof_failures.c.failed_at, proof_failures.c.id)
    )
    for code, at in conn.execute(query):
        found[code].append(from_db(at))
    return found


def prune(conn: Connection, before: datetime) -> int:
    """Delete the failures recorded before `before`; returns how many."""
    result = conn.execute(
        sa.delete(proof_failures).where(proof_failures.c.failed_at < _utc(before))
    )
    return result.rowcount or 0
