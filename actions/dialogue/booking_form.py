"""Rasa glue for the booking form: validation, the custom questions, and the submit.

The decisions are in `booking/new_booking.py` (pure); this module reads the tracker, does the I/O
(profile, calendar occupancy, the bookings store, off the event loop) and turns results into
events and spoken lines. Messages are written for speech: no markdown, short sentences.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock, offers, scheduling, slot_grid
from actions.booking.new_booking import (
    CHANGE_SLOT,
    CONFIRM_SLOT,
    VALUE_SLOTS,
    FormState,
    decide,
    duration_of,
    extract,
    offer_update,
    read_back,
    say_start,
    say_starts,
)
from actions.booking.profile import BusinessProfile, load_profile
from actions.dialogue.caller import caller_phone, tool_call
from actions.dialogue.digressions import (
    FAILURE_SLOT,
    GIVE_UP_AT,
    HELLO_AGAIN,
    OFFER_PERSON_AT,
    SMALL_TALK_INTENTS,
    count_failure,
    give_up,
    hand_over,
    loop_when_caller_spoke,
    missed_this_turn,
    offered_this_turn,
    person_offer,
    question_instead_of_value,
    returning_after_digression,
)
from actions.spoken.parsing import looks_like_question
from actions.spoken.render import say_date
from actions.storage.bookings import CONFIRMED, BookingStore, SlotTaken, store_from_env
from common import cues

logger = logging.getLogger(__name__)

FORM = "booking_form"
REFERENCE_SLOT = "booking_reference"
CODE_SLOT = "booking_code"
# How far ahead alternatives are searched; the occupancy read covers the same window.
SEARCH_DAYS = 15


def spell_code(code: str) -> str:
    """ "K7P2Q" → "K 7 P 2 Q": text-to-speech then reads each character."""
    return " ".join(code)


async def occupancy_for(
    store: BookingStore, profile: BusinessProfile, now: datetime, day: Any, reference: str | None
) -> dict[datetime, int]:
    """Occupied slot units from the start of `day` (or today) for SEARCH_DAYS, without the
    caller's own booking (a re-submit or change must not collide with itself)."""
    first = min(day, now.date()) if day else now.date()
    start = datetime.combine(first, datetime.min.time(), tzinfo=profile.tz)
    end = start + timedelta(days=SEARCH_DAYS + 1)
    occupancy = await asyncio.to_thread(store.occupancy, start, end)
    own = await asyncio.to_thread(store.get_by_reference, reference) if reference else None
    if own is not None and own.status == CONFIRMED:
        for unit in slot_grid.unit_starts(own.start, own.end, profile.slot_minutes):
            if occupancy.get(unit):
                occupancy[unit] -= 1
    return occupancy


# The questions whose misses are counted: every value, and the yes or no of the read-back.
COUNTED = (*VALUE_SLOTS, CONFIRM_SLOT)


