"""Finding a caller's booking and proving it is theirs, without Rasa or a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from actions.booking import caller_bookings as cb
from actions.booking.caller_bookings import (
    choose_turn,
    code_turn,
    day_turn,
    email_turn,
    name_locked,
    name_locked_until,
    name_matches,
    name_turn,
    next_step,
    on_day,
    points_elsewhere,
    spoken_code,
)
from actions.storage.bookings import Booking

TZ = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 9, tzinfo=TZ)


def booking(
    code: str,
    name: str,
    start: datetime,
    service: str = "Haircut",
    status: str = "confirmed",
    email: str = "jane@example.com",
) -> Booking:
    utc = start.astimezone(timezone.utc)
    return Booking(
        code=code,
        reference=code.lower(),
        name=name,
        email=email,
        phone=None,
        service=service,
        start=utc,
        end=utc + timedelta(minutes=45),
        status=status,
        created_at=utc,
        updated_at=utc,
    )


ONE = booking("K7P2Q", "Jane Doe", datetime(2026, 12, 2, 14, tzinfo=TZ))
TWO = booking("M3N4R", "Jane Doe", datetime(2026, 12, 9, 10, tzinfo=TZ), "Colour")
SAME_DAY = booking("R8S9T", "Jane Doe", datetime(2026, 12, 9, 14, tzinfo=TZ), "Blow-dry")


@pytest.mark.parametrize(
    ("spoken", "stored", "expected"),
    [
        ("Jane Doe", "Jane Doe", True),
        ("jane doe", "Jane Doe", True),
        ("O'Brien", "Obrien", True),
        ("Maria Garcia", "Maria Del Carmen Garcia", True),
        ("jose nunez", "José Núñez", True),
        ("John Smith", "Jane Doe", False),
        ("Jane", "Jane Doe", False),
        ("", "Jane Doe", False),
    ],
)
def test_names_are_compared_without_case_accents_or_punctuation(spoken, stored, expected):
    assert name_matches(spoken, stored) is expected


# -- the order of the steps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slots", "recognised", "expected"),
    [
        ({}, False, "lookup_email"),
        ({}, True, "lookup_day"),  # the number is the search key: never asked for an email
        ({"lookup_email": "a@b.co"}, False, "lookup_day"),
        ({"lookup_email": "a@b.co", "lookup_day": "2026-12-02"}, False, "lookup_name"),
        ({"lookup_day": "2026-12-02", "lookup_name": "Jane Doe"}, True, "proven_booking"),
        ({"proven_booking": "K7P2Q"}, False, None),  # a code skips every step
    ],
)
def test_the_steps_go_key_day_name(slots, recognised, expected):
    assert next_step(slots, recognised) == expected


# -- what is said before proof is the same, whatever exists ---------------------------------------


def test_any_well_formed_email_is_taken_as_a_search_key_with_or_without_bookings():
    verdict = email_turn("nobody at example dot com", "nobody@example.com")
    assert verdict == cb.Verdict({"lookup_email": "nobody@example.com"})  # nothing said


def test_a_badly_formed_email_gets_the_parsers_reason():
    verdict = email_turn("my email is", None)
    assert verdict.updates == {"lookup_email": None} and verdict.failed and verdict.say


def test_any_day_is_taken_with_or_without_bookings():
    assert day_turn("saturday", NOW.date()) == cb.Verdict({"lookup_day": "2026-12-05"})
    refused = day_turn("blah", NOW.date())
    assert refused.failed and refused.updates == {"lookup_day": None}


def test_a_wrong_name_fails_alike_whether_or_not_the_day_has_bookings():
    with_booking = name_turn("john smith", [ONE], {}, NOW)
    without = name_turn("john smith", [], {}, NOW)
    assert with_booking.say == without.say == (cb.NO_MATCH,)
    assert with_booking.updates == without.updates == {"lookup_day": None, "lookup_name": None}
    assert with_booking.failed_proof and without.failed_proof
    # Recorded against the booking the key and the day identify (the lock), nothing else.
    assert with_booking.record == ("K7P2Q",) and without.record == ()
    assert "December" not in " ".join(with_booking.say)


def test_the_right_name_on_another_day_fails_like_a_wrong_one():
    verdict = name_turn("jane doe", on_day([ONE, TWO], date(2026, 12, 5), TZ), {}, NOW)
    assert verdict.say == (cb.NO_MATCH,) and verdict.failed_proof and verdict.record == ()


@pytest.mark.parametrize("text", ["jane doe", "it's jane doe", "JANE DOE"])
def test_the_name_on_the_day_proves_that_booking_only(text):
    verdict = name_turn(text, on_day([ONE, TWO], "2026-12-02", TZ), {}, NOW)
    assert verdict.updates[cb.PROOF_SLOT] == "K7P2Q" and not verdict.say


def test_a_name_proving_several_bookings_of_one_day_asks_which():
    verdict = name_turn("jane doe", on_day([ONE, TWO, SAME_DAY], "2026-12-09", TZ), {}, NOW)
    assert verdict.updates == {"lookup_name": "Jane Doe"} and not verdict.failed_proof
    assert choose_turn("the blow dry", [TWO, SAME_DAY], TZ, NOW.date()).updates == {
        cb.PROOF_SLOT: "R8S9T"
    }
    assert "colour at 10 AM and blow-dry at 2 PM" in cb.which_one([SAME_DAY, TWO], TZ)


def test_something_not_a_name_is_asked_again_not_counted_as_a_failed_proof():
    verdict = name_turn("what", [ONE], {}, NOW)
    assert verdict.failed and not verdict.failed_proof and verdict.say == (cb.NAME_NOT_CAUGHT,)


# -- codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("k 7 p 2 q", "K7P2Q"),
        ("K7P2Q", "K7P2Q"),
        ("it's k seven p two q", "K7P2Q"),
        ("the code is k 7 p 2 q", "K7P2Q"),
        ("i want to cancel the booking with code k7p2q", "K7P2Q"),
        ("jane doe", None),
        ("saturday", None),
        ("yes", None),
    ],
)
def test_a_code_is_heard_as_the_whole_line_or_after_code(text, code):
    assert spoken_code(text) == code


def test_a_code_proves_its_own_booking_whatever_the_key():
    other = booking("ZZ9ZZ", "Tom Taylor", datetime(2026, 12, 5, 11, tzinfo=TZ), email="t@x.co")
    assert code_turn("ZZ9ZZ", other, NOW).updates == {**cb.FORGET, cb.PROOF_SLOT: "ZZ9ZZ"}


@pytest.mark.parametrize(
    "found",
    [
        None,
        booking("K7P2Q", "Jane Doe", datetime(2026, 12, 2, 14, tzinfo=TZ), status="cancelled"),
        booking("K7P2Q", "Jane Doe", datetime(2026, 11, 30, 14, tzinfo=TZ)),  # past
    ],
)
def test_an_unknown_cancelled_or_past_code_fails_with_the_same_words(found):
    verdict = code_turn("K7P2Q", found, NOW)
    assert verdict.say == (cb.NO_MATCH,) and verdict.failed_proof
    assert verdict.updates == cb.FORGET and verdict.record == ()


# -- switching booking clears the proof -----------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "elsewhere"),
    [
        ({"code": "K7P2Q"}, False),
        ({"code": "M3N4R"}, True),
        ({"email": "JANE@example.com"}, False),
        ({"email": "tom.taylor@example.com"}, True),
        ({"day": date(2026, 12, 2)}, False),
        ({"day": date(2026, 12, 5)}, True),
        ({"service": "Haircut"}, False),
        ({"service": "Colour"}, True),
        ({}, False),
    ],
)
def test_a_line_naming_another_booking_points_elsewhere(said, elsewhere):
    assert points_elsewhere(ONE, TZ, **said) is elsewhere


# -- limits ---------------------------------------------------------------------------------------

T0 = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


def test_six_failures_within_24_hours_lock_name_proof_for_an_hour_from_the_sixth():
    failures = [T0 + timedelta(hours=4 * i) for i in range(6)]  # the 6th at +20 h
    sixth = failures[-1]
    assert name_locked_until(failures) == sixth + timedelta(hours=1)
    assert name_locked(failures, sixth)
    assert name_locked(failures, sixth + timedelta(minutes=59))
    assert not name_locked(failures, sixth + timedelta(hours=1))
    assert not name_locked(failures[:5], sixth)  # five are not enough


def test_six_failures_spread_over_more_than_24_hours_do_not_lock():
    failures = [T0 + timedelta(hours=5 * i) for i in range(6)]  # 25 h from first to sixth
    assert name_locked_until(failures) is None


def test_a_locked_booking_refuses_the_right_name_with_the_same_words_and_records_nothing():
    failures = {"K7P2Q": [NOW - timedelta(minutes=m) for m in range(6)]}
    verdict = name_turn("jane doe", [ONE], failures, NOW)
    assert verdict.say == (cb.NO_MATCH,) and verdict.failed_proof and verdict.record == ()
    later = NOW + timedelta(hours=1)
    assert name_turn("jane doe", [ONE], failures, later).updates[cb.PROOF_SLOT] == "K7P2Q"


def test_the_code_is_never_locked():
    assert code_turn("K7P2Q", ONE, NOW).updates[cb.PROOF_SLOT] == "K7P2Q"


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
def test_choosing_one_of_several_proven(text, code):
    verdict = choose_turn(text, [ONE, TWO], TZ, date(2026, 12, 1))
    assert verdict.updates == {cb.PROOF_SLOT: code}


def test_an_unclear_choice_asks_again():
    verdict = choose_turn("hmm", [ONE, TWO], TZ, date(2026, 12, 1))
    assert verdict.updates == {cb.PROOF_SLOT: None} and verdict.failed
