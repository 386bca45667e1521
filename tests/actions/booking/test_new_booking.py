"""The booking form's decisions, without Rasa: one caller turn → slot updates and lines said."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from actions.booking.new_booking import FormState, decide, extract, read_back
from actions.booking.profile import load_profile
from actions.booking.scheduling import unit_starts

PROFILE = load_profile()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PROFILE.tz)  # Tuesday 9 AM


def turn(state: FormState, text: str, intent: str | None = "inform", occupancy=None):
    found = extract(state, text, intent, PROFILE, NOW)
    return decide(state, found, PROFILE, NOW, occupancy or {})


FILLED = FormState(
    requested="booking_confirmed",
    service="Haircut",
    customer_name="Jane Doe",
    email="jane@example.com",
    booking_date=date(2026, 12, 2),
    booking_time=time(14),
)


def test_a_requested_value_that_cannot_be_read_is_refused_and_the_slot_stays_requested():
    result = turn(FormState(requested="email"), "banana")
    assert result.updates["email"] is None  # a SlotSet for the requested slot: the form re-asks
    assert result.say == ("Sorry, I didn't catch an email address.",)


def test_several_values_at_once():
    result = turn(
        FormState(requested="service"),
        "a beard trim on friday at 11 am my name is sam lee",
    )
    assert result.updates["service"] == "Beard trim"
    assert result.updates["booking_date"] == "2026-12-04"
    assert result.updates["booking_time"] == "11:00"
    assert result.updates["customer_name"] == "Sam Lee"
    assert result.say == ()


def test_a_date_alone_is_not_taken_as_a_name():
    result = turn(FormState(requested="customer_name"), "tomorrow")
    assert result.updates["customer_name"] is None
    assert result.updates["booking_date"] == "2026-12-02"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "sunday",
            "We're closed on Sundays, but the nearest open days are Saturday, December 5th and "
            "Tuesday, December 8th.",
        ),
        ("december 25th", "closed"),
        ("march 30th", "We only book up to 60 days ahead."),
        ("february 30th", "February doesn't have a 30th."),
    ],
)
def test_days_that_cannot_be_booked(text, said):
    result = turn(FormState(requested="booking_date", service="Haircut"), text)
    assert result.updates["booking_date"] is None
    assert said in " ".join(result.say)


def test_a_time_outside_hours_is_refused_with_alternatives():
    state = FormState(requested="booking_time", service="Haircut", booking_date=date(2026, 12, 2))
    result = turn(state, "at 8 pm")
    assert result.updates["booking_time"] is None
    # One sentence: the reason, then what can be done instead; the offer is kept for a pick.
    assert result.say == ("We close at 6 PM on Wednesdays, but I can do 4:45 PM, 5 PM or 5:15 PM.",)
    assert result.offer is not None and len(result.offer.items) == 3


def test_a_taken_time_is_refused_and_the_nearest_free_times_offered():
    start = datetime(2026, 12, 2, 14, 0, tzinfo=PROFILE.tz)
    taken = {u: 1 for u in unit_starts(start, start.replace(hour=15), PROFILE.slot_minutes)}
    state = FormState(requested="booking_time", service="Haircut", booking_date=date(2026, 12, 2))
    result = turn(state, "2 pm", occupancy=taken)
    assert result.updates["booking_time"] is None
    assert "taken, but I can do" in result.say[0]
    assert "2 PM" not in result.say[0].split("but")[1]


def test_yes_at_the_read_back_confirms():
    assert turn(FILLED, "yeah", "affirm").updates == {
        "booking_confirmed": True,
        "booking_change_pending": False,
    }


def test_no_at_the_read_back_asks_what_to_change_then_takes_the_field():
    result = turn(FILLED, "no", "deny")
    assert result.updates == {"booking_confirmed": None, "booking_change_pending": True}
    pending = FormState(**{**FILLED.__dict__, "change_pending": True})
    result = turn(pending, "the email")
    assert result.updates == {
        "email": None,
        "booking_confirmed": None,
        "booking_change_pending": False,
    }


def test_a_new_value_at_the_read_back_replaces_the_old_one():
    result = turn(FILLED, "no make it four", "deny")
    assert result.updates["booking_time"] == "16:00"
    assert result.updates["booking_confirmed"] is None


def test_read_back_for_speech():
    assert read_back(FILLED, NOW.date()) == (
        "Jane Doe, haircut, Wednesday, December 2nd at 2 PM, confirmation to jane@example.com, "
        "spelled J A N E."
    )


def test_split_words_are_the_address_when_the_form_asks_for_it():
    said = "john smith at gmail dot com"
    assert turn(FormState(requested="email"), said).updates["email"] == "johnsmith@gmail.com"
    result = turn(FormState(requested="email"), "a" * 65 + "@example.com")
    assert result.updates["email"] is None
    assert result.say == ("That email address is too long. Could you say it again?",)


# ------------------------------------------------------------------ what was just offered

from actions.booking import offers  # noqa: E402

WEDNESDAY = date(2026, 12, 2)
OFFERED = offers.of_times(
    [datetime(2026, 12, 2, 13, 30), datetime(2026, 12, 2, 13, 45), datetime(2026, 12, 2, 14)]
)
ASKING_TIME = FormState(
    requested="booking_time", service="Haircut", booking_date=WEDNESDAY, offer=OFFERED
)


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("the earliest one please", "13:30"),
        ("the first one", "13:30"),
        ("the last one", "14:00"),
        ("the 1:45 one", "13:45"),
        ("one forty five", "13:45"),
    ],
)
def test_a_pick_from_the_offer_sets_the_time_without_a_word_said(text, chosen):
    result = turn(ASKING_TIME, text)
    assert result.updates["booking_time"] == chosen
    assert result.updates["booking_date"] == "2026-12-02"
    assert result.say == ()


def test_yes_to_one_offered_time_takes_it():
    one = FormState(
        requested="booking_time",
        service="Haircut",
        booking_date=WEDNESDAY,
        offer=offers.of_times([datetime(2026, 12, 2, 15, 15)]),
    )
    result = turn(one, "yes", "affirm")
    assert result.updates["booking_time"] == "15:15" and result.say == ()


def test_yes_to_several_says_nothing_and_keeps_the_offer_for_the_short_question():
    result = turn(ASKING_TIME, "yeah", "affirm")
    assert result.updates == {"booking_time": None}
    assert result.say == () and result.offer == OFFERED


def test_anything_later_moves_past_the_last_offered_time():
    result = turn(ASKING_TIME, "anything later?")
    assert result.updates == {"booking_time": None}
    assert result.say == ("I can also do 2:15 PM, 2:30 PM or 2:45 PM.",)
    assert [i.time() for i in result.offer.items] == [time(14, 15), time(14, 30), time(14, 45)]


def test_anything_earlier_moves_before_the_first_offered_time():
    result = turn(ASKING_TIME, "something earlier")
    # A haircut takes 45 minutes: 11:45 AM is the last start before the lunch break.
    assert result.say == ("I can also do 11:15 AM, 11:30 AM or 11:45 AM.",)


def test_a_full_day_is_answered_with_the_nearest_open_days():
    day = datetime(2026, 12, 2, 0, 0, tzinfo=PROFILE.tz)
    full = {u: 1 for u in unit_starts(day, day.replace(hour=23), PROFILE.slot_minutes)}
    state = FormState(requested="booking_date", service="Haircut")
    result = turn(state, "wednesday", occupancy=full)
    assert result.updates["booking_date"] is None
    assert result.say == (
        "Wednesday, December 2nd is fully booked, but the nearest open days are Tuesday, "
        "December 1st and Thursday, December 3rd.",
    )
    assert result.offer == offers.of_days([date(2026, 12, 1), date(2026, 12, 3)])


def test_a_new_day_at_the_time_question_is_taken_without_an_apology():
    result = turn(ASKING_TIME, "no wait, make it thursday", "deny")
    assert result.updates["booking_date"] == "2026-12-03"
    assert result.updates["booking_time"] is None
    assert result.say == ()


def test_a_refusal_with_alternatives_is_one_sentence_and_becomes_the_offer():
    state = FormState(requested="booking_time", service="Haircut", booking_date=WEDNESDAY)
    result = turn(state, "12:45")
    assert result.say == (
        "That's during our lunch break, from 12:30 to 1:30 PM, but I can do 11:45 AM, 1:30 PM or "
        "1:45 PM.",
    )
    assert len(result.offer.items) == 3
