"""The outbox sender: `python -m actions.mail.sender` delivers queued confirmation mails.

Theory of operation. A loop: claim one due mail with a lease (`outbox.claim`, a short
transaction), render it (`confirmation.compose`, pure), send it (`smtp.deliver`, the only I/O
besides the
database), then record the outcome in a second short transaction. No transaction is open while
SMTP talks, so bookings never wait for confirmation. Outcomes:
- delivered → `sent`;
- a transient failure (SMTP down, timeout, 4xx, refused login) → retried with exponential backoff
  and jitter, `retry_min` doubling up to `retry_max`, for as long as it takes: a booking's mail is
  never dropped because SMTP was down;
- a permanent refusal of the recipient or message (5xx), or a row that cannot make a valid
  message → `failed` at once, listed by `booking-admin outbox --status failed`.
Each mail is claimed by one sender at a time, so any number of senders can run. The lease (5
minutes, far more than one delivery's timeouts) only expires when its sender died or hung: then
another sender sends again, the one path to a duplicate. The stable Message-ID makes it
recognisable. A database error is logged and retried after the poll interval: the sender stays
up while the database restarts.

SIGTERM or SIGINT stops the loop after the current mail (a send is bounded by the SMTP timeout).
Logs name the outbox row and booking code, never an address or phone number. Exit codes:
0 stopped, 2 bad configuration (SMTP_URL, SMTP_FROM, the profile, a poll or retry variable),
3 bookings database unreachable at start.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Protocol

from actions.booking.profile import BusinessProfile, ProfileError, load_profile
from actions.mail import confirmation, smtp
from actions.storage import outbox
from actions.storage.bookings import BookingStore, store_from_env
from common import logsafe
from common.logsafe import mask_email, scrub

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_STORE_DOWN = 0, 2, 3
DEFAULT_LEASE = timedelta(minutes=5)


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver or raise smtp.TransientSmtpError / smtp.PermanentSmtpError."""


@dataclass(frozen=True)
class SmtpTransport:
    config: smtp.SmtpConfig
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = None  # None: the system's trust store

    def send(self, message: EmailMessage) -> None:
        smtp.deliver(self.config, message, timeout=self.timeout, ssl_context=self.ssl_context)


@dataclass(frozen=True)
class Settings:
    from_address: str
    poll_seconds: float = 1.0
    retry_min_seconds: float = 5.0
    retry_max_seconds: float = 300.0
    lease: timedelta = DEFAULT_LEASE

    def __post_init__(self) -> None:
        if not 0 < self.poll_seconds <= 3600:
            raise ValueError(f"OUTBOX_POLL_SECONDS: expected 0-3600, got {self.poll_seconds}")
        if not 0 < self.retry_min_seconds <= self.retry_max_seconds:
            raise ValueError(
                "OUTBOX_RETRY_MIN_SECONDS, OUTBOX_RETRY_MAX_SECONDS: expected 0 < min <= max, "
                f"got {self.retry_min_seconds} and {self.retry_max_seconds}"
            )
        confirmation.domain_of(self.from_address)  # ValueError names the problem


def backoff(attempts: int, low: float, high: float, jitter: float) -> float:
    """Seconds before the next try after `attempts` failures: low, 2·low, 4·low, ... capped at
    `high`, then scaled into [50 %, 100 %] by `jitter` ∈ [0, 1) so senders that failed together
    do not all retry in the same instant."""
    base = min(high, low * 2 ** min(max(attempts - 1, 0), 30))
    return base * (0.5 + jitter / 2)


