"""The bookings database's tables, in one MetaData (bookings, their grid units, the outbox, the
failed proofs of identity), and the row type of a booking.

The repository (`bookings`), the outbox and the purge all read and write these tables; defining
them here once lets each of those modules import the schema without importing each other.
Times are naive UTC in every table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Row

# A booking's status.
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
# An outbox row's kind (the booking event it announces) and its delivery status.
BOOKED, CHANGED = "booked", "changed"
KINDS = (BOOKED, CHANGED, CANCELLED)
PENDING, SENT, FAILED = "pending", "sent", "failed"
STATUSES = (PENDING, SENT, FAILED)
ERROR_LENGTH = 300

metadata = sa.MetaData()
bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("email", sa.String, nullable=False),
    sa.Column("phone", sa.String),
    sa.Column("service", sa.String, nullable=False),
    sa.Column("start_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("end_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.CheckConstraint(f"status IN ('{CONFIRMED}', '{CANCELLED}')", name="ck_bookings_status"),
    sa.CheckConstraint("end_at > start_at", name="ck_bookings_times"),
    sa.Index("ux_bookings_code", "code", unique=True),
    sa.Index("ux_bookings_reference", "reference", unique=True),
    sa.Index("ix_bookings_start", "start_at"),
    sa.Index("ix_bookings_phone", "phone"),
)
sa.Index("ix_bookings_email_lower", sa.func.lower(bookings.c.email))
booking_units = sa.Table(
    "booking_units",
    metadata,
    sa.Column("unit_start", sa.DateTime, nullable=False),  # naive UTC, on the slot grid
    sa.Column("seat", sa.Integer, nullable=False),
    sa.Column(
        "booking_id", sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
    ),
    # The capacity guard: a unique index on (unit_start, seat).
    sa.PrimaryKeyConstraint("unit_start", "seat", name="pk_booking_units"),
    sa.CheckConstraint("seat >= 0", name="ck_booking_units_seat"),
    sa.Index("ix_booking_units_booking", "booking_id"),
)
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("booking_id", sa.Integer, nullable=False),
    sa.Column("booking_code", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),  # the calendar entry's SEQUENCE
    sa.Column("snapshot", sa.Text, nullable=False),  # JSON, see Snapshot
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("last_error", sa.String(ERROR_LENGTH)),
    sa.CheckConstraint("kind IN ('booked', 'changed', 'cancelled')", name="ck_outbox_kind"),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_outbox_status"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_booking", "booking_id"),
)
# One row per failed proof by name and day against a booking (actions/storage/proofs.py): six
# within 24 hours lock proof by name for that booking for an hour. Added after the first
# release: `BookingStore.create_schema` creates it in an older database (create_all skips the
# tables that exist), so starting the new code on an old file is the migration.
proof_failures = sa.Table(
    "proof_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("booking_code", sa.String(16), nullable=False),
    sa.Column("failed_at", sa.DateTime, nullable=False),  # naive UTC
    sa.Index("ix_proof_failures_booking", "booking_code", "failed_at"),
)


def from_db(value: datetime) -> datetime:
    """A naive UTC time read from the database, made aware."""
    return value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Booking:
    code: str
    reference: str
    name: str
    email: str = field(repr=False)  # kept out of repr so a logged booking leaks no contact
    phone: str | None = field(repr=False)
    service: str
    start: datetime  # aware UTC
    end: datetime
    status: str  # CONFIRMED | CANCELLED
    created_at: datetime
    updated_at: datetime

    @classmethod
    def _from_row(cls, row: Row) -> Booking:
        m = row._mapping
        same = ("code", "reference", "name", "email", "phone", "service", "status")
        times = {
            "start": "start_at",
            "end": "end_at",
            "created_at": "created_at",
            "updated_at": "updated_at",
        }
        return cls(**{f: m[f] for f in same}, **{f: from_db(m[c]) for f, c in times.items()})
