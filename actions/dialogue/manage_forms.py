"""Rasa glue for the forms that act on an existing booking: reschedule, cancel, and "when is it?".

All three share the identification steps (lookup_email → verified_email → selected_booking, see
`booking.caller_bookings`); the reschedule form then reuses the booking form's date and time
checks, the cancel form asks for a yes. A caller verified once in a call stays verified for that
call (`verified_email`); a booking made in the call counts as verified.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import caller_bookings, clock
from actions.booking.codes import normalise_code
from actions.booking.new_booking import FormState, decide, extract
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for
from actions.dialogue.caller import caller_phone
from actions.dialogue.digressions import (
    FAILURE_SLOT,
    count_failure,
    hand_over,
    question_instead_of_value,
    returning_after_digression,
)
from actions.spoken import parsing
from actions.storage.bookings import CONFIRMED, Booking, store_from_env

logger = logging.getLogger(__name__)

IDENTITY_SLOTS = ("lookup_email", "verified_email", "selected_booking")
LABELS = {
    "lookup_email": "the email address",
    "verified_email": "the name on the booking",
    "selected_booking": "which booking",
    "booking_date": "the day",
    "booking_time": "the time",
}


async def upcoming(email: str | None, now: datetime) -> list[Booking]:
    if not email:
        return []
    store = store_from_env()
    return await asyncio.to_thread(store.list_bookings, email=email, status=CONFIRMED, since=now)


async def upcoming_by_phone(phone: str | None, now: datetime) -> list[Booking]:
    """Upcoming bookings made from `phone` (a number the channel vouched for: caller.py)."""
    if not phone:
        return []
    store = store_from_env()
    return await asyncio.to_thread(store.list_bookings, phone=phone, status=CONFIRMED, since=now)


async def selected(tracker: Tracker) -> Booking | None:
    code = tracker.get_slot("selected_booking")
    return await asyncio.to_thread(store_from_env().get, code) if code else None


def answers(requested: str | None, text: str, now: datetime) -> bool:
    """Whether `text` holds a value for the requested slot (see digressions.hand_over)."""
    if requested == "lookup_email":
        return parsing.find_email(text, answer=True) is not None
    if requested == "verified_email":
        return normalise_code(text) is not None or isinstance(parsing.parse_name(text), str)
    if requested == "booking_date":
        return parsing.find_date(text, now.date()) is not None
    if requested == "booking_time":
        return parsing.read_time(text) is not None
    return False


class _ManageValidation(FormValidationAction, ABC):
    """Identification shared by the three forms; subclasses add their own last steps."""

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if returning_after_digression(tracker.events, self.form):
            return []
        profile = load_profile()
        now = clock.now(profile.tz)
        slots: dict[str, Any] = dict(tracker.current_slot_values())
        requested = slots.get("requested_slot")
        if requested not in self.domain_slots(domain):
            # Left over from the form the caller switched away from ("actually I want to move
            # it" while the booking form asked for the name): Rasa does not reset it. This form
            # is starting, a new task; read as the booking form's question, it skipped the
            # email already given and made the reschedule look up a booking of code None.
            requested = None
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        updates: dict[str, Any] = {}
        say: list[str] = []

        if requested is None:
            # A new task: forget the previous one's choice and times, keep who the caller is.
            for slot in (
                "selected_booking",
                "booking_date",
                "booking_time",
                "reschedule_confirmed",
                "cancel_confirmed",
            ):
                updates[slot] = None
            known = slots.get("verified_email") or slots.get("email")
            if known and not slots.get("lookup_email"):
                updates["lookup_email"] = known
            elif not slots.get("lookup_email"):
                # A caller the channel vouches for is found by their number (the soonest
                # booking's email); they still prove it is theirs with the name or the code.
                mine = await upcoming_by_phone(caller_phone(tracker), now)
                if mine:
                    updates["lookup_email"] = mine[0].email
        else:
            handover = hand_over(self.form, intent, text, answers(requested, text, now))
            if handover is not None:
                return handover
        slots.update(updates)

        verdict: caller_bookings.Verdict | None = None
        found_email = parsing.find_email(text, answer=(requested == "lookup_email"))
        new_email = found_email and found_email[0] != slots.get("lookup_email")
        if new_email and requested not in (None, "lookup_email"):
            # Another address mid-task ("it's under wes at example dot com"): start the lookup
            # again; whatever was chosen or confirmed belonged to the old address.
            for slot in ("selected_booking", "reschedule_confirmed", "cancel_confirmed"):
                updates[slot] = slots[slot] = None
        if requested == "lookup_email" or found_email and (requested is None or new_email):
            email = found_email[0] if found_email else None
            if email is None and requested == "lookup_email":
                rejected = question_instead_of_value(self.form, requested, text)
                if rejected:
                    return rejected
            verdict = caller_bookings.lookup_email_turn(text, await upcoming(email, now), email)
        elif requested == "verified_email":
            bookings = await upcoming(slots.get("lookup_email"), now)
            verdict = caller_bookings.verify_turn(text, bookings, slots["lookup_email"])
        elif requested == "selected_booking":
            bookings = await upcoming(slots.get("lookup_email"), now)
            verdict = caller_bookings.choose_turn(text, bookings, profile.tz, now.date())
        if verdict is not None:
            updates.update(verdict.updates)
            say.extend(verdict.say)
            slots.update(verdict.updates)
        elif requested is not None:
            own_updates, own_say = await self.last_steps(requested, text, intent, slots, now)
            updates.update(own_updates)
            say.extend(own_say)
            slots.update(own_updates)

        # Identity follows the email: a new address must be verified again.
        if slots.get("verified_email") and slots.get("verified_email") != slots.get("lookup_email"):
            updates["verified_email"] = slots["verified_email"] = None
        if slots.get("verified_email") and not slots.get("selected_booking"):
            bookings = await upcoming(slots["lookup_email"], now)
            if len(bookings) == 1:
                updates["selected_booking"] = bookings[0].code
            elif not bookings:
                say.append("I don't see any upcoming bookings under that email.")
                updates["lookup_email"] = updates["verified_email"] = None
        if requested is not None:
            updates.setdefault(requested, slots.get(requested))

        failed = bool(verdict and verdict.failed) or (
            requested in LABELS and updates.get(requested) is None and bool(say)
        )
        counter, offer = count_failure(
            slots.get(FAILURE_SLOT), requested, failed, LABELS.get(requested or "", "that")
        )
        if offer:
            say.append(offer)
        for line in say:
            dispatcher.utter_message(text=line)
        logger.info(
            "%s: requested=%s intent=%s set=%s", self.form, requested, intent, sorted(updates)
        )
        return [SlotSet(k, v) for k, v in updates.items()] + [SlotSet(FAILURE_SLOT, counter)]

    async def last_steps(
        self, requested: str, text: str, intent: str | None, slots: dict[str, Any], now: datetime
    ) -> tuple[dict, list[str]]:
        """Steps after identification; none by default."""
        return {}, []


class ValidateLookupForm(_ManageValidation):
    form = "lookup_form"


class ValidateCancelForm(_ManageValidation):
    form = "cancel_form"

    async def last_steps(self, requested, text, intent, slots, now):
        if requested != "cancel_confirmed":
            return {}, []
        answer = parsing.parse_yes_no(text, intent)
        if answer is None:
            return {"cancel_confirmed": None}, ["Sorry, shall I cancel it? Yes or no?"]
        return {"cancel_confirmed": answer}, []


class ValidateRescheduleForm(_ManageValidation):
    form = "reschedule_form"

    async def last_steps(self, requested, text, intent, slots, now):
        profile = load_profile()
        booking = await asyncio.to_thread(store_from_env().get, slots.get("selected_booking"))
        if booking is None:
            return {"selected_booking": None}, ["Sorry, I lost track of that booking."]
        if requested == "reschedule_confirmed":
            answer = parsing.parse_yes_no(text, intent)
            state = FormState.from_slots({**slots, "requested_slot": "booking_time"})
            found = extract(state, text, intent, profile, now)
            if found.values.get("booking_date") or found.time_match is not None:
                requested = "booking_time"  # "no, make it 5": a new value, checked below
            elif answer is True:
                return {"reschedule_confirmed": True}, []
            elif answer is False:
                return {
                    "reschedule_confirmed": None,
                    "booking_date": None,
                    "booking_time": None,
                }, []
            else:
                return {"reschedule_confirmed": None}, ["Sorry, shall I move it? Yes or no?"]
        if requested not in ("booking_date", "booking_time"):
            return {}, []
        state = FormState.from_slots(
            {**slots, "requested_slot": requested, "service": booking.service}
        )
        found = extract(state, text, intent, profile, now)
        if requested in found.failures or (not found.values and found.time_match is None):
            if question_instead_of_value(self.form, requested, text):
                return {requested: None}, ["Sorry, I didn't catch that."]
        day = found.values.get("booking_date") or state.booking_date
        try:
            occupancy = await occupancy_for(store_from_env(), profile, now, day, booking.reference)
        except Exception as error:
            logger.error("reschedule: calendar unavailable (%s)", type(error).__name__)
            occupancy = {}
        result = decide(state, found, profile, now, occupancy)
        updates = {k: v for k, v in result.updates.items() if k in ("booking_date", "booking_time")}
        if updates:
            updates["reschedule_confirmed"] = None
        return updates, list(result.say)
