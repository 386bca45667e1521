"""Picking from what was just offered: times, days, "yes", "anything later?"."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from actions.booking import offers
from actions.booking.offers import Offer, Pick

TODAY = date(2026, 12, 1)
WED = date(2026, 12, 2)
TIMES = offers.of_times(
    [datetime(2026, 12, 2, 9, 0), datetime(2026, 12, 2, 9, 15), datetime(2026, 12, 2, 10, 45)]
)
ACROSS_DAYS = offers.of_times(
    [datetime(2026, 12, 2, 17, 0), datetime(2026, 12, 2, 17, 15), datetime(2026, 12, 3, 10, 0)]
)
ONE = offers.of_times([datetime(2026, 12, 2, 15, 15)])
DAYS = offers.of_days([date(2026, 12, 5), date(2026, 12, 8)])


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("the first one", datetime(2026, 12, 2, 9, 0)),
        ("the earliest one please", datetime(2026, 12, 2, 9, 0)),
        ("earliest please", datetime(2026, 12, 2, 9, 0)),
        ("um the first please", datetime(2026, 12, 2, 9, 0)),
        ("the second option", datetime(2026, 12, 2, 9, 15)),
        ("the middle one", datetime(2026, 12, 2, 9, 15)),
        ("the last one", datetime(2026, 12, 2, 10, 45)),
        ("the latest", datetime(2026, 12, 2, 10, 45)),
        ("the later one", datetime(2026, 12, 2, 10, 45)),
        ("the last of those", datetime(2026, 12, 2, 10, 45)),
        ("the 9:15 one", datetime(2026, 12, 2, 9, 15)),
        ("nine fifteen please", datetime(2026, 12, 2, 9, 15)),
        ("let's do 10:45", datetime(2026, 12, 2, 10, 45)),
        ("10:45 am", datetime(2026, 12, 2, 10, 45)),
    ],
)
def test_a_pick_names_one_of_the_times(text, item):
    assert offers.pick(text, TIMES, TODAY) == Pick(item)


@pytest.mark.parametrize("text", ["yes", "yeah that works", "sure", "that one", "ok"])
def test_yes_to_several_asks_which(text):
    assert offers.pick(text, TIMES, TODAY) == Pick(ask_which=True)


@pytest.mark.parametrize("text", ["yes", "yes please", "that works", "that one", "perfect"])
def test_yes_to_one_takes_it(text):
    assert offers.pick(text, ONE, TODAY) == Pick(datetime(2026, 12, 2, 15, 15))


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("anything later?", "later"),
        ("do you have something a bit later", "later"),
        ("nothing earlier?", "earlier"),
        ("later than that", "later"),
        ("earlier please", "earlier"),
        ("any times later in the day", "later"),
    ],
)
def test_asking_for_more_moves_past_the_offer(text, move):
    assert offers.pick(text, TIMES, TODAY) == Pick(move=move)


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "3 pm",  # a time not offered: the form checks it as usual
        "what about thursday",  # another day: read as usual
        "december the first",
        "jane doe",
        "how much is a haircut",
        "what times do you have free that day",
        "is that time ok for a colour",
        "",
    ],
)
def test_lines_that_are_no_answer_to_the_list(text):
    assert offers.pick(text, TIMES, TODAY) is None


def test_times_on_two_days_are_told_apart_by_day_or_clock():
    assert offers.pick("the thursday one", ACROSS_DAYS, TODAY) == Pick(datetime(2026, 12, 3, 10))
    assert offers.pick("5:15", ACROSS_DAYS, TODAY) == Pick(datetime(2026, 12, 2, 17, 15))
    assert offers.pick("wednesday", ACROSS_DAYS, TODAY) == Pick(ask_which=True)
    assert offers.pick("the last one", ACROSS_DAYS, TODAY) == Pick(datetime(2026, 12, 3, 10))


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("the first one", date(2026, 12, 5)),
        ("saturday", date(2026, 12, 5)),
        ("the one on tuesday", date(2026, 12, 8)),
        ("the second one", date(2026, 12, 8)),
        ("the later day", date(2026, 12, 8)),
    ],
)
def test_a_pick_names_one_of_the_days(text, day):
    assert offers.pick(text, DAYS, TODAY) == Pick(day)


def test_a_day_not_offered_or_said_with_a_time_is_read_as_usual():
    assert offers.pick("friday", DAYS, TODAY) is None
    assert offers.pick("saturday at 2", DAYS, TODAY) is None


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("the first one", 0),
        ("the third one", 2),
        ("the last one", -1),
        ("wednesday the second", None),
        ("the first of december", None),
        ("december first", None),
        ("first thing in the morning", None),
        ("later", None),
    ],
)
def test_ordinals_are_picks_and_dates_are_not(text, index):
    assert offers.ordinal_index(text) == index


def test_the_slot_round_trips_and_refuses_what_is_not_an_offer():
    assert Offer.from_slot(TIMES.to_slot()) == TIMES
    assert Offer.from_slot(DAYS.to_slot()) == DAYS
    for junk in (None, "", "{", '{"kind": "x", "items": []}', '{"kind": "times"}', 5, "x" * 3000):
        assert Offer.from_slot(junk) is None


def test_an_out_of_range_ordinal_asks_which():
    two = offers.of_days([date(2026, 12, 5), date(2026, 12, 8)])
    assert offers.pick("the third one", two, TODAY) == Pick(ask_which=True)