class ValidateBookingForm(FormValidationAction):
    """Fills and checks the booking form from whatever the caller says, in any order."""

    def name(self) -> str:
        return "validate_booking_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if returning_after_digression(tracker.events, FORM):
            return []
        profile = load_profile()
        now = clock.now(profile.tz)
        state = FormState.from_slots(tracker.current_slot_values())
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")

        events: list[EventType] = []
        reference = tracker.get_slot(REFERENCE_SLOT)
        if not reference:
            # Minted when the form starts: the submit upserts on it, so it never books twice.
            reference = uuid.uuid4().hex
            events.append(SlotSet(REFERENCE_SLOT, reference))
        if len(profile.services) == 1 and not state.service:
            events.append(SlotSet("service", profile.services[0].name))
            state = FormState.from_slots(
                {**tracker.current_slot_values(), "service": profile.services[0].name}
            )

        found = extract(state, text, intent, profile, now)
        answers = state.requested in found.values or (
            state.requested == "booking_time" and found.time_match is not None
        )
        # A line that started this form (a rule, or an answer that also books) is read as it
        # is; only a line said while the form was asking can leave it.
        # An answer to the last offer ("the first one", "anything later?") is the form's own, and
        # so is a change asked for with its value ("can we make it saturday instead?").
        own = found.pick is not None or (
            (bool(found.values) or found.time_match is not None) and cues.corrects(text)
        )
        if loop_when_caller_spoke(tracker.events) == FORM and not own:
            handover = hand_over(FORM, intent, text, answers)
            if handover is not None:
                return events + handover
        if (
            intent in SMALL_TALK_INTENTS
            and not found.values
            and found.time_match is None
            and found.pick is None
            and not looks_like_question(text)
        ):
            if intent == "greet":
                dispatcher.utter_message(text=HELLO_AGAIN)
            return events + [SlotSet(state.requested, None)] if state.requested else events
        if found.pick is None and (
            state.requested in found.failures
            or (state.requested in VALUE_SLOTS and not found.values and found.time_match is None)
        ):
            rejected = question_instead_of_value(FORM, state.requested, text)
            if rejected:
                return events + rejected
        day = found.values.get("booking_date") or state.booking_date
        store = store_from_env()
        try:
            occupancy = await occupancy_for(store, profile, now, day, reference)
        except Exception as error:  # the database is down: check hours, the submit re-checks
            logger.error("booking form: calendar unavailable (%s)", type(error).__name__)
            occupancy = {}
        result = decide(state, found, profile, now, occupancy)
        say = list(result.say)
        failed = (
            state.requested in COUNTED
            and result.updates.get(state.requested) is None
            and found.pick is None
            and bool(say)
        )
        counter, tries = count_failure(tracker.get_slot(FAILURE_SLOT), state.requested, failed)
        if tries >= GIVE_UP_AT and state.requested:
            logger.info("booking form: %s failed %d times, giving up", state.requested, tries)
            return events + give_up(FORM, state.requested)
        if tries == OFFER_PERSON_AT:
            say.append(person_offer(bool(profile.transfer_number)))
        for line in say:
            dispatcher.utter_message(text=line)
        events.extend(SlotSet(k, v) for k, v in offer_update(state, result).items())
        events.extend(SlotSet(slot, value) for slot, value in result.updates.items())
        events.append(SlotSet(FAILURE_SLOT, counter))
        logger.info(
            "booking form: requested=%s intent=%s set=%s refused=%d",
            state.requested,
            intent,
            sorted(result.updates),
            len(result.say),
        )
        return events


# The form's fixed questions live here, not in domain.yml, so the call-control code can repeat
# the pending question ("I was asking for your email") from one place.
QUESTIONS = {
    "customer_name": "Can I have your name, please?",
    "email": "What email address should I send the confirmation to?",
    "booking_date": "What day would you like to come in?",
}


