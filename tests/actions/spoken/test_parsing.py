"""Spoken values → typed values: the basic set and the contracts around the voice corpus."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions.spoken.parsing import (
    Failure,
    TimeMatch,
    find_date,
    find_date_time,
    find_email,
    find_name,
    find_time,
    normalise,
    parse_date,
    parse_email,
    parse_name,
    parse_time,
    parse_yes_no,
    resolve_time,
)
from actions.spoken.render import say_date, say_datetime, say_time

TODAY = date(2026, 12, 1)  # a Tuesday


def salon_open(t: time) -> bool:
    return time(9) <= t < time(18)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow", date(2026, 12, 2)),
        ("today", date(2026, 12, 1)),
        ("the day after tomorrow", date(2026, 12, 3)),
        ("wednesday", date(2026, 12, 2)),
        ("next wednesday", date(2026, 12, 2)),
        ("this friday", date(2026, 12, 4)),
        ("tuesday", date(2026, 12, 8)),  # today is Tuesday: "tuesday" is the coming one
        ("wednesday next week", date(2026, 12, 9)),
        ("the 5th", date(2026, 12, 5)),
        ("the fifth", date(2026, 12, 5)),
        ("december 3rd", date(2026, 12, 3)),
        ("the third of december", date(2026, 12, 3)),
        ("january 2nd", date(2027, 1, 2)),
        ("a week from today", date(2026, 12, 8)),
        ("friday december 4th", date(2026, 12, 4)),
        ("2026-12-10", date(2026, 12, 10)),
        ("um yeah the twenty first", date(2026, 12, 21)),
    ],
)
def test_dates(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("february 30th", "February doesn't have a 30th."),
        ("2026-11-20", "That date has already passed."),
        ("2026-02-30", "That isn't a real date."),
        ("banana", "Sorry, I didn't catch the day."),
        ("", "Sorry, I didn't catch the day."),
    ],
)
def test_dates_that_fail(text, reason):
    assert parse_date(text, TODAY) == Failure(reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 pm", time(14)),
        ("2pm", time(14)),
        ("3", time(15)),
        ("three", time(15)),
        ("at three", time(15)),
        ("10", time(10)),
        ("eleven am", time(11)),
        ("three thirty", time(15, 30)),
        ("half past two", time(14, 30)),
        ("quarter to five", time(16, 45)),
        ("noon", time(12)),
        ("15:00", time(15)),
        ("10:30 in the morning", time(10, 30)),
        ("make it four", time(16)),
        ("9 a.m.", time(9)),
    ],
)
def test_times(text, expected):
    assert parse_time(text, salon_open) == expected


@pytest.mark.parametrize("text", ["whenever", "", "one week", "10 amazing people"])
def test_times_that_fail(text):
    assert isinstance(parse_time(text, salon_open), Failure)


def test_a_bare_hour_is_read_as_the_time_the_business_is_open():
    match = find_time("at 8")
    assert resolve_time(match, lambda t: time(18) <= t < time(22)) == time(20)
    assert resolve_time(match, salon_open) == time(8)  # 8 am: neither is open, 8 is morning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("it's jane at example dot com", "jane@example.com"),
        ("my email is john dot smith at gmail dot com", "john.smith@gmail.com"),
        ("j_doe@mail.example.org", "j_doe@mail.example.org"),
        ("mary underscore ann at example dot co dot uk", "mary_ann@example.co.uk"),
    ],
)
def test_emails(text, expected):
    assert parse_email(text) == expected


@pytest.mark.parametrize("text", ["jane at example", "no email", "jane@", ""])
def test_emails_that_fail(text):
    assert isinstance(parse_email(text), Failure)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane doe", "Jane Doe"),
        ("my name is jane doe", "Jane Doe"),
        ("it's john smith", "John Smith"),
        ("this is mike", "Mike"),
        ("um i'm sarah connor", "Sarah Connor"),
        ("o'brien", "O'Brien"),
        ("maria de la cruz", "Maria De la Cruz"),
        ("de la cruz", "De la Cruz"),
        ("mary-jane mcdonald", "Mary-Jane McDonald"),
        ("yeah it's ann lee", "Ann Lee"),
    ],
)
def test_names(text, expected):
    assert parse_name(text) == expected


@pytest.mark.parametrize(
    "text", ["what time do you close", "is it free", "yes", "hello", "", "jane 42", "a b c d e f"]
)
def test_names_that_fail(text):
    assert isinstance(parse_name(text), Failure)


def test_values_found_in_one_breath():
    text = (
        "hi i'm maria garcia i want a haircut thursday at 3 "
        "my email is maria dot garcia at example dot com"
    )
    assert find_name(text)[0] == "Maria Garcia"
    assert find_date(text, TODAY).value == date(2026, 12, 3)
    assert resolve_time(find_time(text), salon_open) == time(15)
    assert find_email(text)[0] == "maria.garcia@example.com"


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("yes", None, True),
        ("yeah sure", None, True),
        ("that's right", None, True),
        ("no", None, False),
        ("nope", None, False),
        ("maybe", None, None),
        ("whatever", "affirm", True),
        ("whatever", "deny", None),  # the label alone is not believed
        ("purple", "affirm", None),
        ("the blue one", "deny", None),
        ("no", "affirm", False),  # the words win over the label
    ],
)
def test_yes_no(text, intent, expected):
    assert parse_yes_no(text, intent) == expected


# ---------------------------------------------------------------------------- voice hardening
# The big tables of spoken input are the corpus (tests/corpus/*.yml, test_corpus.py); these
# tests pin the contracts around it.


def test_normalise_keeps_oh_only_among_numbers():
    assert normalise("oh i'm jane") == "i'm jane"
    assert normalise("um ten oh five") == "ten oh five"
    assert normalise("four one five oh one two") == "four one five oh one two"
    assert normalise("oh two pm") == "two pm"


def test_time_match_keeps_its_four_field_constructor():
    match = TimeMatch(3, 0, None, (0, 1))
    assert match.first_thing is False
    assert resolve_time(match, salon_open) == time(15)


def test_first_thing_in_the_morning_is_the_opening_time():
    match = find_time("first thing in the morning please")
    assert match.first_thing and match.span == (0, 26)
    assert resolve_time(match, salon_open, opening=time(8, 30)) == time(8, 30)
    assert resolve_time(match, salon_open) == time(9)  # found with is_open
    assert resolve_time(match, lambda t: time(10, 15) <= t < time(16)) == time(10, 15)
    assert parse_time("first thing", salon_open, time(9, 30)) == time(9, 30)


def test_a_part_of_the_day_next_to_the_time_settles_am_or_pm():
    def evening(t: time) -> bool:  # open both at 8 AM and at 8 PM
        return time(8) <= t < time(22)

    assert resolve_time(find_time("tomorrow evening at 8"), evening) == time(20)
    assert resolve_time(find_time("at 8 tomorrow morning"), evening) == time(8)
    assert resolve_time(find_time("good morning can i do 8"), evening) == time(8)
    assert find_time("good morning can i do 8").meridiem is None


@pytest.mark.parametrize(
    "text",
    ["tomorrow afternoon at 2", "friday morning around ten", "7 tonight", "the 3rd at 3"],
)
def test_date_and_time_spans_never_overlap(text):
    day, clock = find_date_time(text, TODAY)
    assert day.span[1] <= clock.span[0] or clock.span[1] <= day.span[0]
    assert (find_date(text, TODAY), find_time(text)) == (day, clock)


def test_a_weekday_that_does_not_match_the_date_is_said_back():
    assert parse_date("tuesday the 7th", TODAY) == Failure(
        "December 7th is a Monday, not a Tuesday."
    )


def test_an_email_in_a_sentence_leaves_the_words_around_it():
    text = "my email is maria dot garcia at example dot com and my name is maria"
    address, (start, end) = find_email(text)
    words = normalise(text)
    assert address == "maria.garcia@example.com"
    assert words[:start] + "|" + words[end:] == "my email is | and my name is maria"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("jane at example", "That email address is missing its ending, like dot com."),
        ("at example dot com", "I didn't catch the part of the email before the at sign."),
        ("jane dot dot doe at example dot com", "That email address has two dots in a row."),
    ],
)
def test_a_malformed_email_says_what_is_wrong(text, reason):
    assert parse_email(text) == Failure(reason)


def test_say_datetime_reads_back_a_booking():
    at_two = datetime(2026, 12, 9, 14, 0, tzinfo=ZoneInfo("America/New_York"))
    assert say_datetime(at_two) == "Wednesday, December 9th at 2 PM"
    assert say_datetime(datetime(2026, 12, 9, 14, 30)) == "Wednesday, December 9th at 2:30 PM"
    assert say_datetime(datetime(2026, 12, 2, 12, 0)) == "Wednesday, December 2nd at noon"


@pytest.mark.parametrize("minutes", range(9 * 60, 18 * 60, 15))
def test_a_read_back_time_parses_to_itself(minutes):
    t = time(minutes // 60, minutes % 60)
    spoken = say_time(t)
    assert "half" not in spoken and "quarter" not in spoken
    assert parse_time(spoken, salon_open) == t


@pytest.mark.parametrize("days", range(0, 70, 3))
def test_a_read_back_date_parses_to_itself(days):
    day = TODAY + timedelta(days=days)
    assert parse_date(say_date(day), TODAY) == day


def test_a_name_over_the_limit_is_not_a_name():
    from actions.spoken.names import MAX_NAME_CHARS, NOT_CAUGHT, find_name
    from actions.spoken.words import Failure

    name = "b" + "a" * 60 + " " + "c" + "o" * 60
    assert len(name) > MAX_NAME_CHARS
    assert parse_name(name) == Failure(NOT_CAUGHT)
    assert find_name(f"hi i'm {name}") is None
    assert parse_name("maria garcia") == "Maria Garcia"
