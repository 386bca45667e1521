"""The questions and the final steps of the reschedule, cancel and lookup forms."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from rasa_sdk import Action
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import caller_bookings, clock, scheduling
from actions.booking.new_booking import FormState, duration_of, say_start
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for, spell_code
from actions.dialogue.caller import caller_phone, tool_call
from actions.dialogue.manage_forms import selected, upcoming, upcoming_by_phone
from actions.spoken.render import say_date
from actions.storage.bookings import SlotTaken, store_from_env

logger = logging.getLogger(__name__)


def _say(dispatcher: CollectingDispatcher, text: str) -> list[EventType]:
    dispatcher.utter_message(text=text)
    return []


class ActionAskLookupEmail(Action):
    def name(self) -> str:
        return "action_ask_lookup_email"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        return _say(dispatcher, "What's the email address the booking is under?")


class ActionAskVerifiedEmail(Action):
    def name(self) -> str:
        return "action_ask_verified_email"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        lead = "Thanks."
        phone = caller_phone(tracker)
        if phone and tracker.get_slot("lookup_email"):
            profile = load_profile()
            mine = await upcoming_by_phone(phone, clock.now(profile.tz))
            if any(b.email == tracker.get_slot("lookup_email") for b in mine):
                lead = "I've found your booking from the number you're calling from."
        return _say(
            dispatcher,
            f"{lead} To make sure it's you, what's the name on the booking, or its "
            "confirmation code?",
        )


class ActionAskSelectedBooking(Action):
    def name(self) -> str:
        return "action_ask_selected_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        bookings = await upcoming(tracker.get_slot("lookup_email"), clock.now(profile.tz))
        if not bookings:
            return _say(dispatcher, "Which booking is it?")
        return _say(dispatcher, caller_bookings.list_bookings(bookings, profile.tz))


class ActionAskRescheduleConfirmed(Action):
    def name(self) -> str:
        return "action_ask_reschedule_confirmed"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await selected(tracker)
        state = FormState.from_slots(tracker.current_slot_values())
        if booking is None or not (state.booking_date and state.booking_time):
            return _say(dispatcher, "Shall I go ahead?")
        new = datetime.combine(state.booking_date, state.booking_time, tzinfo=profile.tz)
        today = clock.now(profile.tz).date()
        return _say(
            dispatcher,
            f"So I'll move {caller_bookings.describe(booking, profile.tz)} to "
            f"{say_start(new, today)}. Shall I go ahead?",
        )


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return "action_ask_cancel_confirmed"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await selected(tracker)
        if booking is None:
            return _say(dispatcher, "Shall I cancel it?")
        described = caller_bookings.describe(booking, profile.tz)
        return _say(dispatcher, f"That's {described}. Shall I cancel it?")


_TASK_DONE = [
    SlotSet("selected_booking", None),
    SlotSet("booking_date", None),
    SlotSet("booking_time", None),
    SlotSet("reschedule_confirmed", None),
    SlotSet("cancel_confirmed", None),
]


class ActionSubmitReschedule(Action):
    """Moves the booking: the same row and code, new units (the store's upsert on reference)."""

    def name(self) -> str:
        return "action_submit_reschedule"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        booking = await selected(tracker)
        state = FormState.from_slots(tracker.current_slot_values())
        if booking is None or not (state.booking_date and state.booking_time):
            dispatcher.utter_message(text="Sorry, I lost track of that change. Nothing was moved.")
            return list(_TASK_DONE)
        start = datetime.combine(state.booking_date, state.booking_time, tzinfo=profile.tz)
        duration = duration_of(profile, booking.service)
        store = store_from_env()
        try:
            occupancy = await occupancy_for(
                store, profile, now, state.booking_date, booking.reference
            )
            problem = scheduling.check_start(profile, start, duration, now, occupancy)
            if problem is not None:
                raise SlotTaken(problem.message)
            moved = await asyncio.to_thread(
                store.book,
                reference=booking.reference,
                name=booking.name,
                email=booking.email,
                phone=booking.phone,
                service=booking.service,
                start=start,
                end=start + timedelta(minutes=duration),
                slot_minutes=profile.slot_minutes,
                capacity=profile.capacity,
            )
        except SlotTaken:
            taken = say_start(start, now.date())
            dispatcher.utter_message(
                text=f"Sorry, {taken} was just taken. Let's pick another time."
            )
            return [
                SlotSet("booking_time", None),
                SlotSet("reschedule_confirmed", None),
                FollowupAction("reschedule_form"),
            ]
        except Exception as error:
            logger.error("reschedule: bookings store failed (%s)", type(error).__name__)
            dispatcher.utter_message(
                text="Sorry, I couldn't make that change just now. Your booking is unchanged."
            )
            return list(_TASK_DONE)
        logger.info("reschedule: booking %s moved", moved.code)
        dispatcher.utter_message(
            text=f"Done. Your {moved.service.lower()} is now {say_start(start, now.date())}. "
            f"Your confirmation code is still {spell_code(moved.code)}.",
            tool_call=tool_call(
                "reschedule_appointment",
                code=moved.code,
                service=moved.service,
                start=start,
                result=f"moved, code {moved.code}",
            ),
        )
        return list(_TASK_DONE)


class ActionSubmitCancel(Action):
    def name(self) -> str:
        return "action_submit_cancel"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await selected(tracker)
        if booking is None or tracker.get_slot("cancel_confirmed") is not True:
            dispatcher.utter_message(text="Okay, I've left your booking as it is.")
            return list(_TASK_DONE)
        described = caller_bookings.describe(booking, profile.tz)
        try:
            await asyncio.to_thread(store_from_env().cancel, booking.code)
        except Exception as error:
            logger.error("cancel: bookings store failed (%s)", type(error).__name__)
            dispatcher.utter_message(
                text="Sorry, I couldn't cancel it just now. Your booking is still in place."
            )
            return list(_TASK_DONE)
        logger.info("cancel: booking %s cancelled", booking.code)
        dispatcher.utter_message(
            text=f"Okay, {described} is cancelled.",
            tool_call=tool_call(
                "cancel_appointment",
                code=booking.code,
                service=booking.service,
                start=booking.start.astimezone(profile.tz),
                result=f"cancelled, code {booking.code}",
            ),
        )
        return list(_TASK_DONE)


class ActionTellMyBooking(Action):
    def name(self) -> str:
        return "action_tell_my_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await selected(tracker)
        if booking is None:
            return _say(dispatcher, "Sorry, I couldn't find that booking.")
        described = caller_bookings.describe(booking, profile.tz)
        start = caller_bookings.local_start(booking, profile.tz)
        return _say(
            dispatcher,
            f"You're booked for a {booking.service.lower()} on {say_date(start.date())} at "
            f"{described.rsplit(' at ', 1)[1]}. "
            f"Your confirmation code is {spell_code(booking.code)}.",
        )
