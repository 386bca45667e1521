"""The email outbox: one row per booking event, written in the booking's own transaction.

Theory of operation. `store.BookingStore` calls `record()` inside the transaction that books,
moves or cancels, so a confirmed change always has its mail queued and a rolled-back one never
does (the transactional outbox pattern). A row describes the EVENT — kind (`booked`, `changed`,
`cancelled`), the booking id and code, a JSON snapshot of the booking's fields at that moment and
a SEQUENCE number for the calendar entry — never rendered text: the sender renders it later from
the snapshot and the business profile (`actions.mail.confirmation`), so this module knows nothing
of SMTP or the profile.

Delivery is at-least-once with a lease. A sender `claim()`s due rows in a short transaction,
writing its name and a lease deadline on them (Postgres: `FOR UPDATE SKIP LOCKED`, so two senders
never pick the same row; SQLite: the store's BEGIN IMMEDIATE serialises claims). It sends, then
`mark_sent()`. A sender that dies between sending and recording leaves a lease that expires, and
another sender sends again: the only way a mail goes out twice. `mark_retry()` releases a row with
its next attempt time; `mark_failed()` gives up on a mail the server refused for good.

Every function takes the caller's `Connection` (one unit of work is the caller's transaction) and
timezone-aware datetimes; the table holds naive UTC like the bookings. `last_error` never holds
personal data: callers pass scrubbed text. Not here: rendering (mail/confirmation.py, mail/ics.py),
SMTP (mail/smtp.py), the loop (mail/sender.py), purging (purge.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from actions.storage.schema import (
    ERROR_LENGTH,
    FAILED,
    KINDS,
    PENDING,
    SENT,
    STATUSES,
    Booking,
    outbox,
)


@dataclass(frozen=True)
class Snapshot:
    """The booking as the mail must describe it. `previous_start` is set on a `changed` event
    whose time moved, so the mail can say what it was."""

    code: str
    name: str
    email: str
    phone: str | None
    service: str
    start: datetime  # aware UTC
    end: datetime
    previous_start: datetime | None = None

    @classmethod
    def of(cls, booking: Booking, previous_start: datetime | None = None) -> Snapshot:
        return cls(
            code=booking.code,
            name=booking.name,
            email=booking.email,
            phone=booking.phone,
            service=booking.service,
            start=booking.start,
            end=booking.end,
            previous_start=previous_start,
        )

    def to_json(self) -> str:
        data: dict[str, Any] = dict(self.__dict__)
        for key in ("start", "end", "previous_start"):
            data[key] = data[key].astimezone(timezone.utc).isoformat() if data[key] else None
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Snapshot:
        data = json.loads(text)
        for key in ("start", "end", "previous_start"):
            data[key] = datetime.fromisoformat(data[key]) if data.get(key) else None
        return cls(**data)


@dataclass(frozen=True)
class OutboxMail:
    """One outbox row."""

    id: int
    booking_id: int
    code: str
    kind: str
    sequence: int
    snapshot: Snapshot | None  # None: the JSON could not be read (a hand-edited row)
    status: str
    attempts: int
    next_attempt_at: datetime  # aware UTC, like every datetime here
    claimed_by: str | None
    claimed_until: datetime | None
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None

    def __repr__(self) -> str:  # the snapshot holds contact details: keep them out of logs
        return f"OutboxMail(id={self.id}, code={self.code}, kind={self.kind}, {self.status})"

    @classmethod
    def _from_row(cls, row: Row) -> OutboxMail:
        m = row._mapping
        return cls(
            id=m["id"],
            booking_id=m["booking_id"],
            code=m["booking_code"],
            kind=m["kind"],
            sequence=m["sequence"],
            snapshot=_snapshot_or_none(m["snapshot"]),
            status=m["status"],
            attempts=m["attempts"],
            next_attempt_at=_aware(m["next_attempt_at"]),
            claimed_by=m["claimed_by"],
            claimed_until=_aware(m["claimed_until"]),
            created_at=_aware(m["created_at"]),
            sent_at=_aware(m["sent_at"]),
            last_error=m["last_error"],
        )


def _snapshot_or_none(text: str) -> Snapshot | None:
    try:
        return Snapshot.from_json(text)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # listed and failed by the sender, rather than blocking the queue


def _naive(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value}")
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=timezone.utc) if value is not None else None


def record(conn: Connection, kind: str, booking_id: int, snapshot: Snapshot, now: datetime) -> int:
    """Queue the mail for one booking event; returns the row id. Call inside the transaction
    that made the change. The calendar SEQUENCE is one more than the booking's last event's."""
    if kind not in KINDS:
        raise ValueError(f"expected a kind in {KINDS}, got {kind!r}")
    last = conn.execute(
        sa.select(sa.func.max(outbox.c.sequence)).where(outbox.c.booking_id == booking_id)
    ).scalar()
    at = _naive(now)
    return conn.execute(
        sa.insert(outbox).values(
            booking_id=booking_id,
            booking_code=snapshot.code,
            kind=kind,
            sequence=0 if last is None else last + 1,
            snapshot=snapshot.to_json(),
            status=PENDING,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    ).inserted_primary_key[0]


def claim(
    conn: Connection, worker: str, now: datetime, lease: timedelta, limit: int = 1
) -> list[OutboxMail]:
    """Lease up to `limit` due pending rows (oldest first) to `worker` until now + lease.
    A row whose lease has expired is due again: its sender is presumed dead."""
    at = _naive(now)
    due = (
        sa.select(outbox)
        .where(
            outbox.c.status == PENDING,
            outbox.c.next_attempt_at <= at,
            sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < at),
        )
        .order_by(outbox.c.id)
        .limit(limit)
        # Postgres: rows another sender is claiming right now are skipped, not waited for.
        # SQLite ignores it; its BEGIN IMMEDIATE already serialises the claims.
        .with_for_update(skip_locked=True)
    )
    ids = [row.id for row in conn.execute(due)]
    if not ids:
        return []
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id.in_(ids))
        .values(claimed_by=worker, claimed_until=_naive(now + lease))
    )
    query = sa.select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)
    return [OutboxMail._from_row(row) for row in conn.execute(query)]


def mark_sent(conn: Connection, mail_id: int, worker: str, now: datetime) -> bool:
    """Record a delivery. Whoever holds the lease, the mail WAS sent: recording it stops any
    other sender from sending a third time. False when the row was no longer ours (our lease
    had expired and another sender took it over; it may send one duplicate)."""
    ours = conn.execute(
        sa.select(outbox.c.claimed_by, outbox.c.status)
        .where(outbox.c.id == mail_id)
        .with_for_update()
    ).first()
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == mail_id, outbox.c.status != SENT)
        .values(
            status=SENT,
            sent_at=_naive(now),
            attempts=outbox.c.attempts + 1,
            claimed_by=None,
            claimed_until=None,
            last_error=None,
        )
    )
    return ours is not None and ours.claimed_by == worker and ours.status == PENDING


def mark_retry(
    conn: Connection, mail_id: int, worker: str, error: str, next_attempt_at: datetime
) -> None:
    """Release our lease after a failed attempt; the row is due again at `next_attempt_at`."""
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == mail_id, outbox.c.status == PENDING, outbox.c.claimed_by == worker)
        .values(
            attempts=outbox.c.attempts + 1,
            next_attempt_at=_naive(next_attempt_at),
            claimed_by=None,
            claimed_until=None,
            last_error=error[:ERROR_LENGTH],
        )
    )


def mark_failed(conn: Connection, mail_id: int, worker: str, error: str) -> None:
    """Give up on a mail (the server refused it for good); it stays listed as failed."""
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == mail_id, outbox.c.status == PENDING, outbox.c.claimed_by == worker)
        .values(
            status=FAILED,
            attempts=outbox.c.attempts + 1,
            claimed_by=None,
            claimed_until=None,
            last_error=error[:ERROR_LENGTH],
        )
    )


def list_mails(conn: Connection, status: str | None = None) -> list[OutboxMail]:
    """Outbox rows, oldest first, optionally of one status."""
    query = sa.select(outbox).order_by(outbox.c.id)
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"expected a status in {STATUSES}, got {status!r}")
        query = query.where(outbox.c.status == status)
    return [OutboxMail._from_row(row) for row in conn.execute(query)]


def get_mail(conn: Connection, mail_id: int) -> OutboxMail | None:
    row = conn.execute(sa.select(outbox).where(outbox.c.id == mail_id)).first()
    return OutboxMail._from_row(row) if row is not None else None
