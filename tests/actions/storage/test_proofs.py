"""Failed proofs per booking (the lock on proof by name), and the migration that adds their table
to a database made by the first schema; on SQLite and on Postgres (`db_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from actions.booking.caller_bookings import REACH, name_locked
from actions.storage import proofs
from actions.storage.bookings import BookingStore
from actions.storage.purge import purge_before

UTC = timezone.utc
NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Iterator[BookingStore]:
    store = BookingStore(db_url)
    store.create_schema()
    yield store
    store.dispose()


def recent(store: BookingStore, codes, now=NOW) -> dict[str, list[datetime]]:
    return store.read(lambda conn: proofs.recent(conn, codes, now))


def record(store: BookingStore, codes, at) -> int:
    return store.transaction(lambda conn: proofs.record(conn, codes, at))


def test_failures_are_kept_per_booking_and_read_back_oldest_first(store):
    record(store, ["AAAAA", "BBBBB"], NOW - timedelta(hours=2))
    record(store, ["AAAAA"], NOW - timedelta(hours=1))
    found = recent(store, ["AAAAA", "BBBBB", "CCCCC"])
    assert found == {
        "AAAAA": [NOW - timedelta(hours=2), NOW - timedelta(hours=1)],
        "BBBBB": [NOW - timedelta(hours=2)],
        "CCCCC": [],
    }
    assert record(store, [], NOW) == 0 and recent(store, []) == {}


def test_six_recorded_failures_lock_and_the_lock_is_read_from_the_database(store, db_url):
    for minutes in range(6):
        record(store, ["AAAAA"], NOW - timedelta(minutes=50 - minutes))
    other = BookingStore(db_url)  # another process, or the same after a restart
    try:
        failures = other.read(lambda conn: proofs.recent(conn, ["AAAAA"], NOW))["AAAAA"]
    finally:
        other.dispose()
    assert name_locked(failures, NOW)
    assert not name_locked(failures, NOW + timedelta(hours=1))


def test_failures_older_than_their_reach_are_not_read_and_are_pruned_on_record(store):
    record(store, ["AAAAA"], NOW - REACH - timedelta(minutes=1))
    assert recent(store, ["AAAAA"]) == {"AAAAA": []}
    record(store, ["AAAAA"], NOW)
    count = store.read(
        lambda conn: conn.execute(sa.text("SELECT count(*) FROM proof_failures")).scalar()
    )
    assert count == 1


def test_purge_deletes_the_failures_that_can_lock_nothing_any_more(store):
    record(store, ["AAAAA"], datetime.now(UTC) - REACH - timedelta(hours=1))
    record(store, ["BBBBB"], datetime.now(UTC) - timedelta(minutes=5))
    counts = store.transaction(lambda conn: purge_before(conn, datetime.now(UTC)))
    assert counts.proof_failures == 1
    left = recent(store, ["AAAAA", "BBBBB"], datetime.now(UTC))
    assert left["AAAAA"] == [] and len(left["BBBBB"]) == 1


def test_naive_times_are_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        record(store, ["AAAAA"], NOW.replace(tzinfo=None))


# -- the migration -------------------------------------------------------------------------------

# The tables as the first release (before proof_failures) created them: a copy of
# actions/storage/schema.py at that commit, so the test keeps meaning what it says.
OLD = sa.MetaData()
old_bookings = sa.Table(
    "bookings",
    OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("name", sa.String, nullable=False),
    sa.Column("email", sa.String, nullable=False),
    sa.Column("phone", sa.String),
    sa.Column("service", sa.String, nullable=False),
    sa.Column("start_at", sa.DateTime, nullable=False),
    sa.Column("end_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.CheckConstraint("status IN ('confirmed', 'cancelled')", name="ck_bookings_status"),
    sa.CheckConstraint("end_at > start_at", name="ck_bookings_times"),
    sa.Index("ux_bookings_code", "code", unique=True),
    sa.Index("ux_bookings_reference", "reference", unique=True),
    sa.Index("ix_bookings_start", "start_at"),
    sa.Index("ix_bookings_phone", "phone"),
)
sa.Index("ix_bookings_email_lower", sa.func.lower(old_bookings.c.email))
sa.Table(
    "booking_units",
    OLD,
    sa.Column("unit_start", sa.DateTime, nullable=False),
    sa.Column("seat", sa.Integer, nullable=False),
    sa.Column(
        "booking_id", sa.Integer, sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False
    ),
    sa.PrimaryKeyConstraint("unit_start", "seat", name="pk_booking_units"),
    sa.CheckConstraint("seat >= 0", name="ck_booking_units_seat"),
    sa.Index("ix_booking_units_booking", "booking_id"),
)
sa.Table(
    "outbox",
    OLD,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("booking_id", sa.Integer, nullable=False),
    sa.Column("booking_code", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.DateTime, nullable=False),
    sa.Column("claimed_by", sa.String(64)),
    sa.Column("claimed_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.Column("last_error", sa.String(300)),
    sa.CheckConstraint("kind IN ('booked', 'changed', 'cancelled')", name="ck_outbox_kind"),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_outbox_status"),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_booking", "booking_id"),
)


def test_the_new_store_migrates_a_database_made_by_the_first_schema(db_url):
    engine = sa.create_engine(db_url)
    start = datetime(2030, 3, 4, 10, 0)
    try:
        with engine.begin() as conn:
            OLD.create_all(conn)
            conn.execute(
                sa.insert(old_bookings).values(
                    code="K7P2Q",
                    reference="ref-old",
                    name="Tom Taylor",
                    email="tom.taylor@example.com",
                    phone=None,
                    service="Haircut",
                    start_at=start,
                    end_at=start + timedelta(minutes=45),
                    status="confirmed",
                    created_at=start - timedelta(days=3),
                    updated_at=start - timedelta(days=3),
                )
            )
        assert "proof_failures" not in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()

    for _ in range(2):  # the start-up of the new store, twice: the second is a no-op
        store = BookingStore(db_url)
        try:
            store.create_schema()
            booking = store.get("K7P2Q")
            assert booking is not None and booking.name == "Tom Taylor"
            assert booking.start == start.replace(tzinfo=UTC) and booking.status == "confirmed"
            record(store, ["K7P2Q"], NOW)
            assert len(recent(store, ["K7P2Q"])["K7P2Q"]) in (1, 2)
        finally:
            store.dispose()

    engine = sa.create_engine(db_url)
    try:
        inspector = sa.inspect(engine)
        assert "proof_failures" in inspector.get_table_names()
        indexes = {i["name"] for i in inspector.get_indexes("proof_failures")}
        assert "ix_proof_failures_booking" in indexes
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM bookings")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM proof_failures")).scalar() == 2
    finally:
        engine.dispose()
