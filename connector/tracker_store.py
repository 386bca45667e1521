"""Rasa's SQL tracker store, made strict: it is used as configured, or the server stops.

Rasa silently degrades when its tracker store is unusable: an unreachable SQL database makes
`SQLTrackerStore` retry forever (every 5 s, the server never comes up), and once running, the
agent wraps the store in `FailSafeTrackerStore`, which quietly keeps conversations in memory.
For a phone assistant both are worse than a clear failure: calls would be answered with no
memory, and lost on restart. This store checks the database before Rasa touches it, with a
bounded wait, and ends the process with a message naming the URL (password masked).

Once running, a database restart must not cost a conversation. Rasa's own engine has no
`pool_pre_ping`, so after a restart the first query on each pooled connection fails; a failed
read makes Rasa's fail-safe wrapper start the call's conversation afresh (the form and its
slots gone; tests/faults/test_postgres_restart.py). So this store pings connections
before use, and retries a read or a save that failed on a lost connection for a few seconds
(`TRACKER_STORE_RETRY_SECONDS`, default 5), waiting with asyncio so the event loop, and with it
every other call's pings, goes on meanwhile.

A database down for longer than that must not cost the conversation either. Rasa's fail-safe wrapper
answers a failed read with "no such conversation", so each turn during the outage would run on a
new, empty conversation (the caller's "pia at example dot com" answered as if the call had just
begun) and be saved nowhere but in memory. For this store the wrapper lets a failed read fail the
turn instead: the Retell channel says its "something went wrong, could you say that again?" and
nothing runs on an empty conversation; once the database is back, the call goes on where it was
(tests/faults/test_postgres_restart.py). A save that fails past the retries comes after the caller
has heard the turn's answer: the unsaved tracker is kept, the call's next read goes on from it
(while the database holds nothing newer for the call) and the next save writes both turns, so the
next turn does not run on the older state and ask again for what the caller just said.

Configured in `endpoints.yml` as `type: connector.tracker_store.StrictSQLTrackerStore`; the URL
comes from `TRACKER_STORE_URL` (any SQLAlchemy URL), default SQLite under the repository's `var/`.

This module is a Rasa server plug-in, not Retell protocol code: it lives in `connector/` because
`connector/` is the package loaded into the Rasa server process (it never imports `actions`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.orm import sessionmaker

from common import logsafe

# The Rasa server loads this store at start (endpoints.yml): from then on no log line of the
# process carries an email or phone number in clear, a database error's quoted values included.
logsafe.install()
logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"
# How long start-up waits for the database (a container may still be starting).
DEFAULT_WAIT_SECONDS = 10.0
# How long a read or save that lost its connection is retried (long enough for a quick restart).
DEFAULT_RETRY_SECONDS = 5.0
EXIT_CODE = 3
RECENT_TRACKERS = 1000  # trackers kept after their save: the next read, the per-turn summary
_T = TypeVar("_T")


class TrackerStoreUnavailable(RuntimeError):
    """The configured tracker store cannot be used."""


def tracker_store_url(configured: str | None = None) -> str:
    """The URL in force: TRACKER_STORE_URL, else the endpoints.yml `url`, else the default."""
    return os.environ.get("TRACKER_STORE_URL") or configured or DEFAULT_URL


def safe_url(url: str) -> str:
    """The URL with its password hidden, fit for a log line."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported as such, never echoed with secrets
        return "<unparsable URL>"


def check_reachable(url: str, wait_seconds: float) -> None:
    """Open one connection to `url`, retrying until `wait_seconds` have passed.

    Raises TrackerStoreUnavailable with the last error when the database cannot be reached.
    """
    try:
        parsed = sa.engine.make_url(url)
    except Exception as error:
        raise TrackerStoreUnavailable(f"TRACKER_STORE_URL is not a database URL: {error}") from None
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(min(wait_seconds, 5)))
    elif parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args=connect_args, poolclass=sa.pool.NullPool)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(sa.text("SELECT 1"))
                return
            except Exception as error:  # any driver error means "not usable"
                if time.monotonic() >= deadline:
                    reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
                    raise TrackerStoreUnavailable(
                        f"cannot use the tracker store at {safe_url(url)}: {reason}"
                    ) from None
                time.sleep(0.5)
    finally:
        engine.dispose()


