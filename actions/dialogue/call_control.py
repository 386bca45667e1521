"""What a caller may ask at any point of a call: hear it again, a person, never mind, goodbye.

Each of these answers while a form is active hands back to that form (`back_to_form`), which
re-asks its pending question in the same turn. Flags for the voice channel travel as
`utter_message` keyword arguments (`transfer_number`, `no_interruption_allowed`, `end_call`; see
docs/architecture.md, "The contract between actions and the channel").
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking.profile import load_profile
from actions.dialogue.digressions import FORM_OF_INTENT, back_to_form, loop_when_caller_spoke
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


class ActionTransfer(Action):
    """ "Let me talk to someone": a short line flagged with the profile's transfer number."""

    def name(self) -> str:
        return "action_transfer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = load_profile().transfer_number
        if number:
            dispatcher.utter_message(
                text="Sure, I'll put you through to someone now.",
                transfer_number=number,
                no_interruption_allowed=True,
            )
            return []
        dispatcher.utter_message(
            text="I'm sorry, there's no one I can put you through to right now. I can help you "
            "book, change or cancel an appointment, or answer questions."
        )
        return back_to_form(tracker)


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
        dispatcher.utter_message(text="Okay, I've stopped that.")
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
