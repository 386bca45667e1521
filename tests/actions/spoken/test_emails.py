"""Emails: when split words are one address, the limits of an address, bounded work, and the
spelled read-back. The table of spoken addresses is the corpus (tests/corpus/emails.yml)."""

from __future__ import annotations

import time

import pytest

from actions.spoken.emails import MAX_LOCAL_WORDS, TOO_LONG, find_email, parse_email
from actions.spoken.parsing import Failure
from actions.spoken.render import spell_local_part


@pytest.mark.parametrize(
    ("text", "answer", "expected"),
    [
        # Answering "your email?": every plain word before the "at" is the address.
        ("john smith at gmail dot com", True, "johnsmith@gmail.com"),
        ("it's chris taylor at gmail dot com", True, "christaylor@gmail.com"),
        # In passing, a marker says the same.
        ("my email is chris taylor at gmail dot com", False, "christaylor@gmail.com"),
        ("email address is ann lee at example dot com", False, "annlee@example.com"),
        # In passing and no marker: only the word next to the "at" (the others may be a name).
        ("john smith at gmail dot com", False, "smith@gmail.com"),
        ("i'm ann lee, ann@example.com", False, "ann@example.com"),
        # A written "ann@" is already one word, answer or not.
        ("i'm ann lee, ann@example.com", True, "ann@example.com"),
        ("ann lee ann@example.com", True, "ann@example.com"),
        # Stop words end the local part: never "is" nor "email".
        ("my email is john smith at gmail dot com", True, "johnsmith@gmail.com"),
        ("yeah sure it's john smith at gmail dot com", True, "johnsmith@gmail.com"),
    ],
)
def test_split_words_are_one_address_when_they_must_be(text, answer, expected):
    assert find_email(text, answer=answer)[0] == expected


def test_a_time_is_no_address_even_as_an_answer():
    assert find_email("book me with sam at 3", answer=True) is None
    assert find_email("book me with sam at 3") is None


def test_at_most_four_plain_words_join():
    assert MAX_LOCAL_WORDS == 4
    text = "dear john paul george ringo at example dot com"
    assert find_email(text, answer=True)[0] == "johnpaulgeorgeringo@example.com"
    # Connectors start a new run: five names with dots are one address.
    text = "john dot paul dot george dot ringo dot starr at example dot com"
    assert parse_email(text) == "john.paul.george.ringo.starr@example.com"


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        pytest.param("a" * 64 + "@example.com", True, id="local part of 64"),
        pytest.param("a" * 65 + "@example.com", False, id="local part of 65"),
        pytest.param("jane@" + "b" * 63 + ".com", True, id="label of 63"),
        pytest.param("jane@" + "b" * 64 + ".com", False, id="label of 64"),
        pytest.param("jane@" + "c" * 63 + ".c" * 93 + ".com", True, id="domain of 253"),
        pytest.param("jane@" + "c" * 63 + ".cc" + ".c" * 92 + ".com", False, id="domain of 254"),
    ],
)
def test_the_limits_of_an_address(address, ok):
    assert parse_email(address) == (address if ok else Failure(TOO_LONG))
    assert (find_email(address) is not None) == ok


def test_a_spelled_address_past_the_limit_is_refused():
    text = " ".join("a" * 65) + " at example dot com"
    assert parse_email(text) == Failure(TOO_LONG)
    assert parse_email(" ".join("a" * 64) + " at example dot com") == "a" * 64 + "@example.com"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a" * 9988 + "@example.com", id="written"),
        pytest.param(" ".join("a" * 4990) + " at example dot com", id="spelled"),
        pytest.param("jane at " + " dot ".join(["example"] * 1250) + " dot com", id="domain"),
        pytest.param("at dot " * 1430, id="ats and dots"),
        pytest.param("x " * 2500 + "at " + "y dot " * 800 + "com", id="both sides"),
        pytest.param("j o h n at " * 900, id="many ats"),
        pytest.param("my email is john smith " * 430, id="markers"),
    ],
)
def test_a_10000_character_input_is_refused_quickly(text):
    assert len(text) >= 5000
    started = time.perf_counter()
    assert isinstance(parse_email(text), Failure)
    assert find_email(text) is None and find_email(text, answer=True) is None
    assert time.perf_counter() - started < 1.0  # ~0.1 s; generous for a shared machine


def test_a_10000_character_address_is_refused_as_too_long():
    assert parse_email("a" * 9988 + "@example.com") == Failure(TOO_LONG)
    assert parse_email(" ".join("a" * 4990) + " at example dot com") == Failure(TOO_LONG)


@pytest.mark.parametrize(
    ("address", "spelled"),
    [
        ("john.smith@gmail.com", "J O H N dot S M I T H"),
        ("jane@example.com", "J A N E"),
        ("bob1985@yahoo.com", "B O B 1 9 8 5"),
        ("mary_ann@example.co.uk", "M A R Y underscore A N N"),
        ("john-smith@example.com", "J O H N dash S M I T H"),
        ("tom+salon@example.com", "T O M plus S A L O N"),
    ],
)
def test_the_read_back_spells_the_local_part(address, spelled):
    assert spell_local_part(address) == spelled