def is_transient(error: BaseException) -> bool:
    """A lost or refused connection (a restarting server), worth trying again."""
    return isinstance(error, sa.exc.OperationalError) or (
        isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated
    )


def latest_session(events: Iterable[Event]) -> list[Event]:
    """The events Rasa's SQL store reads back for a call: those stamped at or after its latest
    `SessionStarted` (Rasa's own query filters on the timestamp), or all when there is none."""
    events = list(events)
    starts = [e.timestamp for e in events if isinstance(e, SessionStarted)]
    if not starts:
        return events
    start = max(starts)
    return [e for e in events if e.timestamp >= start]


def engine_kwargs(url: sa.engine.URL) -> dict[str, Any]:
    """Rasa's engine options, plus a connection pool for an SQLite file. SQLAlchemy 1.4 gives a
    file NullPool: a new connection per read or save, and with write-ahead logging (below) the
    last connection's close checkpoints and deletes the log, so every save rebuilds it. Pooled
    connections keep it open; they are shared between threads (the turn thread and Sanic's),
    one user at a time, which the pool guarantees. A failed statement's error (logged by Rasa's
    fail-safe wrapper and by the turn) names the statement, never its values: the events hold
    what callers said, emails and phone numbers included."""
    kwargs = create_engine_kwargs(url)
    kwargs["hide_parameters"] = True
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        kwargs.update(
            poolclass=sa.pool.QueuePool,
            pool_size=5,
            max_overflow=10,
            connect_args={"check_same_thread": False},
        )
    return kwargs


def sqlite_pragmas(connection: Any, _: Any) -> None:
    """Write-ahead logging for the embedded SQLite store. In its default (rollback journal,
    synchronous=FULL) mode every tracker save creates, syncs and deletes a journal file. With
    WAL, a commit appends to one log, and synchronous=NORMAL syncs it at checkpoints: a crash of
    the process loses nothing; a power cut may lose the last turns' trackers, never the
    database. Readers do not wait on the writer either."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def event_row(sender_id: str, event: Event) -> dict[str, Any]:
    """The `events` row Rasa's `SQLTrackerStore.save` writes for `event`, column for column."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


@dataclass(frozen=True)
class Saved:
    """What this process knows of a call after saving it: the tracker saved (never changed
    afterwards: Rasa builds a new tracker object for every turn), the newest event id the
    database held for the call right after the save, and how many events the database holds
    for the call's latest session (the count Rasa's save queries for). That count is the
    length of the saved tracker's latest session, on the assumption Rasa's own save makes:
    a tracker's first events are the ones already stored. After a save that failed (the
    database down past the retries) the tracker is the unsaved one and the id and count are
    still those of the last save that landed: its events past `stored` are not written yet."""

    tracker: Any
    last_id: int | None
    stored: int


def continues(kept: Saved | None, tracker: Any) -> bool:
    """Whether `tracker` is `kept`'s call plus new events in the same session: then the database
    holds `kept.stored` of its latest session's events (as long as its newest id is unchanged)."""
    if kept is None or kept.last_id is None:
        return False
    events = list(tracker.events)
    return len(events) >= kept.stored and not any(
        isinstance(event, SessionStarted) for event in events[kept.stored :]
    )


class StrictSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that refuses to start on an unusable database instead of hanging, and
    rides out a database restart once running (see the module docstring)."""

    def __init__(
        self,
        domain: Any = None,
        host: str | None = None,
        event_broker: Any = None,
        url: str | None = None,
        wait_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        resolved = tracker_store_url(url or host)
        wait = float(
            wait_seconds
            if wait_seconds is not None
            else os.environ.get("TRACKER_STORE_WAIT_SECONDS", DEFAULT_WAIT_SECONDS)
        )
        try:
            check_reachable(resolved, wait)
        except TrackerStoreUnavailable as error:
            message = (
                f"FATAL: {error}. Rasa would otherwise run with no conversation memory. "
                "Fix TRACKER_STORE_URL (see docs/configuration.md) and start again."
            )
            logger.critical(message)
            print(message, file=sys.stderr, flush=True)
            # Raised inside Sanic's start-up listener, an exception would leave a server with no
            # agent answering 500s; exiting is the only honest outcome.
            os._exit(EXIT_CODE)
        logger.info("Tracker store: %s", safe_url(resolved))
        fail_reads_of_strict_stores()  # the agent wraps this store next
        self.retry_seconds = float(
            os.environ.get("TRACKER_STORE_RETRY_SECONDS", DEFAULT_RETRY_SECONDS)
        )
        # Rasa's SQLTrackerStore accepts a complete URL in `host`.
        super().__init__(domain=domain, host=resolved, event_broker=event_broker, **kwargs)
        # Rasa builds its engine without pool_pre_ping: after a database restart every pooled
        # connection is dead and the first query on it fails. Same engine, pinged before use.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
        self.sessionmaker = sessionmaker(bind=self.engine)
        events = self.SQLEvent.__table__
        self._events = events
        self._newest_id_query = sa.select(sa.func.max(events.c.id)).where(
            events.c.sender_id == sa.bindparam("sender_id")
        )
        self._recent: OrderedDict[str, Saved] = OrderedDict()  # by sender id, newest last

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[_T]]) -> _T:
        """`operation`, tried again on a lost connection until `retry_seconds` have passed. A
        save is safe to repeat: it writes only the events the database does not hold yet."""
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.1
        while True:
            try:
                return await operation()
            except sa.exc.DBAPIError as error:
                if not is_transient(error) or time.monotonic() + delay > deadline:
                    raise
                reason = str(getattr(error, "orig", error)).strip().splitlines()[:1]
                logger.warning(
                    "tracker store: %s failed (%s); trying again",
                    what,
                    reason[0] if reason else type(error).__name__,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def retrieve(self, sender_id: str) -> Any:
        return await self._retrying("a read", lambda: self._retrieve_latest(sender_id))

    async def _retrieve_latest(self, sender_id: str) -> Any:
        """The call's tracker, rebuilt from the events this process saved last when the database
        holds nothing newer for the call, else read as Rasa does.

        Rasa's read fetches every event of the session, parses its JSON and builds the event
        objects, on every turn. The events are append-only and our save was the last write exactly
        when the newest event id for the call is still the one seen after that save (one indexed
        query), whichever replica or process wrote since; Rasa's conversation lock keeps other
        writes to the call out of the gap between a save and its id query. The events are then those
        of the session as saved, replayed into a new tracker, as Rasa's read does (events are never
        changed once made; Rasa's own `tracker.copy()` shares them)."""
        kept = self._recent.get(sender_id)
        if kept is not None and kept.last_id is not None and self.domain is not None:
            if self._last_event_id(sender_id) == kept.last_id:
                return DialogueStateTracker.from_events(
                    sender_id, latest_session(kept.tracker.events), self.domain.slots
                )
        return await super().retrieve(sender_id)

    async def retrieve_full_tracker(self, conversation_id: str) -> Any:
        return await self._retrying(
            "a read",
            lambda: super(StrictSQLTrackerStore, self).retrieve_full_tracker(conversation_id),
        )

    async def save(self, tracker: Any) -> None:
        kept = self._recent.pop(tracker.sender_id, None)  # until this save is known to have landed
        try:
            last_id = await self._retrying("a save", lambda: self._save(tracker, kept))
        except sa.exc.DBAPIError as error:
            if is_transient(error) and continues(kept, tracker):
                # The caller has heard this turn. Kept with what the database still holds (its
                # newest id and count), so the next read goes on from it as long as nothing
                # else wrote, and the next save writes this turn's events with its own.
                self._keep(Saved(tracker, kept.last_id, kept.stored))  # type: ignore[union-attr]
                logger.error(
                    "tracker store: call %s: a turn could not be saved; kept in memory "
                    "and written with the next save",
                    tracker.sender_id,
                )
            raise
        # Kept for the next read and save (above, below) and for the Retell channel's per-turn
        # summary (route, slots changed), which would otherwise read the call again.
        self._keep(Saved(tracker, last_id, len(latest_session(tracker.events))))

    def _keep(self, saved: Saved) -> None:
        sender_id = saved.tracker.sender_id
        self._recent[sender_id] = saved
        self._recent.move_to_end(sender_id)
        while len(self._recent) > RECENT_TRACKERS:
            self._recent.popitem(last=False)

    async def _save(self, tracker: Any, kept: Saved | None) -> int | None:
        """Rasa's save, and the newest event id after it (None if that query failed).

        Rasa's save first counts the events stored for the call's latest session (a query with a
        subquery on session starts), then writes the tracker's events past that count. When our
        save was the last write for the call (the newest event id unchanged since it), that
        count is the one known from it, so only the new events are written: one indexed query
        and one insert, in one transaction, on SQLAlchemy Core. The rows are Rasa's, column for
        column, and any doubt goes to Rasa's own save."""
        sender_id = tracker.sender_id
        if kept is not None and kept.last_id is not None:
            with self.engine.begin() as connection:
                if self._newest_id(connection, sender_id) == kept.last_id:
                    await self.stream_events(tracker)  # as Rasa's save does, before writing
                    rows = [
                        event_row(sender_id, event)
                        for event in itertools.islice(tracker.events, kept.stored, None)
                    ]
                    if rows:
                        connection.execute(self._events.insert(), rows)
                    return self._newest_id(connection, sender_id)
        await super().save(tracker)
        try:
            return self._last_event_id(sender_id)
        except sa.exc.DBAPIError:
            return None  # saved, but the next read and save go to the database

    def _newest_id(self, connection: Any, sender_id: str) -> int | None:
        return connection.execute(self._newest_id_query, {"sender_id": sender_id}).scalar()

    def _last_event_id(self, sender_id: str) -> int | None:
        with self.engine.connect() as connection:
            return self._newest_id(connection, sender_id)

    def recently_saved(self, sender_id: str) -> Any | None:
        """The tracker this process saved last for `sender_id`, if still kept (else None)."""
        kept = self._recent.get(sender_id)
        return kept.tracker if kept is not None else None


