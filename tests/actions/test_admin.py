"""The booking-admin console, in-process through main(argv) and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from actions.admin import main
from actions.storage import outbox
from actions.storage.bookings import Booking, BookingStore

ROOT = Path(__file__).resolve().parents[2]
T10 = datetime(2030, 7, 1, 10, 0, tzinfo=timezone.utc)
OLD = datetime(2020, 7, 1, 10, 0, tzinfo=timezone.utc)
FIELDS = {"code", "name", "email", "phone", "service", "start", "end", "status"}


@pytest.fixture
def booked(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Booking, Booking]]:
    monkeypatch.setenv("BOOKING_DB_URL", db_url)
    store = BookingStore(db_url)
    store.create_schema()
    common = {"slot_minutes": 15, "capacity": 1, "service": "haircut"}
    jane = store.book(
        reference="a",
        name="Jane Doe",
        email="jane@example.com",
        phone="+14155550123",
        start=T10,
        end=T10 + timedelta(minutes=45),
        **common,
    )
    bob = store.book(
        reference="b",
        name="Bob Roe",
        email="bob@example.com",
        phone=None,
        start=T10 + timedelta(hours=2),
        end=T10 + timedelta(hours=3),
        **common,
    )
    store.dispose()
    yield jane, bob


def test_list_json(booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]) -> None:
    jane, bob = booked
    assert main(["--tz", "Europe/Paris", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["code"] for row in rows] == [jane.code, bob.code]
    assert FIELDS <= set(rows[0])
    assert rows[0]["start"] == "2030-07-01T12:00:00+02:00"  # Paris summer time
    assert rows[0]["end"] == "2030-07-01T12:45:00+02:00"
    assert datetime.fromisoformat(rows[1]["start"]) == bob.start
    assert (rows[0]["name"], rows[0]["email"], rows[0]["phone"]) == (
        "Jane Doe",
        "jane@example.com",
        "+14155550123",
    )
    assert rows[1]["phone"] is None and rows[1]["status"] == "confirmed"


def test_list_filters_and_text(
    booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]
) -> None:
    jane, bob = booked
    assert main(["list", "--tz", "UTC", "--email", "BOB@example.com", "--json"]) == 0
    assert [row["code"] for row in json.loads(capsys.readouterr().out)] == [bob.code]
    assert main(["list", "--tz", "UTC", "--since", "2030-07-01T11:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert bob.code in out and jane.code not in out and "1 booking(s)" in out


def test_times_default_to_the_business_timezone(
    booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]
) -> None:
    profile = pytest.importorskip("actions.booking.profile")
    tz = profile.load_profile().tz
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["start"] == booked[0].start.astimezone(tz).isoformat()


def test_show(booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]) -> None:
    jane, _ = booked
    assert main(["--tz", "UTC", "show", jane.code.lower()]) == 0
    out = capsys.readouterr().out
    for expected in (
        jane.code,
        "confirmed",
        "Jane Doe",
        "jane@example.com",
        "haircut",
        "Mon 01 Jul 2030 10:00-10:45",
    ):
        assert expected in out
    assert main(["--tz", "UTC", "show", "ZZZZZ"]) == 1
    assert "No booking with code 'ZZZZZ'" in capsys.readouterr().err


def test_cancel(booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]) -> None:
    jane, bob = booked
    assert main(["--tz", "UTC", "cancel", jane.code]) == 0
    assert "is now cancelled" in capsys.readouterr().out
    assert main(["--tz", "UTC", "cancel", jane.code]) == 0
    assert "already cancelled" in capsys.readouterr().out
    assert main(["--tz", "UTC", "cancel", "ZZZZZ"]) == 1
    assert "No booking" in capsys.readouterr().err
    assert main(["--tz", "UTC", "list", "--json", "--status", "cancelled"]) == 0
    assert [row["code"] for row in json.loads(capsys.readouterr().out)] == [jane.code]


def test_bad_usage(booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tz", "Mars/Olympus", "list"]) == 2
    assert "--tz" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--tz", "UTC", "--since", "yesterday"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main([])


def test_runs_as_a_module(sqlite_url: str) -> None:
    store = BookingStore(sqlite_url)
    store.create_schema()
    booking = store.book(
        reference="a",
        name="Jane Doe",
        email="jane@example.com",
        phone=None,
        service="haircut",
        start=T10,
        end=T10 + timedelta(minutes=30),
        slot_minutes=15,
        capacity=1,
    )
    store.dispose()
    env = {**os.environ, "BOOKING_DB_URL": sqlite_url, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "actions.admin", "--tz", "UTC", "list", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(row["code"], row["start"]) for row in rows] == [
        (booking.code, "2030-07-01T10:00:00+00:00")
    ]


def test_outbox_lists_pending_and_sent(
    booked: tuple[Booking, Booking], capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    jane, bob = booked
    assert main(["--tz", "UTC", "cancel", bob.code]) == 0
    store = BookingStore(db_url)
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    (first,) = store.transaction(lambda c: outbox.claim(c, "w", now, timedelta(minutes=5)))
    store.transaction(lambda c: outbox.mark_sent(c, first.id, "w", now))
    store.dispose()
    capsys.readouterr()
    assert main(["outbox", "--tz", "UTC", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["code"], r["to"], r["status"]) for r in rows] == [
        ("booked", jane.code, "jane@example.com", "sent"),
        ("booked", bob.code, "bob@example.com", "pending"),
        ("cancelled", bob.code, "bob@example.com", "pending"),
    ]
    assert rows[0]["sent_at"] and rows[0]["next_attempt_at"] is None and rows[0]["attempts"] == 1
    assert rows[1]["next_attempt_at"] and rows[1]["sent_at"] is None
    assert rows[0]["start"] == "2030-07-01T10:00:00+00:00"
    assert main(["outbox", "--tz", "UTC", "--status", "pending"]) == 0
    out = capsys.readouterr().out
    assert "2 mail(s)" in out and "cancelled" in out and jane.code not in out
    assert "pending, next try" in out and "bob@example.com" in out
    assert main(["outbox", "--tz", "UTC", "--status", "failed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_outbox_show_renders_the_mail(
    booked: tuple[Booking, Booking],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jane, _ = booked
    monkeypatch.setenv("SMTP_FROM", "bookings@bella.example")
    assert main(["outbox", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["outbox", "--show", str(first)]) == 0
    out = capsys.readouterr().out
    assert f"Message-ID: <outbox-{first}.{jane.code}@bella.example>" in out
    assert "Subject: Booked: haircut," in out and "BEGIN:VCALENDAR" not in out  # base64
    assert "text/calendar" in out
    assert main(["outbox", "--show", "999"]) == 1
    assert "No mail #999" in capsys.readouterr().err


def test_purge(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOOKING_DB_URL", db_url)
    store = BookingStore(db_url)
    store.create_schema()
    old = store.book(
        reference="old",
        name="Jane Doe",
        email="jane@example.com",
        phone="+14155550123",
        service="haircut",
        start=OLD,
        end=OLD + timedelta(minutes=30),
        slot_minutes=15,
        capacity=1,
    )
    store.dispose()
    monkeypatch.setenv("ASSISTANT_NOW", "2021-01-10T09:00")
    assert main(["--tz", "UTC", "purge", "--before", "2021-01-11"]) == 2  # tomorrow: refused
    assert "after today" in capsys.readouterr().err
    assert main(["--tz", "UTC", "purge", "--before", "2021-01-10"]) == 0
    assert "Purged 1 booking(s) and 1 mail(s)" in capsys.readouterr().out
    assert main(["--tz", "UTC", "show", old.code]) == 0
    out = capsys.readouterr().out
    assert "(purged)" in out and "Jane" not in out and "jane@" not in out
    assert "5550123" not in out
    assert main(["--tz", "UTC", "outbox", "--json"]) == 0
    assert "jane" not in capsys.readouterr().out.lower()
    with pytest.raises(SystemExit) as exit_info:
        main(["--tz", "UTC", "purge", "--before", "last year"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["--tz", "UTC", "purge"])