class OutboxSender:
    """One sender. `run_once()` handles at most one mail; `run(stop)` loops until `stop` is set."""

    def __init__(
        self,
        store: BookingStore,
        transport: Transport,
        settings: Settings,
        *,
        profile: Callable[[], BusinessProfile] = load_profile,
        worker: str | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.transport = transport
        self.settings = settings
        self.profile = profile  # read per mail: load_profile() picks up an edited file
        self.worker = worker or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self._now = now
        self._jitter = jitter
        # Sent, but the database failed before it was recorded: recorded first thing next time,
        # so a database hiccup does not turn into a duplicate when the lease runs out.
        self._unrecorded: list[int] = []

    def run_once(self) -> bool:
        """Claim and handle one due mail; False when none was due."""
        while self._unrecorded:
            self._record_sent(self._unrecorded[0])
            self._unrecorded.pop(0)
        claimed = self.store.transaction(
            lambda conn: outbox.claim(conn, self.worker, self._now(), self.settings.lease)
        )
        if not claimed:
            return False
        self._handle(claimed[0])
        return True

    def run(self, stop: threading.Event) -> None:
        logger.info("outbox sender %s started", self.worker)
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception as error:  # mostly the database going away: wait, try again
                logger.error(
                    "outbox: %s (%s); trying again",
                    type(error).__name__,
                    scrub(str(error).splitlines()[0] if str(error) else ""),
                )
                busy = False
            if not busy:
                stop.wait(self.settings.poll_seconds)
        logger.info("outbox sender %s stopped", self.worker)

    def _handle(self, row: outbox.OutboxMail) -> None:
        try:
            message = confirmation.compose(row, self.profile(), self.settings.from_address)
        except ValueError as error:
            self._fail(row, f"cannot render: {scrub(str(error))}")
            return
        try:
            self.transport.send(message)
        except smtp.PermanentSmtpError as error:
            self._fail(row, scrub(str(error)))
            return
        except smtp.TransientSmtpError as error:
            self._retry(row, scrub(str(error)))
            return
        logger.info("outbox %d (%s): sent, attempt %d", row.id, row.kind, row.attempts + 1)
        try:
            self._record_sent(row.id)
        except Exception:
            self._unrecorded.append(row.id)
            raise

    def _record_sent(self, mail_id: int) -> None:
        ours = self.store.transaction(
            lambda conn: outbox.mark_sent(conn, mail_id, self.worker, self._now())
        )
        if not ours:
            logger.warning(
                "outbox %d: our lease had expired before it was recorded as sent", mail_id
            )

    def _retry(self, row: outbox.OutboxMail, error: str) -> None:
        attempts = row.attempts + 1
        delay = backoff(
            attempts,
            self.settings.retry_min_seconds,
            self.settings.retry_max_seconds,
            self._jitter(),
        )
        when = self._now() + timedelta(seconds=delay)
        self.store.transaction(
            lambda conn: outbox.mark_retry(conn, row.id, self.worker, error, when)
        )
        logger.warning(
            "outbox %d (%s): attempt %d failed (%s); next in %.1f s",
            row.id,
            row.kind,
            attempts,
            error,
            delay,
        )

    def _fail(self, row: outbox.OutboxMail, error: str) -> None:
        self.store.transaction(lambda conn: outbox.mark_failed(conn, row.id, self.worker, error))
        logger.error("outbox %d (%s): given up (%s)", row.id, row.kind, error)


def settings_from_env(config: smtp.SmtpConfig) -> Settings:
    """SMTP_FROM (default: the SMTP user when it is an email address) and the OUTBOX_* knobs."""
    from_address = os.environ.get("SMTP_FROM", "").strip()
    if not from_address:
        if not (config.user and "@" in config.user):
            raise ValueError("SMTP_FROM: expected the sender address, e.g. bookings@example.com")
        from_address = config.user
    numbers = {}
    for name, key, default in (
        ("OUTBOX_POLL_SECONDS", "poll_seconds", 1.0),
        ("OUTBOX_RETRY_MIN_SECONDS", "retry_min_seconds", 5.0),
        ("OUTBOX_RETRY_MAX_SECONDS", "retry_max_seconds", 300.0),
    ):
        raw = os.environ.get(name, "").strip()
        try:
            numbers[key] = float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name}: expected a number of seconds, got {raw!r}") from None
    return Settings(from_address=from_address, **numbers)


def main(argv: list[str] | None = None) -> int:
    logsafe.install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    url = os.environ.get("SMTP_URL", "").strip()
    if not url:
        print(
            "FATAL: SMTP_URL is not set; mails stay in the outbox (booking-admin outbox)",
            file=sys.stderr,
            flush=True,
        )
        return EXIT_CONFIG
    try:
        config = smtp.parse_smtp_url(url)
        settings = settings_from_env(config)
        load_profile()
    except (ValueError, ProfileError) as error:  # SmtpUrlError and ProfileError are ValueErrors
        where = "SMTP_URL" if isinstance(error, smtp.SmtpUrlError) else "configuration"
        where = "business profile" if isinstance(error, ProfileError) else where
        print(f"FATAL: {where}: {error}", file=sys.stderr, flush=True)
        return EXIT_CONFIG
    try:
        store = store_from_env()
    except Exception as error:
        reason = scrub(str(getattr(error, "orig", error)).splitlines()[0])
        print(f"FATAL: bookings database (BOOKING_DB_URL): {reason}", file=sys.stderr, flush=True)
        return EXIT_STORE_DOWN
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    print(
        f"outbox sender: {config.display()}, from {mask_email(settings.from_address)}", flush=True
    )
    OutboxSender(store, SmtpTransport(config), settings).run(stop)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
