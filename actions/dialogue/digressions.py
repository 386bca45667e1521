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

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking.new_booking import LABELS
from actions.booking.offers import OFFER_SLOT
from actions.spoken.parsing import looks_like_question
from common import cues

FALLBACK_ACTION = "action_gemini_fallback"
STOP_ACTION = "action_stop_task"
FORM_OF_INTENT = {
    "book_appointment": "booking_form",
    "reschedule_appointment": "reschedule_form",
    "cancel_appointment": "cancel_form",
}
# The action that answers a line that leaves a form, by the intent its words bear out. The
# validation names it itself (FollowupAction): rules keyed on the classifier's label never
# decide inside a form.
NEXT_ACTION = {
    "ask_question": FALLBACK_ACTION,
    "ask_availability": "action_answer_availability",
    "ask_my_booking": "lookup_form",
    "repeat": "action_repeat",
    "human_handoff": "action_transfer",
    "stop": STOP_ACTION,
    "goodbye": "action_goodbye",
    **FORM_OF_INTENT,
}
# Asked as a question, these have their own answer ("can I talk to someone?"); any other
# question goes to the fallback: a question is never a goodbye, a stop or a switch.
QUESTION_ACTIONS = {"ask_availability", "ask_my_booking", "repeat", "human_handoff"}
# Small talk inside a form: re-ask without a "sorry"; a greeting mid-call is acknowledged, never
# answered with the whole greeting again.
SMALL_TALK_INTENTS = {"greet", "thanks"}
HELLO_AGAIN = "Hi, I'm still here."
ANYTHING_ELSE = "Is there anything else I can help with?"
FAILURE_SLOT = "failed_value"
# The third miss on one value offers a person; the fourth transfers, or ends the call when the
# business has no transfer number: a caller is never asked the same thing for ever.
OFFER_PERSON_AT = 3
GIVE_UP_AT = 4
GIVE_UP_ACTION = "action_give_up"
# What each question asks for, as the apology names it ("Sorry, I couldn't get the time.").
VALUE_LABELS = {
    **LABELS,
    "booking_confirmed": "a yes or a no",
    "lookup_email": "the email address",
    "lookup_day": "the day",
    "lookup_name": "the name on the booking",
    "proven_booking": "which booking",
    "reschedule_confirmed": "a yes or a no",
    "cancel_confirmed": "a yes or a no",
}


def loop_when_caller_spoke(events: list[dict]) -> str | None:
    """The form that was active when the caller's latest message came in."""
    seen_user = False
    for event in reversed(events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "active_loop":
            return event.get("name")
    return None


def offered_this_turn(events: list[dict]) -> bool:
    """Whether a list was said (or asked about) since the caller last spoke: the question that
    follows it is then short, never the list again."""
    for event in reversed(events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == OFFER_SLOT:
            return event.get("value") is not None
    return False


def missed_this_turn(events: list[dict], slot: str) -> bool:
    """Whether the caller's latest line was a miss on `slot` (the failure counter names it):
    the read-back it failed to answer was just heard, so the question alone follows."""
    for event in reversed(events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == FAILURE_SLOT:
            return str(event.get("value") or "").startswith(f"{slot}:")
    return False


def returning_after_digression(events: list[dict], form: str) -> bool:
    """True when the form runs again after an answer to a line that left it: Rasa then calls
    the validation action once more, with the same (already handled) caller message, which must
    not be read again: it would be handed over again, forever. The sign: the form was active
    when the caller spoke, and some other action (the answer) has run since. A form started by
    that answer ("how much is a colour, and can I book one Saturday") does read the line.
    (`latest_action_name` cannot tell: Rasa sends the form's own name there.)"""
    if loop_when_caller_spoke(events) != form:
        return False
    quiet = {"action_listen", "action_extract_slots", form, f"validate_{form}"}
    for event in reversed(events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in quiet:
            return True
    return False


def borne_out(intent: str | None, text: str) -> str:
    """The label the words bear out (cues.choose_intent, the rule the NLU component applies;
    repeated here for lines labelled by hand, e.g. in `rasa interactive`), else what the words
    are: a question or a plain answer."""
    plain = "ask_question" if cues.question_shaped(text) else "inform"
    return cues.choose_intent(text, [(intent, 1.0), (plain, 0.0)] if intent else [(plain, 0.0)])


def hand_over(
    form: str, intent: str | None, text: str = "", answers_the_question: bool = False
) -> list[EventType] | None:
    """Slot first, words as evidence: the events that leave the form and name the action that
    answers, or None when the form keeps the line.

    `answers_the_question`: the requested slot's parser took a value from the line. Such a line
    stays unless it is a question or holds a cue phrase of an intent that leaves ("jane doe,
    put me through"). Mid-booking, "cancel it" ends this booking unless it names one already
    made ("cancel my appointment on friday").
    """
    label = borne_out(intent, text)
    question = cues.question_shaped(text)
    if FORM_OF_INTENT.get(label) == form:
        return None  # this form's own task: its values are read as answers
    if form == "booking_form" and label == "cancel_appointment":
        if not cues.refers_to_existing(text):
            label = "stop"
    if answers_the_question and not question and label not in cues.GATED:
        return None
    if question:
        target = NEXT_ACTION[label] if label in QUESTION_ACTIONS else FALLBACK_ACTION
    elif label in NEXT_ACTION:
        target = NEXT_ACTION[label]
    else:
        return None  # a plain answer the parser did not take: the form says what it needs
    return [ActionExecutionRejected(form), FollowupAction(target)]


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
    previous: str | None, requested: str | None, failed: bool
) -> tuple[str | None, int]:
    """The failure counter's new value and the tries on `requested` so far (0: no failure;
    a value given or another question asked starts the count again)."""
    if not failed or not requested:
        return None, 0
    slot, _, count = (previous or "").partition(":")
    tries = (int(count) if slot == requested and count.isdigit() else 0) + 1
    return f"{requested}:{tries}", tries


def person_offer(can_transfer: bool) -> str:
    """Said after the third miss on one value, with that turn's reason and its question."""
    if can_transfer:
        return "If you'd like, say 'a person' and I'll put you through to the team."
    return "If we can't get it this time, I'll ask you to call us back."


def give_up(form: str, requested: str) -> list[EventType]:
    """The fourth miss on one value: leave the form; `action_give_up` transfers or ends the
    call. Nothing is said here: the give-up line is the whole turn."""
    return [
        SlotSet(requested, None),
        SlotSet(FAILURE_SLOT, None),
        ActionExecutionRejected(form),
        FollowupAction(GIVE_UP_ACTION),
    ]


def back_to_form(tracker: Tracker) -> list[EventType]:
    """Hand the turn back to the active form (it re-asks), or nothing outside a form."""
    form = (tracker.active_loop or {}).get("name")
    return [FollowupAction(form)] if form else []


def wrap_up(
    dispatcher: CollectingDispatcher, tracker: Tracker, closing: str | None = None
) -> list[EventType]:
    """After an answer: back to the form in progress; outside a form, a question that also asks
    for a task ("how much is a colour, and can I book one Saturday") starts it; otherwise
    `closing`, by default "anything else?"."""
    events = back_to_form(tracker)
    if events:
        return events
    text = (tracker.latest_message or {}).get("text") or ""
    if task := cues.requested_task(text):
        return [FollowupAction(FORM_OF_INTENT[task])]
    dispatcher.utter_message(text=closing or ANYTHING_ELSE)
    return []
