"""Spoken phone numbers → E.164 (the big table of spoken input is tests/corpus/phones.yml)."""

from __future__ import annotations

import pytest

from actions.parsing import Failure, normalise
from actions.phone import find_phone, parse_phone
from actions.speech import say_phone
from actions.spoken_words import digits_from_words


@pytest.mark.parametrize(
    ("words", "digits"),
    [
        ("four one five", "415"),
        ("double five", "55"),
        ("triple two", "222"),
        ("oh one", "01"),
        ("o o", "00"),
        ("fifty five", "55"),
        ("twelve thirty four", "1234"),
        ("eight hundred", "800"),
        ("four hundred fifteen", "415"),
        ("two thousand", "2000"),
        ("415 555", "415555"),
    ],
)
def test_number_words_read_as_dictated_digits(words, digits):
    assert digits_from_words(words.split()) == digits


@pytest.mark.parametrize("words", ["double", "four apples", "double fifty", "", "hundred"])
def test_what_is_not_a_run_of_digits(words):
    assert digits_from_words(words.split()) is None


def test_the_country_is_the_default_and_plus_overrides_it():
    spoken = "oh seven nine one one one two three four five six"
    assert parse_phone(spoken, "GB") == "+447911123456"
    assert parse_phone(spoken, "gb") == "+447911123456"
    assert isinstance(parse_phone(spoken, "US"), Failure)
    assert parse_phone("plus one four one five five five five one two three four", "GB") == (
        "+14155551234"
    )


def test_a_number_in_a_sentence_leaves_the_rest_for_the_other_parsers():
    text = "hi i'm jane doe my number is four one five five five five one two three four thanks"
    number, (start, end) = find_phone(text, "US")
    words = normalise(text)
    assert number == "+14155551234"
    assert " ".join((words[:start] + words[end:]).split()) == "hi i'm jane doe my number is thanks"


def test_a_time_or_a_count_is_no_phone_number():
    assert find_phone("thursday at 3 for 2 people", "US") is None
    assert find_phone("in two weeks at half past four", "US") is None
    assert parse_phone("thursday at 3", "US") == Failure("Sorry, I didn't catch a phone number.")


def test_missing_digits_are_said_as_such():
    assert parse_phone("four one five five five five one two three", "US") == Failure(
        "That number seems to be missing some digits."
    )


@pytest.mark.parametrize(
    ("e164", "spoken"),
    [
        ("+14155551234", "4 1 5, 5 5 5, 1 2 3 4"),
        ("+447911123456", "0 7 9 1 1, 1 2 3 4 5 6"),
    ],
)
def test_read_back_digit_by_digit_in_groups(e164, spoken):
    assert say_phone(e164) == spoken


@pytest.mark.parametrize(
    "spoken",
    [
        "four one five five five five one two three four",
        "plus four four seven nine one one one two three four five six",
    ],
)
def test_a_read_back_number_parses_to_itself(spoken):
    number = parse_phone(spoken, "US")
    assert parse_phone(say_phone(number), "US" if number.startswith("+1") else "GB") == number
