"""Finding and verifying a caller's booking, without Rasa or a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from actions.booking.caller_bookings import (
    choose_turn,
    lookup_email_turn,
    name_matches,
    verify_turn,
)
from actions.storage.bookings import Booking

TZ = ZoneInfo("America/New_York")


def booking(code: str, name: str, start: datetime, service: str = "Haircut") -> Booking:
    utc = start.astimezone(timezone.utc)
    return Booking(
        code=code,
        reference=code.lower(),
        name=name,
        email="jane@example.com",
        phone=None,
        service=service,
        start=utc,
        end=utc + timedelta(minutes=45),
        status="confirmed",
        created_at=utc,
        updated_at=utc,
    )


ONE = booking("K7P2Q", "Jane Doe", datetime(2026, 12, 2, 14, tzinfo=TZ))
TWO = booking("M3N4R", "Jane Doe", datetime(2026, 12, 9, 10, tzinfo=TZ), "Colour")


@pytest.mark.parametrize(
    ("spoken", "stored", "expected"),
    [
        ("Jane Doe", "Jane Doe", True),
        ("jane doe", "Jane Doe", True),
        ("O'Brien", "Obrien", True),
        ("Maria Garcia", "Maria Del Carmen Garcia", True),
        ("John Smith", "Jane Doe", False),
        ("Jane", "Jane Doe", False),
        ("", "Jane Doe", False),
    ],
)
def test_names_are_compared_without_case_or_punctuation(spoken, stored, expected):
    assert name_matches(spoken, stored) is expected


def test_an_email_without_bookings_is_refused_without_saying_more():
    verdict = lookup_email_turn("nobody at example dot com", [], "nobody@example.com")
    assert verdict.updates == {"lookup_email": None} and verdict.failed


def test_a_wrong_name_does_not_verify_and_reveals_nothing():
    verdict = verify_turn("john smith", [ONE], "jane@example.com")
    assert verdict.updates == {"verified_email": None} and verdict.failed
    assert "December" not in " ".join(verdict.say)


@pytest.mark.parametrize("text", ["jane doe", "it's jane doe", "k 7 p 2 q", "K7P2Q"])
def test_the_name_or_the_code_verifies(text):
    verdict = verify_turn(text, [ONE], "jane@example.com")
    assert verdict.updates["verified_email"] == "jane@example.com"
    assert verdict.updates["selected_booking"] == "K7P2Q"


def test_the_code_picks_one_of_several_bookings_the_name_does_not():
    assert (
        verify_turn("m 3 n 4 r", [ONE, TWO], "jane@example.com").updates["selected_booking"]
        == "M3N4R"
    )
    assert "selected_booking" not in verify_turn("jane doe", [ONE, TWO], "x").updates


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the colour", "M3N4R"),
        ("the one on december 9th", "M3N4R"),
        ("wednesday the second", "K7P2Q"),
        ("the first one", "K7P2Q"),
        ("the last one", "M3N4R"),
        ("the one at 2", "K7P2Q"),
    ],
)
def test_choosing_one_of_several(text, code):
    verdict = choose_turn(text, [ONE, TWO], TZ, date(2026, 12, 1))
    assert verdict.updates == {"selected_booking": code}


def test_an_unclear_choice_asks_again():
    verdict = choose_turn("hmm", [ONE, TWO], TZ, date(2026, 12, 1))
    assert verdict.updates == {"selected_booking": None} and verdict.failed