class _AskFixed(Action, ABC):
    """Asks one of QUESTIONS; subclasses name the slot (abstract, so rasa-sdk skips it)."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(text=QUESTIONS[self.slot])
        return []


class ActionAskCustomerName(_AskFixed):
    slot = "customer_name"


class ActionAskEmail(_AskFixed):
    slot = "email"


class ActionAskBookingDate(_AskFixed):
    slot = "booking_date"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offer = FormState.from_slots(tracker.current_slot_values()).offer
        if offer is not None and offer.kind == offers.DAYS:
            if offered_this_turn(tracker.events):
                dispatcher.utter_message(text=offers.WHICH)
            else:
                days = " or ".join(say_date(d) for d in offer.items)  # type: ignore[arg-type]
                dispatcher.utter_message(text=f"Which day would you like: {days}?")
            return []
        if (tracker.active_loop or {}).get("name") == "reschedule_form":
            dispatcher.utter_message(text="What day would you like to move it to?")
            return []
        return await super().run(dispatcher, tracker, domain)


class ActionAskService(Action):
    def name(self) -> str:
        return "action_ask_service"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        names = [s.name.lower() for s in load_profile().services]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        dispatcher.utter_message(text=f"Which service would you like: {listed}?")
        return []


class ActionAskBookingTime(Action):
    def name(self) -> str:
        return "action_ask_booking_time"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        state = FormState.from_slots(tracker.current_slot_values())
        if state.booking_date is None:
            dispatcher.utter_message(text="What time would you like?")
            return []
        on_day = f"on {say_date(state.booking_date)}"
        offer = state.offer
        if offer is not None and offer.kind == offers.TIMES:
            if offered_this_turn(tracker.events):
                dispatcher.utter_message(text=offers.WHICH)
                return []
            # The list still stands: one question that names it again.
            dispatcher.utter_message(
                text=f"Which time would you like: "
                f"{say_starts(offer.items, state.booking_date, now.date())}?"
            )
            return []
        try:
            occupancy = await occupancy_for(
                store_from_env(),
                profile,
                now,
                state.booking_date,
                tracker.get_slot(REFERENCE_SLOT),
            )
            free = scheduling.free_starts(
                profile, state.booking_date, duration_of(profile, state.service), now, occupancy
            )
        except Exception as error:  # never leave the caller without the question
            logger.error("ask time: calendar unavailable (%s)", type(error).__name__)
            free = []
        question = f"What time would you like {on_day}?"
        if not free:
            dispatcher.utter_message(text=question)
            return []
        first = offers.of_times(free[:3])
        question += (
            f" The first free times are {say_starts(free[:3], state.booking_date, now.date())}."
        )
        dispatcher.utter_message(text=question)
        return [SlotSet(offers.OFFER_SLOT, first.to_slot())] if first else []


class ActionAskBookingConfirmed(Action):
    def name(self) -> str:
        return "action_ask_booking_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        state = FormState.from_slots(tracker.current_slot_values())
        if state.change_pending:
            dispatcher.utter_message(
                text="What would you like to change: the service, name, email, day or time?"
            )
            return []
        if missed_this_turn(tracker.events, CONFIRM_SLOT):
            dispatcher.utter_message(text="Shall I book it?")  # the read-back was just heard
            return []
        today = clock.now(load_profile().tz).date()
        dispatcher.utter_message(text=f"{read_back(state, today)} Shall I book it?")
        return []


class ActionSubmitBooking(Action):
    """Stores the booking (an upsert on the form's reference) and says the code."""

    def name(self) -> str:
        return "action_submit_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        state = FormState.from_slots(tracker.current_slot_values())
        reference = tracker.get_slot(REFERENCE_SLOT) or uuid.uuid4().hex
        if not (state.booking_date and state.booking_time and state.customer_name and state.email):
            dispatcher.utter_message(text="Sorry, I'm missing some details for that booking.")
            return [SlotSet(CONFIRM_SLOT, None)]
        start = datetime.combine(state.booking_date, state.booking_time, tzinfo=profile.tz)
        duration = duration_of(profile, state.service)
        service_name = state.service or profile.services[0].name
        store = store_from_env()
        try:
            occupancy = await occupancy_for(store, profile, now, state.booking_date, reference)
            problem = scheduling.check_start(profile, start, duration, now, occupancy)
            if problem is not None:
                raise SlotTaken(problem.message)
            booking = await asyncio.to_thread(
                store.book,
                reference=reference,
                name=state.customer_name,
                email=state.email,
                phone=caller_phone(tracker),
                service=service_name,
                start=start,
                end=start + timedelta(minutes=duration),
                slot_minutes=profile.slot_minutes,
                capacity=profile.capacity,
            )
        except SlotTaken:
            logger.info("submit: slot taken meanwhile (reference %s)", reference[:8])
            dispatcher.utter_message(
                text=f"Sorry, {say_start(start, now.date())} was just taken. "
                "Let's pick another time.",
                tool_call=tool_call(
                    "book_appointment",
                    code=None,
                    service=service_name,
                    start=start,
                    result="time taken",
                    successful=False,
                ),
            )
            # Back into the form, which asks for a new time.
            return [
                SlotSet("booking_time", None),
                SlotSet(CONFIRM_SLOT, None),
                FollowupAction(FORM),
            ]
        except Exception as error:
            logger.error("submit: bookings store failed (%s)", type(error).__name__)
            dispatcher.utter_message(
                text="Sorry, I couldn't save your booking just now. Nothing was booked. "
                "Please try again in a moment."
            )
            return [SlotSet(CONFIRM_SLOT, None), FollowupAction(FORM)]
        logger.info("submit: booking confirmed (reference %s)", reference[:8])
        dispatcher.utter_message(
            text=f"You're all set for {say_start(start, now.date())}. "
            f"Your confirmation code is {spell_code(booking.code)}.",
            tool_call=tool_call(
                "book_appointment",
                code=booking.code,
                service=booking.service,
                start=start,
                result=f"booked, code {booking.code}",
            ),
        )
        # A second booking in the same call starts fresh but keeps who the caller is.
        return [
            SlotSet(CODE_SLOT, booking.code),
            # The caller made this booking in this call: it is proven, and nothing else is
            # (not the other bookings under this email or number).
            SlotSet("proven_booking", booking.code),
            SlotSet(REFERENCE_SLOT, None),
            SlotSet("service", None),
            SlotSet("booking_date", None),
            SlotSet("booking_time", None),
            SlotSet(CONFIRM_SLOT, None),
            SlotSet(CHANGE_SLOT, None),
            SlotSet(offers.OFFER_SLOT, None),
        ]
