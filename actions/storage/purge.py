"""Anonymising old bookings and their mails, for privacy (`booking-admin purge --before DATE`).

A booking that started before the cut-off keeps what the business needs for its books — code,
service, times, status — and loses who it was for: the name becomes "(purged)", the email the
reserved non-address `purged@invalid` (the column is required; `.invalid` can never be delivered,
RFC 2606), the phone NULL. Its outbox rows get the same treatment inside their JSON snapshots
(`last_error` never holds personal data); a mail still pending is marked failed ("purged before
delivery"), as it no longer has anyone to go to. One transaction; running it again changes
nothing more.

An UPDATE leaves the old values in the database file until the space is reused: on SQLite (the
embedded default) `compact_sqlite()` then rewrites the file (VACUUM) and empties its write-ahead
log, so the purged values are gone from the disk too. On Postgres, old row versions stay on disk
until autovacuum reuses them; run `VACUUM FULL bookings, outbox` when that matters.

The failed proofs of identity (`proof_failures`, storage/proofs.py) hold a booking code and a
time, and lose their use once they can lock nothing any more: those recorded before the cut-off
and older than the lock's reach are deleted.

Only the bookings database: the conversations in Rasa's tracker store are not touched here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from actions.booking.caller_bookings import REACH
from actions.storage import proofs
from actions.storage.schema import FAILED, PENDING, bookings, outbox

PURGED_NAME = "(purged)"
PURGED_EMAIL = "purged@invalid"
PURGED_ERROR = "purged before delivery"


@dataclass(frozen=True)
class PurgeCounts:
    bookings: int
    mails: int
    pending_dropped: int
    proof_failures: int = 0


def purge_before(conn: Connection, cutoff: datetime) -> PurgeCounts:
    """Anonymise bookings starting before `cutoff` (aware) and every outbox row about them."""
    if cutoff.tzinfo is None or cutoff.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware cut-off, got {cutoff}")
    at = cutoff.astimezone(timezone.utc).replace(tzinfo=None)
    old = sa.select(bookings.c.id).where(bookings.c.start_at < at)
    personal = sa.or_(
        bookings.c.name != PURGED_NAME,
        bookings.c.email != PURGED_EMAIL,
        bookings.c.phone.is_not(None),
    )
    done_bookings = conn.execute(
        sa.update(bookings)
        .where(bookings.c.start_at < at, personal)
        .values(name=PURGED_NAME, email=PURGED_EMAIL, phone=None)
    ).rowcount
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.snapshot, outbox.c.status)
        .where(outbox.c.booking_id.in_(old))
        .with_for_update()
    ).all()
    done_mails = dropped = 0
    for row in rows:
        try:
            snapshot = json.loads(row.snapshot)
        except ValueError:
            snapshot = {}  # unreadable: replaced by the clean fields alone
        clean = {**snapshot, "name": PURGED_NAME, "email": PURGED_EMAIL, "phone": None}
        if clean == snapshot and row.status != PENDING:
            continue  # purged already
        values: dict[str, object] = {
            "snapshot": json.dumps(clean, ensure_ascii=False, sort_keys=True)
        }
        if row.status == PENDING:
            values.update(
                status=FAILED, last_error=PURGED_ERROR, claimed_by=None, claimed_until=None
            )
            dropped += 1
        conn.execute(sa.update(outbox).where(outbox.c.id == row.id).values(**values))
        done_mails += 1
    stale = min(cutoff, datetime.now(timezone.utc) - REACH)
    return PurgeCounts(done_bookings, done_mails, dropped, proofs.prune(conn, stale))


def compact_sqlite(url: str) -> bool:
    """VACUUM a SQLite database and truncate its WAL; False (nothing done) for other databases.
    Best effort while other processes read: SQLite then keeps what they still use."""
    if make_url(url).get_backend_name() != "sqlite":
        return False
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")  # VACUUM refuses a transaction
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return True
