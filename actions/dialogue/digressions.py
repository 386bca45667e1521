"""When a form hands the turn over, how an answer hands it back, and how repeated bad values
are counted.

A Rasa form owns every turn until it is done — that is what keeps "John Smith" inside the
booking. But a question, "never mind", "let me talk to someone" or a switch to another task must
leave the form for one turn: the validation action then returns `ActionExecutionRejected`, a rule
answers, and the form re-asks its pending question in the same turn. Text that failed the slot's
parser and looks like a question goes to the fallback action explicitly (no rule matches an
`inform` or `nlu_fallback` question). See docs/conversation.md, "How a form hands over a turn".
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.spoken.parsing import looks_like_question

FALLBACK_ACTION = "action_gemini_fallback"
FORM_OF_INTENT = {
    "book_appointment": "booking_form",
    "reschedule_appointment": "reschedule_form",
    "cancel_appointment": "cancel_form",
}
# Intents a rule answers whatever form is active.
HANDOVER_INTENTS = {
    "ask_question",
    "ask_availability",
    "ask_my_booking",
    "stop",
    "repeat",
    "human_handoff",
    "goodbye",
}
# Intents the classifier hears in plain answers now and then ("i'll have a haircut" as a
# goodbye): a statement that holds the value asked for stays in the form. "Never mind", "say
# that again" and "a person" are short and distinct, and always hand over.
MISHEARD_INTENTS = {"ask_question", "ask_availability", "ask_my_booking", "goodbye", "thanks"}
ENDING_INTENTS = {"goodbye", "stop", "thanks"}
# Small talk inside a form: re-ask without a "sorry".
SMALL_TALK_INTENTS = {"greet", "thanks"}
ANYTHING_ELSE = "Is there anything else I can help with?"
FAILURE_SLOT = "failed_value"
MAX_FAILURES = 3


_STOP_WORDS = re.compile(
    r"\b(never ?mind|forget|stop|scratch|scrap|cancel|leave it|drop|abort|don't|not now|"
    r"changed my mind|rather not)\b"
)
# Every way of asking for a person has one of these; an email address heard as "a person"
# ("megan robinson at sign mx dot acme dot net") has none.
_PERSON_WORDS = re.compile(
    r"\b(person|people|someone|somebody|anyone|anybody|human|operator|representative|agent|"
    r"manager|receptionist|stylist|owner|transfer|through|connect|talk|speak|real)\b"
)
_TASK_WORDS = re.compile(r"\b(book|booking|appointment|reschedul\w*|move|cancel\w*|instead)\b")


def returning_after_digression(events: list[dict], form: str) -> bool:
    """True when the form runs again after a rule answered a digression: Rasa then calls the
    validation action once more, with the same (already handled) caller message, which must
    not be read again — it would be handed over again, forever. The sign: since the caller's
    last message some other action (the answer) has run. (`latest_action_name` cannot tell:
    Rasa sends the form's own name there.)"""
    quiet = {"action_listen", "action_extract_slots", form, f"validate_{form}"}
    for event in reversed(events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in quiet:
            return True
    return False


def hand_over(
    form: str, intent: str | None, text: str = "", answers_the_question: bool = False
) -> list[EventType] | None:
    """Events that give the turn to the rules, or None when the form should keep it.

    `answers_the_question`: the text holds a value for the requested slot. A statement that
    does ("a colour then") stays in the form even when the classifier heard a question in it;
    a question-shaped one ("how much is a colour?") is answered.
    """
    if intent in MISHEARD_INTENTS and answers_the_question and not looks_like_question(text):
        return None
    if intent == "stop" and answers_the_question and not _STOP_WORDS.search(text.lower()):
        return None  # "call me alex" heard as "stop": a name with no word of stopping
    if (
        intent == "human_handoff"
        and answers_the_question
        and not _PERSON_WORDS.search(text.lower())
    ):
        return None  # an address heard as "a person", with no word of a person in it
    # A question is never a goodbye, a "never mind" or a switch ("what's your cancellation
    # policy?" is no cancellation): it goes to the answering action.
    switch = intent in FORM_OF_INTENT and FORM_OF_INTENT[intent] != form
    if (intent in ENDING_INTENTS or switch) and looks_like_question(text):
        return [ActionExecutionRejected(form), FollowupAction(FALLBACK_ACTION)]
    if intent in HANDOVER_INTENTS:
        return [ActionExecutionRejected(form)]
    # A switch ("actually I want to cancel instead") needs the words of a task: a bare value
    # ("thursday december 10th") misread as another task's intent stays in this form.
    if intent in FORM_OF_INTENT and FORM_OF_INTENT[intent] != form and _TASK_WORDS.search(text):
        return [ActionExecutionRejected(form)]  # the rule starts the other form
    return None


def question_instead_of_value(form: str, requested: str | None, text: str) -> list[EventType]:
    """A question where a value was expected ("is it free on friday?" as a name): answer it."""
    if not requested or not looks_like_question(text):
        return []
    # The SlotSet matters: extraction may already have written the question into the slot.
    return [
        SlotSet(requested, None),
        ActionExecutionRejected(form),
        FollowupAction(FALLBACK_ACTION),
    ]


def count_failure(
    previous: str | None, requested: str | None, failed: bool, label: str
) -> tuple[str | None, str | None]:
    """The new value of the failure counter, and a line offering a person after the third miss
    on the same value (then the count starts again, so the offer is not repeated every turn)."""
    if not failed or not requested:
        return None, None
    slot, _, count = (previous or "").partition(":")
    tries = (int(count) if slot == requested and count.isdigit() else 0) + 1
    if tries >= MAX_FAILURES:
        return None, (
            f"I'm sorry, I'm having trouble with {label}. If you'd like, say "
            "'talk to a person' and I'll put you through to the team, or let's try once more."
        )
    return f"{requested}:{tries}", None


def back_to_form(tracker: Tracker) -> list[EventType]:
    """Hand the turn back to the active form (it re-asks), or nothing outside a form."""
    form = (tracker.active_loop or {}).get("name")
    return [FollowupAction(form)] if form else []


def wrap_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    events = back_to_form(tracker)
    if not events:
        dispatcher.utter_message(text=ANYTHING_ELSE)
    return events
