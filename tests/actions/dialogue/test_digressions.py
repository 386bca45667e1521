"""When a form keeps the turn and when it hands it over."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet

from actions.booking.new_booking import FormState, extract
from actions.booking.profile import load_profile
from actions.dialogue.digressions import (
    count_failure,
    give_up,
    hand_over,
    question_instead_of_value,
    returning_after_digression,
)
from common import cues
from tests.e2e.servers import REPO

FORM = "booking_form"
TO_FALLBACK = [ActionExecutionRejected(FORM), FollowupAction("action_gemini_fallback")]
PROFILE = load_profile()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=PROFILE.tz)
FORM_KEEPS = "booking_form"


def next_action(requested: str, label: str, text: str) -> str:
    """What runs after the booking form hears `text` while asking for `requested`, the
    classifier having said `label`: the form itself, or the action hand_over names."""
    found = extract(FormState(requested=requested), text, label, PROFILE, NOW)
    answers = requested in found.values or (
        requested == "booking_time" and found.time_match is not None
    )
    events = hand_over(FORM, label, text, answers)
    if events is None:
        return FORM_KEEPS
    assert events[0] == ActionExecutionRejected(FORM)
    return events[1]["name"]


# The classifier's label and the words disagree: the words decide (docs/conversation.md,
# "Slot first, words as evidence").
DISAGREEMENTS = [
    # Names at the name question, whatever the label.
    ("customer_name", "human_handoff", "victor taylor", FORM_KEEPS),
    ("customer_name", "human_handoff", "Joseph Anderson", FORM_KEEPS),
    ("customer_name", "human_handoff", "stephen peterson", FORM_KEEPS),
    ("customer_name", "human_handoff", "ann peterson", FORM_KEEPS),
    ("customer_name", "human_handoff", "gene page", FORM_KEEPS),
    ("customer_name", "human_handoff", "ray person", FORM_KEEPS),
    ("customer_name", "goodbye", "robin day", FORM_KEEPS),
    ("customer_name", "goodbye", "carla brown", FORM_KEEPS),
    ("customer_name", "stop", "larry reed", FORM_KEEPS),
    ("customer_name", "deny", "pat reed", FORM_KEEPS),
    ("customer_name", "repeat", "brandon ward", FORM_KEEPS),
    ("customer_name", "nlu_fallback", "mohammed al rashid", FORM_KEEPS),
    ("customer_name", "ask_question", "rose price", FORM_KEEPS),
    ("customer_name", "book_appointment", "tim booker", FORM_KEEPS),
    ("customer_name", "cancel_appointment", "dawn chase", FORM_KEEPS),
    ("customer_name", "reschedule_appointment", "it's lou noon", FORM_KEEPS),
    ("customer_name", "ask_my_booking", "my name is josé núñez", FORM_KEEPS),
    ("customer_name", "ask_availability", "uh it's priya priya patel", FORM_KEEPS),
    ("customer_name", "goodbye", "will smith", FORM_KEEPS),
    ("customer_name", "stop", "can yilmaz", FORM_KEEPS),
    # Other answers heard as something else.
    ("service", "goodbye", "i'll have a haircut", FORM_KEEPS),
    ("service", "ask_question", "a colour then", FORM_KEEPS),
    ("booking_date", "reschedule_appointment", "thursday december 10th", FORM_KEEPS),
    ("booking_date", "cancel_appointment", "the tenth", FORM_KEEPS),
    ("booking_time", "goodbye", "noon", FORM_KEEPS),
    ("booking_time", "stop", "half past two", FORM_KEEPS),
    ("email", "human_handoff", "jane at example dot com", FORM_KEEPS),
    (
        "email",
        "human_handoff",
        "my e-mail address is megan robinson at sign mx dot acme dot net",
        FORM_KEEPS,
    ),
    ("email", "human_handoff", "talk to someone it's jane at example dot com", "action_transfer"),
    ("booking_confirmed", "cancel_appointment", "yes", FORM_KEEPS),
    # Words that leave, whatever the label.
    ("customer_name", "inform", "can i talk to a person", "action_transfer"),
    ("customer_name", "greet", "hi put me through to someone", "action_transfer"),
    ("customer_name", "inform", "jane doe actually put me through", "action_transfer"),
    ("email", "inform", "never mind", "action_stop_task"),
    ("email", "nlu_fallback", "forget it", "action_stop_task"),
    ("booking_date", "inform", "cancel it", "action_stop_task"),
    ("booking_date", "stop", "cancel it", "action_stop_task"),
    ("service", "cancel_appointment", "cancel that", "action_stop_task"),
    (
        "booking_time",
        "cancel_appointment",
        "actually cancel my appointment on friday",
        "cancel_form",
    ),
    ("service", "inform", "actually i need to move my appointment", "reschedule_form"),
    ("customer_name", "inform", "okay bye", "action_goodbye"),
    ("email", "thanks", "sorry can you say that again", "action_repeat"),
    # Questions are answered, never taken for a goodbye, a stop or a switch.
    ("customer_name", "goodbye", "do you take cash", "action_gemini_fallback"),
    ("customer_name", "inform", "how much is a haircut", "action_gemini_fallback"),
    ("email", "cancel_appointment", "what's your cancellation policy", "action_gemini_fallback"),
    ("booking_date", "inform", "is friday free", "action_gemini_fallback"),
    (
        "booking_date",
        "ask_availability",
        "what do you have on friday",
        "action_answer_availability",
    ),
    ("service", "ask_my_booking", "when is my appointment", "lookup_form"),
    ("customer_name", "stop", "how much is a colour", "action_gemini_fallback"),
    # Labels the words bear out.
    ("service", "human_handoff", "a person please", "action_transfer"),
    ("service", "stop", "never mind", "action_stop_task"),
    ("booking_date", "book_appointment", "can i book for friday", FORM_KEEPS),
]


@pytest.mark.parametrize(("requested", "label", "text", "expected"), DISAGREEMENTS)
def test_the_words_decide_where_a_line_goes(requested, label, text, expected):
    assert next_action(requested, label, text) == expected


def test_the_disagreement_set_is_large():
    assert len(DISAGREEMENTS) >= 40


def test_every_training_line_of_a_gated_intent_holds_its_evidence():
    """Otherwise the NLU component would take the label away from a line it was trained on."""
    lines = [
        (intent, line)
        for path in sorted((REPO / "rasa_project" / "data" / "nlu").glob("*.yml"))
        for intent, line in _examples(path)
    ]
    assert len(lines) > 300
    lacking = [(i, t) for i, t in lines if i in cues.GATED and not cues.has_evidence(i, t)]
    assert not lacking
    relabelled = [(i, t) for i, t in lines if cues.choose_intent(t, [(i, 1.0)]) != i]
    assert not relabelled


def _examples(path):
    data = yaml.safe_load(path.read_text()) or {}
    for block in data.get("nlu", []):
        for line in (block.get("examples") or "").splitlines():
            if line.strip().startswith("- ") and "intent" in block:
                yield block["intent"], line.strip()[2:]


def test_a_question_where_a_value_was_expected_goes_to_the_fallback():
    assert question_instead_of_value(FORM, "customer_name", "is it free on friday") == [
        SlotSet("customer_name", None),
        *TO_FALLBACK,
    ]
    assert question_instead_of_value(FORM, "customer_name", "jane doe") == []


def test_the_form_coming_back_after_an_answer_does_not_read_the_message_again():
    user = {"event": "user", "text": "how much is a colour"}
    fresh = [{"event": "active_loop", "name": FORM}, user]
    fresh.append({"event": "action", "name": "action_extract_slots"})
    after = fresh + [
        {"event": "action", "name": "action_gemini_fallback"},
        {"event": "action", "name": FORM},
    ]
    assert returning_after_digression(fresh, FORM) is False
    assert returning_after_digression(after, FORM) is True
    # A form the answer started ("how much is a colour, and can I book one Saturday") reads
    # the line: it was not asking when the caller spoke.
    assert returning_after_digression(after[1:], FORM) is False


def test_misses_are_counted_per_value_and_start_again_on_another():
    counter, tries = None, 0
    for expected in (1, 2, 3, 4):
        counter, tries = count_failure(counter, "email", True)
        assert tries == expected and counter == f"email:{expected}"
    assert count_failure("email:2", "customer_name", True) == ("customer_name:1", 1)
    assert count_failure("email:2", "email", False) == (None, 0)


def test_the_fourth_miss_leaves_the_form_for_the_give_up_action():
    events = give_up("booking_form", "booking_time")
    assert events[0] == SlotSet("booking_time", None)
    assert ActionExecutionRejected("booking_form") in events
    assert events[-1] == FollowupAction("action_give_up")


def test_an_offer_or_a_miss_of_this_turn_is_told_from_an_earlier_one():
    from actions.dialogue.digressions import missed_this_turn, offered_this_turn

    earlier = [
        {"event": "slot", "name": "last_offer", "value": '{"kind": "days", "items": []}'},
        {"event": "slot", "name": "failed_value", "value": "booking_confirmed:1"},
        {"event": "user", "text": "purple"},
    ]
    assert not offered_this_turn(earlier) and not missed_this_turn(earlier, "booking_confirmed")
    now = [
        *earlier,
        {"event": "slot", "name": "last_offer", "value": '{"kind": "days", "items": []}'},
        {"event": "slot", "name": "failed_value", "value": "booking_confirmed:2"},
    ]
    assert offered_this_turn(now) and missed_this_turn(now, "booking_confirmed")
    assert not missed_this_turn(now, "email")
    cleared = [*earlier, {"event": "slot", "name": "last_offer", "value": None}]
    assert not offered_this_turn(cleared)
