"""Actions around the forms: schedule questions, repeat, a person, stop, goodbye (answers to
other questions: fallback.py).

Every answer given while a form is active hands back to that form (`FollowupAction`), which
re-asks its pending question in the same turn; outside a form an answer ends with the wrap-up
question. Flags for the voice channel travel as `utter_message` keyword arguments (the
architecture's contract): `transfer_number`, `no_interruption_allowed`, `end_call`.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import clock, parsing, scheduling
from actions.booking_form import occupancy_for
from actions.booking_logic import service_names, say_start
from actions.profile import load_profile
from actions.speech import say_date, say_time
from actions.store import store_from_env

logger = logging.getLogger(__name__)

ANYTHING_ELSE = "Is there anything else I can help with?"
NOT_SURE = (
    "I'm not sure about that one. I can help you book, change or cancel an appointment, "
    "or put you through to the team."
)
# Slots of a task in progress; "never mind" clears them and keeps who the caller is.
TASK_SLOTS = (
    "service", "booking_date", "booking_time", "booking_confirmed", "booking_change_pending",
    "booking_reference", "selected_booking", "reschedule_confirmed", "cancel_confirmed",
    "failed_value",
)  # fmt: skip


def back_to_form(tracker: Tracker) -> list[EventType]:
    """Hand the turn back to the active form (it re-asks), or nothing outside a form."""
    form = (tracker.active_loop or {}).get("name")
    return [FollowupAction(form)] if form else []


def wrap_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    events = back_to_form(tracker)
    if not events:
        dispatcher.utter_message(text=ANYTHING_ELSE)
    return events


class ActionAnswerAvailability(Action):
    """ "What do you have on Friday?" / "When's your next opening?" — from the real calendar."""

    def name(self) -> str:
        return "action_answer_availability"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
        profile = load_profile()
        now = clock.now(profile.tz)
        text = (tracker.latest_message or {}).get("text") or ""
        names = service_names(profile)
        mentioned = parsing.find_service(text, names)
        service_name = mentioned[0] if mentioned else tracker.get_slot("service")
        service = profile.service(service_name) if service_name else None
        duration = service.duration_minutes if service else min(
            s.duration_minutes for s in profile.services
        )
        found = parsing.find_date(text, now.date())
        day = found.value if found and isinstance(found.value, date) else None
        try:
            occupancy = await occupancy_for(store_from_env(), profile, now, day, None)
        except Exception as error:
            logger.error("availability: calendar unavailable (%s)", type(error).__name__)
            dispatcher.utter_message(text="Sorry, I can't see the calendar right now.")
            return wrap_up(dispatcher, tracker)
        dispatcher.utter_message(text=availability_sentence(
            profile, text, day, found, duration, now, occupancy
        ))  # fmt: skip
        return wrap_up(dispatcher, tracker)


def _part_of_day(text: str) -> tuple[time, time] | None:
    words = parsing.normalise(text)
    if re.search(r"\bmorning\b", words):
        return time(0), time(12)
    if re.search(r"\b(afternoon|after lunch)\b", words):
        return time(12), time(17)
    if re.search(r"\b(evening|after work|late)\b", words):
        return time(17), time(23, 59)
    return None


def availability_sentence(profile, text, day, found, duration, now, occupancy) -> str:
    """What to say about free times (pure; `occupancy` already read)."""
    if found is not None and isinstance(found.value, parsing.Failure):
        return found.value.reason
    window = _part_of_day(text)

    def spoken(starts: list[datetime], on_day: date | None) -> str:
        parts = [say_time(s.time()) if s.date() == on_day else say_start(s, now.date())
                 for s in starts]  # fmt: skip
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    if day is not None:
        closed = scheduling.day_closed_reason(profile, day)
        free = [] if closed else scheduling.free_starts(profile, day, duration, now, occupancy)
        if window:
            free = [s for s in free if window[0] <= s.time() < window[1]]
        if free:
            more = f", and {len(free) - 4} more" if len(free) > 4 else ""
            return f"On {say_date(day)} I have {spoken(free[:4], day)}{more}."
        start = datetime.combine(day, time(12), tzinfo=profile.tz)
        nearest = scheduling.nearest_free_starts(profile, start, duration, now, occupancy)
        lead = closed.message if closed else f"{say_date(day)} is fully booked."
        if not nearest:
            return f"{lead} I don't have anything free in the next two weeks."
        return f"{lead} The nearest free times are {spoken(nearest, None)}."
    nearest = scheduling.nearest_free_starts(profile, now, duration, now, occupancy)
    if window:
        nearest = [s for s in scheduling.nearest_free_starts(
            profile, now, duration, now, occupancy, limit=40
        ) if window[0] <= s.time() < window[1]][:3]  # fmt: skip
    if not nearest:
        return "I don't have anything free in the next two weeks."
    return f"The next openings are {spoken(nearest, None)}."


class ActionRepeat(Action):
    """Says the previous turn again. In a form, the form itself re-asks its question, so the
    question (the turn's last line) is left to it."""

    def name(self) -> str:
        return "action_repeat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
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

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
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
    """ "Never mind": the form was left by the rule; forget its values, keep who the caller is."""

    def name(self) -> str:
        return "action_stop_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
        dispatcher.utter_message(text="Okay, I've stopped that.")
        return [SlotSet(slot, None) for slot in TASK_SLOTS]


class ActionGoodbye(Action):
    def name(self) -> str:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
        name = load_profile().name
        dispatcher.utter_message(text=f"Thanks for calling {name}. Goodbye!", end_call=True)
        return []