def _read_or_fail(name: str) -> Callable[..., Awaitable[Any]]:
    """`FailSafeTrackerStore.<name>` (a read), except that a read of this store that failed
    (after its retries) raises instead of answering "no such conversation" (see the module
    docstring). Other stores keep Rasa's behaviour."""
    failsafe = getattr(FailSafeTrackerStore, name)

    async def read(self: FailSafeTrackerStore, sender_id: str) -> Any:
        if isinstance(self._tracker_store, StrictSQLTrackerStore):
            return await getattr(self._tracker_store, name)(sender_id)
        return await failsafe(self, sender_id)

    read.fails_strict_reads = True  # type: ignore[attr-defined]
    return read


def fail_reads_of_strict_stores() -> None:
    """A fault fix, not a speed patch: always on once a strict store exists, whatever
    RASA_PATCHES says. Rasa's agent wraps every tracker store in `FailSafeTrackerStore`
    (`Agent._create_tracker_store`), so the wrapper's reads are where a failed read of this
    store must fail the turn; done when the first strict store is made, once."""
    for name in ("retrieve", "retrieve_full_tracker"):
        if not getattr(getattr(FailSafeTrackerStore, name), "fails_strict_reads", False):
            setattr(FailSafeTrackerStore, name, _read_or_fail(name))
