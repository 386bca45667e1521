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
from actions.store import Booking, BookingStore

ROOT = Path(__file__).resolve().parents[2]
T10 = datetime(2030, 7, 1, 10, 0, tzinfo=timezone.utc)
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
    profile = pytest.importorskip("actions.profile")
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
