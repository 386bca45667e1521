"""The outbox sender against a real aiosmtpd and a real database (SQLite and Postgres): delivery,
SMTP down then back, two senders at once, refusals, and `python -m actions.mail.sender` itself."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest

from actions.mail.sender import (
    OutboxSender,
    Settings,
    SmtpTransport,
    backoff,
    settings_from_env,
)
from actions.mail.smtp import SmtpConfig, TransientSmtpError, parse_smtp_url
from actions.storage import outbox, schema
from actions.storage.bookings import Booking, BookingStore
from actions.storage.outbox import OutboxMail
from tests.actions.mail.smtp_server import Recorder, SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[3]
UTC = timezone.utc
T10 = datetime(2030, 12, 3, 15, 0, tzinfo=UTC)
FROM = "bookings@bella.example"
FAST = Settings(from_address=FROM, poll_seconds=0.05, retry_min_seconds=0.1, retry_max_seconds=0.3)


@pytest.fixture
def store(db_url: str) -> Iterator[BookingStore]:
    store = BookingStore(db_url)
    store.create_schema()
    yield store
    store.dispose()


def book(store: BookingStore, reference: str, start: datetime = T10, **changes: object) -> Booking:
    values: dict[str, object] = {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+14155550123",
        "service": "Haircut",
    }
    values.update(changes)
    return store.book(
        reference=reference,
        start=start,
        end=start + timedelta(minutes=45),
        slot_minutes=15,
        capacity=1,
        **values,
    )


def mails(store: BookingStore) -> list[OutboxMail]:
    return store.read(lambda conn: outbox.list_mails(conn))


def wait_until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def sender_for(
    store: BookingStore, port: int, settings: Settings = FAST, **kw: object
) -> OutboxSender:
    transport = SmtpTransport(SmtpConfig("smtp", "127.0.0.1", port), timeout=5)
    return OutboxSender(store, transport, settings, **kw)  # type: ignore[arg-type]


@contextmanager
def running(*senders: OutboxSender) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop,), daemon=True) for s in senders]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """Our log lines only (aiosmtpd's server log quotes the addresses it receives)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("actions"))


def all_sent(store: BookingStore) -> bool:
    return all(m.status == schema.SENT for m in mails(store))


@pytest.mark.parametrize(
    ("attempts", "jitter", "seconds"),
    [
        (1, 0.999999, 5),
        (2, 0.999999, 10),
        (3, 0.999999, 20),
        (7, 0.999999, 300),
        (50, 0.999999, 300),
        (1, 0.0, 2.5),
        (7, 0.0, 150),
        (0, 0.0, 2.5),
    ],
)
def test_backoff_doubles_to_a_cap_with_jitter(attempts: int, jitter: float, seconds: float) -> None:
    assert backoff(attempts, 5, 300, jitter) == pytest.approx(seconds, rel=1e-5)


def test_settings_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    starttls = parse_smtp_url("smtp+starttls://me%40bella.example:pw@mail.example.com")
    for name in (
        "SMTP_FROM",
        "OUTBOX_POLL_SECONDS",
        "OUTBOX_RETRY_MIN_SECONDS",
        "OUTBOX_RETRY_MAX_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    assert settings_from_env(starttls) == Settings(from_address="me@bella.example")
    with pytest.raises(ValueError, match="SMTP_FROM"):
        settings_from_env(parse_smtp_url("smtp://localhost"))
    monkeypatch.setenv("SMTP_FROM", FROM)
    monkeypatch.setenv("OUTBOX_POLL_SECONDS", "0.5")
    assert settings_from_env(starttls).poll_seconds == 0.5
    monkeypatch.setenv("OUTBOX_RETRY_MIN_SECONDS", "soon")
    with pytest.raises(ValueError, match="OUTBOX_RETRY_MIN_SECONDS"):
        settings_from_env(starttls)
    monkeypatch.setenv("OUTBOX_RETRY_MIN_SECONDS", "600")
    with pytest.raises(ValueError, match="min <= max"):
        settings_from_env(starttls)


def test_booking_change_and_cancel_are_delivered_in_order(
    store: BookingStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="actions")
    with SmtpServer() as server:
        sender = sender_for(store, server.port)
        booking = book(store, "ref-1")
        book(store, "ref-1", start=T10 + timedelta(days=1))
        store.cancel(booking.code)
        while sender.run_once():
            pass
        received = server.recorder.wait_for(3)
    assert len(received) == 3 and all_sent(store)
    rows = mails(store)
    assert [r.message["Message-ID"] for r in received] == [
        f"<outbox-{row.id}.{booking.code}@bella.example>" for row in rows
    ]
    assert all(r.rcpt_tos == ("jane@example.com",) and r.mail_from == FROM for r in received)
    subjects = [r.message["Subject"] for r in received]
    assert [s.split(":")[0] for s in subjects] == ["Booked", "Changed", "Cancelled"]
    methods, sequences = [], []
    for r in received:
        (attachment,) = r.message.iter_attachments()
        calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
        (event,) = calendar.walk("VEVENT")
        methods.append(str(calendar["METHOD"]))
        sequences.append(int(event["SEQUENCE"]))
    assert methods == ["REQUEST", "REQUEST", "CANCEL"] and sequences == [0, 1, 2]
    text = received[1].message.get_body(("plain",)).get_content()
    assert "Wednesday, December 4th, 2030, 10 to 10:45 AM (EST)" in text and booking.code in text
    assert [(m.attempts, m.last_error) for m in rows] == [(1, None)] * 3
    logged = ours(caplog)
    assert "sent" in logged and "jane@" not in logged and "5550123" not in logged


def test_smtp_down_then_back(store: BookingStore, caplog: pytest.LogCaptureFixture) -> None:
    """The booking is confirmed while SMTP is down; the mail goes out once it is back, once."""
    caplog.set_level(logging.INFO, logger="actions")
    port = free_port()  # nothing listens here yet
    server = SmtpServer(port)
    with running(sender_for(store, port)):
        booking = book(store, "ref-1")
        assert store.get(booking.code).status == "confirmed"
        wait_until(lambda: mails(store)[0].attempts >= 2)  # it tried, and retried
        (row,) = mails(store)
        assert row.status == "pending" and "ConnectionRefused" in (row.last_error or "")
        server.start()
        try:
            wait_until(lambda: all_sent(store))
        finally:
            server.stop()
    assert server.recorder.count() == 1  # the senders are stopped: nothing more can come
    assert server.recorder.messages[0].message["Subject"].startswith("Booked:")
    assert "attempt 1 failed" in ours(caplog) and "jane@" not in ours(caplog)


def test_two_senders_deliver_each_mail_once(store: BookingStore) -> None:
    with SmtpServer() as server:
        senders = [sender_for(store, server.port, worker=f"w{n}") for n in range(2)]
        with running(*senders):
            for n in range(24):
                book(store, f"ref-{n}", start=T10 + timedelta(hours=n), email=f"c{n}@example.com")
            wait_until(lambda: len(mails(store)) == 24 and all_sent(store), timeout=60)
        ids = [r.message["Message-ID"] for r in server.recorder.messages]
    assert len(ids) == 24 and len(set(ids)) == 24
    assert all(m.attempts == 1 for m in mails(store))


def test_a_refused_recipient_is_given_up_not_retried(store: BookingStore) -> None:
    with SmtpServer(recorder=Recorder(refuse_rcpt=True)) as server:
        sender = sender_for(store, server.port)
        book(store, "ref-1")
        assert sender.run_once()
        assert not sender.run_once()  # not due again: failed for good
    (row,) = mails(store)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "recipient refused (550)")


class Flaky:
    """A transport that fails `failures` times, then delivers into `sent`."""

    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise TransientSmtpError("timeout")
        self.sent.append(message)


def test_retry_waits_for_the_backoff(store: BookingStore) -> None:
    clock = [datetime.now(UTC)]
    transport = Flaky(failures=2)
    sender = OutboxSender(
        store, transport, Settings(from_address=FROM), now=lambda: clock[0], jitter=lambda: 0.999999
    )
    book(store, "ref-1")
    clock[0] += timedelta(seconds=1)
    assert sender.run_once()  # failure 1: next in 5 s
    clock[0] += timedelta(seconds=4.9)
    assert not sender.run_once()
    clock[0] += timedelta(seconds=0.2)
    assert sender.run_once()  # failure 2: next in 10 s
    clock[0] += timedelta(seconds=9.9)
    assert not sender.run_once()
    clock[0] += timedelta(seconds=0.2)
    assert sender.run_once() and len(transport.sent) == 1
    (row,) = mails(store)
    assert (row.status, row.attempts) == ("sent", 3)


def test_a_failed_record_is_retried_without_sending_again(
    store: BookingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = Flaky(failures=0)
    sender = OutboxSender(store, transport, FAST)
    book(store, "ref-1")
    real = outbox.mark_sent
    monkeypatch.setattr(outbox, "mark_sent", lambda *a: (_ for _ in ()).throw(OSError("db gone")))
    with pytest.raises(OSError):
        sender.run_once()
    monkeypatch.setattr(outbox, "mark_sent", real)
    assert not sender.run_once()  # records the earlier delivery first; nothing else is due
    assert len(transport.sent) == 1 and all_sent(store)


def test_a_dead_senders_mail_is_sent_by_another_after_its_lease(store: BookingStore) -> None:
    """The one duplicate path: sent, then the sender died before recording it."""
    book(store, "ref-1")
    now = datetime.now(UTC) + timedelta(seconds=1)
    dead = store.transaction(lambda conn: outbox.claim(conn, "dead", now, timedelta(minutes=5)))
    assert len(dead) == 1
    transport = Flaky(failures=0)
    later = OutboxSender(store, transport, FAST, now=lambda: now + timedelta(minutes=4))
    assert not later.run_once()  # the lease still holds
    after = OutboxSender(store, transport, FAST, now=lambda: now + timedelta(minutes=6))
    assert after.run_once() and len(transport.sent) == 1 and all_sent(store)


def run_sender(env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "actions.mail.sender"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def sender_env(db_url: str, smtp_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOOKING_DB_URL": db_url,
        "SMTP_URL": smtp_url,
        "SMTP_FROM": FROM,
        "OUTBOX_POLL_SECONDS": "0.1",
        "OUTBOX_RETRY_MIN_SECONDS": "0.2",
        "OUTBOX_RETRY_MAX_SECONDS": "0.5",
    }


def test_two_sender_processes_with_smtp_down_then_back(db_url: str, store: BookingStore) -> None:
    """`python -m actions.mail.sender` twice at once: SMTP down while bookings are made, back
    later; every mail arrives exactly once; SIGTERM stops both cleanly."""
    port = free_port()
    env = sender_env(db_url, f"smtp://127.0.0.1:{port}")
    processes = [run_sender(env) for _ in range(2)]
    server = SmtpServer(port)
    try:
        for n in range(6):
            book(store, f"ref-{n}", start=T10 + timedelta(hours=n), email=f"c{n}@example.com")
        wait_until(lambda: all(m.attempts >= 1 for m in mails(store)), timeout=30)
        assert all(m.status == "pending" for m in mails(store))
        server.start()
        wait_until(lambda: all_sent(store), timeout=30)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=20)[0] for process in processes]
        server.stop()
    assert [p.returncode for p in processes] == [0, 0], outputs
    ids = sorted(r.message["Message-ID"] for r in server.recorder.messages)
    assert ids == sorted(f"<outbox-{m.id}.{m.code}@bella.example>" for m in mails(store))
    log = "".join(outputs)
    assert "outbox sender: smtp://127.0.0.1" in log and "stopped" in log
    assert "@example.com" not in log and "bookings@bella" not in log


@pytest.mark.parametrize(
    ("smtp_url", "expected"),
    [
        ("", "SMTP_URL is not set; mails stay in the outbox"),
        ("http://mail.example.com", "FATAL: SMTP_URL: expected the scheme"),
        ("smtp://user:hunter2@mail.example.com", "FATAL: SMTP_URL: smtp:// is unencrypted"),
    ],
)
def test_bad_configuration_exits_2(sqlite_url: str, smtp_url: str, expected: str) -> None:
    command = [sys.executable, "-m", "actions.mail.sender"]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env=sender_env(sqlite_url, smtp_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and expected in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_an_unreadable_row_is_failed_and_the_queue_goes_on(store: BookingStore) -> None:
    book(store, "ref-1")
    book(store, "ref-2", start=T10 + timedelta(hours=1))
    first = mails(store)[0]
    table = schema.outbox
    store.transaction(
        lambda conn: conn.execute(
            table.update().where(table.c.id == first.id).values(snapshot="not json")
        )
    )
    transport = Flaky(failures=0)
    sender = OutboxSender(store, transport, FAST)
    while sender.run_once():
        pass
    assert [(m.status, m.last_error) for m in mails(store)] == [
        ("failed", "cannot render: unreadable snapshot"),
        ("sent", None),
    ]
    assert len(transport.sent) == 1
