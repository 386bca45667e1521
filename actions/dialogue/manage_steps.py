"""The questions and the final steps of the reschedule, cancel and lookup forms, and the offer of
the team when a call has used up its tries at proof."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from rasa_sdk import Action
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import caller_bookings, clock, scheduling
from actions.booking.new_booking import FormState, duration_of, say_start
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for, spell_code
from actions.dialogue.call_control import team_or_goodbye
from actions.dialogue.caller import caller_phone, tool_call
from actions.dialogue.digressions import missed_this_turn
from actions.dialogue.manage_forms import day_candidates, proven, recent_failures
from actions.spoken.render import say_date
from actions.storage.bookings import SlotTaken, store_from_env

logger = logging.getLogger(__name__)

NO_MORE_TRIES = "I'm sorry, I can't check any more bookings on this call"


def _say(dispatcher: CollectingDispatcher, text: str) -> list[EventType]:
    dispatcher.utter_message(text=text)
    return []


class ActionAskLookupEmail(Action):
    def name(self) -> str:
        return "action_ask_lookup_email"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        return _say(dispatcher, caller_bookings.ASK_EMAIL)


class ActionAskLookupDay(Action):
    """The same words whether or not the email or the number has bookings."""

    def name(self) -> str:
        return "action_ask_lookup_day"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        return _say(dispatcher, caller_bookings.ASK_DAY)


class ActionAskLookupName(Action):
    """The same words whether or not that day has bookings."""

    def name(self) -> str:
        return "action_ask_lookup_name"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        return _say(dispatcher, caller_bookings.ASK_NAME)


class ActionAskProvenBooking(Action):
    """Asked only when the name proved several bookings of the day said: all of them are
    proven, so they may be listed."""

    def name(self) -> str:
        return "action_ask_proven_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        slots = tracker.current_slot_values()
        candidates = await day_candidates(dict(slots), caller_phone(tracker), now, profile.tz)
        failures = await recent_failures([b.code for b in candidates], now)
        mine = caller_bookings.proven_by_name(candidates, slots.get("lookup_name"), failures, now)
        if len(mine) < 2:
            return _say(dispatcher, "Which booking is it?")
        return _say(dispatcher, caller_bookings.which_one(mine, profile.tz))


class ActionAskRescheduleConfirmed(Action):
    def name(self) -> str:
        return "action_ask_reschedule_confirmed"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await proven(tracker)
        state = FormState.from_slots(tracker.current_slot_values())
        missed = missed_this_turn(tracker.events, "reschedule_confirmed")
        if missed or booking is None or not (state.booking_date and state.booking_time):
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
        booking = await proven(tracker)
        if booking is None or missed_this_turn(tracker.events, "cancel_confirmed"):
            return _say(dispatcher, "Shall I cancel it?")
        described = caller_bookings.describe(booking, profile.tz)
        return _say(dispatcher, f"That's {described}. Shall I cancel it?")


_TASK_DONE = [
    SlotSet("lookup_day", None),
    SlotSet("lookup_name", None),
    SlotSet("booking_date", None),
    SlotSet("booking_time", None),
    SlotSet("reschedule_confirmed", None),
    SlotSet("cancel_confirmed", None),
    SlotSet("last_offer", None),
]


class ActionSubmitReschedule(Action):
    """Moves the booking: the same row and code, new units (the store's upsert on reference)."""

    def name(self) -> str:
        return "action_submit_reschedule"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        booking = await proven(tracker)
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
        logger.info("reschedule: booking (reference %s) moved", moved.reference[:8])
        dispatcher.utter_message(
            text=f"Done, your {moved.service.lower()} is now {say_start(start, now.date())}. "
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
        booking = await proven(tracker)
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
        logger.info("cancel: booking (reference %s) cancelled", booking.reference[:8])
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
        return [*_TASK_DONE, SlotSet(caller_bookings.PROOF_SLOT, None)]


class ActionTellMyBooking(Action):
    def name(self) -> str:
        return "action_tell_my_booking"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        booking = await proven(tracker)
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


class ActionOfferTeam(Action):
    """No more tries at proof in this call (caller_bookings.CALL_LIMIT): the team takes over.
    Named by a manage form's validation, which has ended the form. With a transfer number in
    the profile the line carries it (as action_transfer's does); without one the call ends."""

    def name(self) -> str:
        return "action_offer_team"

    async def run(self, dispatcher, tracker, domain) -> list[EventType]:
        profile = load_profile()
        logger.info("proof: no more tries in this call; transfer=%s", bool(profile.transfer_number))
        team_or_goodbye(
            dispatcher,
            profile,
            transfer=f"{NO_MORE_TRIES}, so I'll put you through to the team now.",
            farewell=f"{NO_MORE_TRIES}, and there's no one I can put you through to right now, "
            f"so please call again later. Thanks for calling {profile.name}, goodbye!",
        )
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            *_TASK_DONE,
            FollowupAction("action_listen"),
        ]
