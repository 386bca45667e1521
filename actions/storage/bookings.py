"""The bookings repository: bookings in a SQL database (SQLite by default, Postgres to scale out).

Theory of operation. Capacity is enforced by the database, not by a read-then-write check in
Python: the time line is cut into units of `slot_minutes` (the slot grid, `slot_grid.py`), and a
confirmed booking holds one row per unit it overlaps in `booking_units`, as (unit_start, seat)
with seat in 0..capacity-1. (unit_start, seat) is the primary key, a unique index, so two
bookings can never hold the same seat of the same unit, whatever the timing. To book, one short
transaction reads the seats taken on the wanted units, takes the lowest free seat of each and
inserts; a concurrent writer that took the same seat first makes the insert fail with a unique
violation, and the whole transaction is retried (it then sees the seat taken). A unit with no
free seat raises `SlotTaken`. Services of different lengths overlap correctly because they share
units. `slot_minutes` must be the same for every booking of one database (the profile's value).

`book` is an upsert keyed on the conversation's booking reference, so a re-submitted form is
harmless: same values → the existing booking, unchanged; changed values → the same booking (same
code) moved, its units swapped atomically; a full new time leaves the old booking as it was. A
cancelled booking booked again under its reference is re-confirmed (same code) if there is room.
Each booking, change and cancellation queues its confirmation mail in the same transaction
(`actions.storage.outbox`); an unchanged re-submit queues none.

Datetimes in and out are timezone-aware; the database holds naive UTC. Every call is one short
transaction and blocks: async callers run it in a thread. SQLite write transactions start with
BEGIN IMMEDIATE so concurrent writers queue on the busy timeout instead of failing "database is
locked". This module is not a scheduler (opening hours, alternatives live in scheduling) and never
logs emails or phone numbers.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError

from actions.booking import codes
from actions.booking.slot_grid import unit_starts
from actions.storage import outbox
from actions.storage.schema import (
    BOOKED,
    CANCELLED,
    CHANGED,
    CONFIRMED,
    Booking,
    booking_units,
    bookings,
    from_db,
    metadata,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # conflicting transactions retried; each round lets at least one writer win
_READ_ONLY = "booking_read_only"  # execution option: a SQLite reader starts with a plain BEGIN
_T = TypeVar("_T")


class StoreError(Exception):
    """The bookings store could not do what was asked."""


class SlotTaken(StoreError):
    """The requested time is full: some unit of it has no free seat."""


def _to_db(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: expected a timezone-aware datetime, got naive {value}")
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _is_conflict(error: DBAPIError) -> bool:
    """A unique violation, deadlock or serialization failure: worth retrying from the start."""
    if getattr(error.orig, "pgcode", None) in ("23505", "40001", "40P01"):
        return True
    return isinstance(error, IntegrityError) and "UNIQUE constraint failed" in str(error.orig)


class BookingStore:
    """Bookings in the database at `url`; pool_size/max_overflow size a server database's pool."""

    def __init__(
        self, url: str, *, pool_size: int | None = None, max_overflow: int | None = None
    ) -> None:
        self._sqlite = make_url(url).get_backend_name() == "sqlite"
        # Errors and logs name the statement, never its values (names, emails, phone numbers).
        options: dict[str, Any] = {"future": True, "hide_parameters": True}
        if self._sqlite:
            options["connect_args"] = {"timeout": 30}  # busy timeout: writers queue
        else:
            options["pool_pre_ping"] = True
            if pool_size is not None:
                options["pool_size"] = pool_size
            if max_overflow is not None:
                options["max_overflow"] = max_overflow
        self._engine = sa.create_engine(url, **options)
        if self._sqlite:
            _begin_immediate(self._engine)
        self._reader = self._engine.execution_options(**{_READ_ONLY: True})

    def create_schema(self) -> None:
        """Create missing tables and indexes; safe to call any number of times."""
        if self._sqlite and self._engine.url.database not in (None, "", ":memory:"):
            raw = self._engine.raw_connection()
            try:  # readers then never wait for a writer; persistent in the file
                raw.cursor().execute("PRAGMA journal_mode=WAL")
            finally:
                raw.close()
        try:
            with self._engine.begin() as conn:
                metadata.create_all(conn)
        except (IntegrityError, ProgrammingError):
            # Another process created the tables at the same moment (Postgres catalog race).
            with self._engine.begin() as conn:
                metadata.create_all(conn)

    def book(
        self,
        *,
        reference: str,
        name: str,
        email: str,
        phone: str | None,
        service: str,
        start: datetime,
        end: datetime,
        slot_minutes: int,
        capacity: int,
    ) -> Booking:
        """Create or update the booking for `reference` (see the module docstring).
        Raises SlotTaken when some unit of [start, end) has no free seat."""
        values = {
            "name": name,
            "email": email,
            "phone": phone or None,
            "service": service,
            "start_at": _to_db(start, "start"),
            "end_at": _to_db(end, "end"),
        }
        if not reference or len(reference) > 64:
            raise ValueError(f"expected a reference of 1-64 characters, got {len(reference or '')}")
        if not (name and email and service):
            raise ValueError("expected a name, an email and a service")
        if values["end_at"] <= values["start_at"]:
            raise ValueError(f"expected end after start, got {start} → {end}")
        if slot_minutes < 1 or 1440 % slot_minutes:
            raise ValueError(f"expected slot_minutes dividing a day, got {slot_minutes}")
        if capacity < 1:
            raise ValueError(f"expected a capacity of at least 1, got {capacity}")
        # Naive UTC like every time in the database.
        grid = unit_starts(values["start_at"], values["end_at"], slot_minutes)
        units = [unit.replace(tzinfo=None) for unit in grid]
        return self._retrying(lambda conn: self._book(conn, reference, values, units, capacity))

    def occupancy(self, start: datetime, end: datetime) -> dict[datetime, int]:
        """{unit start (aware UTC): confirmed bookings holding it} for units starting in
        [start, end); a unit nobody holds is absent."""
        lo, hi = _to_db(start, "start"), _to_db(end, "end")
        unit = booking_units.c.unit_start
        query = (
            sa.select(unit, sa.func.count())
            .join(bookings, bookings.c.id == booking_units.c.booking_id)
            .where(unit >= lo, unit < hi, bookings.c.status == CONFIRMED)
            .group_by(unit)
        )
        with self._reader.begin() as conn:
            return {from_db(u): n for u, n in conn.execute(query)}

    def get(self, code: str) -> Booking | None:
        return self._one(bookings.c.code == _code_key(code))

    def get_by_reference(self, reference: str) -> Booking | None:
        return self._one(bookings.c.reference == reference)

    def list_bookings(
        self,
        *,
        status: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        since: datetime | None = None,
    ) -> list[Booking]:
        """Bookings by start time; `email` matches case-insensitively, `since` on the start."""
        query = sa.select(bookings).order_by(bookings.c.start_at, bookings.c.id)
        if status is not None:
            if status not in (CONFIRMED, CANCELLED):
                raise ValueError(f"expected status {CONFIRMED!r} or {CANCELLED!r}, got {status!r}")
            query = query.where(bookings.c.status == status)
        if email is not None:
            query = query.where(sa.func.lower(bookings.c.email) == email.strip().lower())
        if phone is not None:
            query = query.where(bookings.c.phone == phone)
        if since is not None:
            query = query.where(bookings.c.start_at >= _to_db(since, "since"))
        with self._reader.begin() as conn:
            return [Booking._from_row(row) for row in conn.execute(query)]

    def cancel(self, code: str) -> Booking | None:
        """Mark the booking cancelled and free its units; None for an unknown code. The row is
        kept; cancelling again changes nothing."""
        return self._retrying(lambda conn: self._cancel(conn, _code_key(code)))

    def dispose(self) -> None:
        self._engine.dispose()

    def transaction(self, work: Callable[[Connection], _T]) -> _T:
        """Run `work(conn)` as one write transaction, retried from the start on a conflict; for
        sibling modules that own tables of this database (outbox sender, purge)."""
        return self._retrying(work)

    def read(self, work: Callable[[Connection], _T]) -> _T:
        """Run `work(conn)` in a read-only transaction (never queues behind SQLite writers)."""
        with self._reader.begin() as conn:
            return work(conn)

    # -- one transaction each ------------------------------------------------------------------

    def _retrying(self, work: Callable[[Connection], _T]) -> _T:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._engine.begin() as conn:
                    return work(conn)
            except DBAPIError as error:
                if not _is_conflict(error):
                    raise
                if attempt == MAX_ATTEMPTS:
                    raise StoreError(f"gave up after {attempt} conflicting attempts") from error
                time.sleep(random.uniform(0, 0.005 * attempt))  # de-synchronise the losers
        raise AssertionError("unreachable")

    def _book(
        self,
        conn: Connection,
        reference: str,
        values: dict[str, Any],
        units: list[datetime],
        capacity: int,
    ) -> Booking:
        now = _utcnow()
        # FOR UPDATE (Postgres) serialises a change against a concurrent cancel of this booking.
        row = conn.execute(
            sa.select(bookings).where(bookings.c.reference == reference).with_for_update()
        ).first()
        if (
            row is not None
            and row.status == CONFIRMED
            and all(row._mapping[key] == value for key, value in values.items())
        ):
            return Booking._from_row(row)  # a re-submit: nothing to do
        if row is not None:  # its own old units must not count against its new time
            conn.execute(sa.delete(booking_units).where(booking_units.c.booking_id == row.id))
        seats = _free_seats(conn, units, capacity)  # SlotTaken rolls all of this back
        if row is None:
            booking_id = conn.execute(
                sa.insert(bookings).values(
                    code=_unused_code(conn),
                    reference=reference,
                    status=CONFIRMED,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            ).inserted_primary_key[0]
            action = "confirmed"
        else:
            booking_id = row.id
            conn.execute(
                sa.update(bookings)
                .where(bookings.c.id == booking_id)
                .values(status=CONFIRMED, updated_at=now, **values)
            )
            action = "updated" if row.status == CONFIRMED else "re-confirmed"
        conn.execute(
            sa.insert(booking_units),
            [
                {"unit_start": unit, "seat": seat, "booking_id": booking_id}
                for unit, seat in zip(units, seats, strict=True)
            ],
        )
        booking = Booking._from_row(
            conn.execute(sa.select(bookings).where(bookings.c.id == booking_id)).one()
        )
        moved = row is not None and row.start_at != values["start_at"]
        kind = CHANGED if action == "updated" else BOOKED
        snapshot = outbox.Snapshot.of(booking, from_db(row.start_at) if moved else None)
        outbox.record(conn, kind, booking_id, snapshot, from_db(now))
        # The code proves a booking (docs/trust.md): logs name the reference, never the code.
        logger.info("booking %s (reference %s)", action, reference[:8])
        return booking

    def _cancel(self, conn: Connection, code: str) -> Booking | None:
        query = sa.select(bookings).where(bookings.c.code == code)
        row = conn.execute(query.with_for_update()).first()
        if row is None:
            return None
        conn.execute(sa.delete(booking_units).where(booking_units.c.booking_id == row.id))
        booking = Booking._from_row(row)
        if row.status != CANCELLED:
            now = _utcnow()
            conn.execute(
                sa.update(bookings)
                .where(bookings.c.id == row.id)
                .values(status=CANCELLED, updated_at=now)
            )
            booking = Booking._from_row(conn.execute(query).one())
            snapshot = outbox.Snapshot.of(booking)
            outbox.record(conn, CANCELLED, row.id, snapshot, from_db(now))
            logger.info("booking cancelled (reference %s)", booking.reference[:8])
        return booking

    def _one(self, condition: Any) -> Booking | None:
        with self._reader.begin() as conn:
            row = conn.execute(sa.select(bookings).where(condition)).first()
        return Booking._from_row(row) if row is not None else None


def _free_seats(conn: Connection, units: list[datetime], capacity: int) -> list[int]:
    """The lowest free seat of each unit, or SlotTaken."""
    taken: dict[datetime, set[int]] = {}
    query = sa.select(booking_units.c.unit_start, booking_units.c.seat).where(
        booking_units.c.unit_start.in_(units)
    )
    for unit, seat in conn.execute(query):
        taken.setdefault(unit, set()).add(seat)
    seats = []
    for unit in units:
        used = taken.get(unit, set())
        free = next((seat for seat in range(capacity) if seat not in used), None)
        if free is None or len(used) >= capacity:  # len: capacity may have been lowered since
            raise SlotTaken(f"{from_db(unit).isoformat()} is full ({len(used)}/{capacity})")
        seats.append(free)
    return seats


def _unused_code(conn: Connection) -> str:
    # The unique index still decides under concurrency; this only avoids a wasted round.
    for _ in range(MAX_ATTEMPTS):
        code = codes.new_code()
        if conn.execute(sa.select(bookings.c.id).where(bookings.c.code == code)).first() is None:
            return code
    raise StoreError("could not draw an unused confirmation code")


def _code_key(code: str) -> str:
    return codes.normalise_code(code) or code.strip().upper()


def _begin_immediate(engine: Any) -> None:
    """pysqlite's own BEGIN is deferred (the lock is taken at the first write, where a busy
    database fails at once); switch it off and emit BEGIN IMMEDIATE, which waits on the busy
    timeout. Readers (the _READ_ONLY option) keep a deferred BEGIN so they never queue."""

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_stores: dict[str, BookingStore] = {}
_stores_lock = threading.Lock()
_VAR = Path(__file__).resolve().parents[2] / "var"


def default_url() -> str:
    """sqlite:///<repo root>/var/bookings.db"""
    return f"sqlite:///{_VAR / 'bookings.db'}"


def url_from_env() -> str:
    """BOOKING_DB_URL, else `default_url()` (its var/ directory created)."""
    url = os.environ.get("BOOKING_DB_URL") or default_url()
    if url == default_url():
        _VAR.mkdir(exist_ok=True)
    return url


def store_from_env() -> BookingStore:
    """The store at `url_from_env()`, one per URL per process, its schema created on first use.
    A failure is not cached: the next call tries again."""
    url = url_from_env()
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = BookingStore(url)
            try:
                store.create_schema()
            except Exception:
                store.dispose()
                raise
            _stores[url] = store
        return store
