"""What a caller may ask at any point of a call: hear it again, a person, never mind, goodbye;
and the give-up after four misses on one value.

"Say that again", and "a person" without a transfer number, hand back to the active form
(`back_to_form`), which re-asks its pending question in the same turn. A transfer, a goodbye and
the give-up leave the form and end the turn; "never mind" leaves it and asks what else. Flags
for the voice channel travel as `utter_message` keyword arguments (`transfer_number`,
`no_interruption_allowed`, `end_call`; see
docs/architecture.md, "The contract between actions and the channel").
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking.profile import BusinessProfile, load_profile
from actions.dialogue.digressions import (
    FAILURE_SLOT,
    FORM_OF_INTENT,
    GIVE_UP_ACTION,
    VALUE_LABELS,
    back_to_form,
    loop_when_caller_spoke,
)
from common import cues

# Slots of a task in progress; "never mind" clears them and keeps the search key, the proof
# (`proven_booking`) and the call's count of failed proofs.
TASK_SLOTS = (
    "service",
    "booking_date",
    "booking_time",
    "booking_confirmed",
    "booking_change_pending",
    "booking_reference",
    "lookup_day",
    "lookup_name",
    "reschedule_confirmed",
    "cancel_confirmed",
    "failed_value",
    "last_offer",
)


class ActionRepeat(Action):
    """Says the previous turn again. In a form, the form itself re-asks its question, so the
    question (the turn's last line) is left to it."""

    def name(self) -> str:
        return "action_repeat"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        lines: list[str] = []
        seen_user = 0
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                seen_user += 1
                if seen_user == 2:
                    break
            elif event.get("event") == "bot" and seen_user == 1 and event.get("text"):
                lines.insert(0, event["text"])
        in_form = bool((tracker.active_loop or {}).get("name"))
        if in_form:
            lines = lines[:-1]
        if not lines and not in_form:
            lines = ["Sorry, how can I help?"]
        for line in lines:
            dispatcher.utter_message(text=line)
        return back_to_form(tracker)


TRANSFER_LINE = "Sure, I'll put you through to someone now."
NO_ONE = "I'm sorry, there's no one I can put you through to right now."


def end_the_turn(tracker: Tracker) -> list[EventType]:
    """After a transfer's line nothing more is said: the form (if any) is left and the
    assistant listens (the call is being handed over)."""
    events: list[EventType] = [FollowupAction("action_listen")]
    if (tracker.active_loop or {}).get("name"):
        events[:0] = [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events


def team_or_goodbye(
    dispatcher: CollectingDispatcher, profile: BusinessProfile, transfer: str, farewell: str
) -> None:
    """Where the assistant cannot go on: `transfer`, flagged with the profile's transfer
    number, or without one `farewell`, which ends the call."""
    if profile.transfer_number:
        dispatcher.utter_message(
            text=transfer, transfer_number=profile.transfer_number, no_interruption_allowed=True
        )
    else:
        dispatcher.utter_message(text=farewell, end_call=True)


class ActionTransfer(Action):
    """ "Let me talk to someone": a short line flagged with the profile's transfer number; it
    ends the turn. Without a number, the assistant says so and goes on."""

    def name(self) -> str:
        return "action_transfer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = load_profile().transfer_number
        if number:
            dispatcher.utter_message(
                text=TRANSFER_LINE, transfer_number=number, no_interruption_allowed=True
            )
            return end_the_turn(tracker)
        if (tracker.active_loop or {}).get("name"):
            dispatcher.utter_message(text=NO_ONE)  # the form's question follows
        else:
            dispatcher.utter_message(
                text=f"{NO_ONE} I can help you book, change or cancel an appointment, or answer "
                "questions."
            )
        return back_to_form(tracker)


class ActionGiveUp(Action):
    """The fourth miss on one value (digressions.give_up): a person, or a polite end."""

    def name(self) -> str:
        return GIVE_UP_ACTION

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        label = VALUE_LABELS.get(tracker.get_slot("requested_slot") or "", "that")
        team_or_goodbye(
            dispatcher,
            profile,
            transfer=f"Sorry, I couldn't get {label}. I'll put you through to someone now.",
            farewell=f"Sorry, I couldn't get {label}, so please call us back later. "
            f"Thanks for calling {profile.name}. Goodbye!",
        )
        return [SlotSet(FAILURE_SLOT, None), *end_the_turn(tracker)]


class ActionStopTask(Action):
    """ "Never mind": end the task in progress, forget its values, keep who the caller is.

    Runs after the "never mind" rule has left the form, or named by a form's validation
    (digressions.hand_over), which leaves the loop to it. With no task running, "cancel it" or
    "move it" (after the recognised-caller greeting, or after hearing a booking) starts that
    task instead of stopping nothing.
    """

    def name(self) -> str:
        return "action_stop_task"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        running = loop_when_caller_spoke(tracker.events)
        task = cues.task_in_words(text)
        if running is None and task in ("cancel_appointment", "reschedule_appointment"):
            return [FollowupAction(FORM_OF_INTENT[task])]
        # Nothing to stop is said as such: "stopped that" after a question would puzzle.
        dispatcher.utter_message(text="Okay, I've stopped that." if running else "Okay.")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *(SlotSet(slot, None) for slot in TASK_SLOTS),
            FollowupAction("utter_anything_else"),
        ]


class ActionGoodbye(Action):
    def name(self) -> str:
        return "action_goodbye"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        name = load_profile().name
        dispatcher.utter_message(text=f"Thanks for calling {name}. Goodbye!", end_call=True)
        return [ActiveLoop(None)] if (tracker.active_loop or {}).get("name") else []
