"""When a form keeps the turn and when it hands it over."""

from __future__ import annotations

import pytest
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet

from actions.dialogue.digressions import (
    count_failure,
    hand_over,
    question_instead_of_value,
    returning_after_digression,
)

FORM = "booking_form"
REJECTED = [ActionExecutionRejected(FORM)]
TO_FALLBACK = [ActionExecutionRejected(FORM), FollowupAction("action_gemini_fallback")]


@pytest.mark.parametrize(
    ("intent", "text", "answers", "expected"),
    [
        ("inform", "jane doe", True, None),
        ("ask_question", "how much is a colour", True, REJECTED),
        ("ask_question", "a colour then", True, None),  # a misheard answer stays
        ("ask_question", "is there parking", False, REJECTED),
        ("goodbye", "i'll have a haircut", True, None),
        ("goodbye", "do you take cash", False, TO_FALLBACK),
        ("stop", "never mind", False, REJECTED),
        ("stop", "no forget it", True, REJECTED),
        ("stop", "call me alex", True, None),
        ("human_handoff", "a person please", False, REJECTED),
        # An address heard as "a person" stays; a person asked for with it is put through.
        ("human_handoff", "megan robinson at sign mx dot acme dot net", True, None),
        ("human_handoff", "talk to someone it's jane at example dot com", True, REJECTED),
        ("cancel_appointment", "actually i want to cancel instead", False, REJECTED),
        ("cancel_appointment", "what's your cancellation policy", False, TO_FALLBACK),
        ("cancel_appointment", "thursday december 10th", True, None),  # no task words
        ("book_appointment", "can i book for friday", True, None),  # this form's own intent
    ],
)
def test_hand_over(intent, text, answers, expected):
    assert hand_over(FORM, intent, text, answers) == expected


def test_a_question_where_a_value_was_expected_goes_to_the_fallback():
    assert question_instead_of_value(FORM, "customer_name", "is it free on friday") == [
        SlotSet("customer_name", None),
        *TO_FALLBACK,
    ]
    assert question_instead_of_value(FORM, "customer_name", "jane doe") == []


def test_the_form_coming_back_after_an_answer_does_not_read_the_message_again():
    user = {"event": "user", "text": "how much is a colour"}
    fresh = [user, {"event": "action", "name": "action_extract_slots"}]
    after = fresh + [
        {"event": "action", "name": "action_gemini_fallback"},
        {"event": "action", "name": FORM},
    ]
    assert returning_after_digression(fresh, FORM) is False
    assert returning_after_digression(after, FORM) is True


def test_three_misses_on_one_value_offer_a_person_once():
    counter, offer = None, None
    for _ in range(2):
        counter, offer = count_failure(counter, "email", True, "the email address")
        assert offer is None
    counter, offer = count_failure(counter, "email", True, "the email address")
    assert "talk to a person" in offer and counter is None
    assert count_failure("email:2", "customer_name", True, "your name") == ("customer_name:1", None)
