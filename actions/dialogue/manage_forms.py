"""Rasa glue for the forms that act on an existing booking: reschedule, cancel, and "when is it?".

All three share the identification steps of `booking.caller_bookings` (the decisions, pure):
a search key (`lookup_email`, or the number the channel vouches for) → the day
(`lookup_day`) → the name on the booking (`lookup_name`), or a confirmation code at any point →
`proven_booking`, the one booking proven in this conversation. Nothing about a booking is said
before that, and every line until then is the same whether or not the key or the day has
bookings. The reschedule form then reuses the booking form's date and time checks; the cancel
form asks for a yes.

This module picks the next question itself (`requested_slot`): a recognised caller is never
asked for an email, and a code skips every other step. Failed proofs are counted per call
(`failed_proofs`, never reset) and recorded per booking in the database (`storage/proofs.py`);
the third in a call ends the tries (`action_offer_team`). See docs/trust.md.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import date, datetime
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import caller_bookings as cb
from actions.booking import clock, offers
from actions.booking.new_booking import (
    NO_ANSWER,
    OFFER_ANSWERS,
    FormState,
    decide,
    extract,
    offer_update,
    service_names,
)
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for
from actions.dialogue.caller import caller_phone
from actions.dialogue.digressions import (
    FAILURE_SLOT,
    GIVE_UP_AT,
    OFFER_PERSON_AT,
    VALUE_LABELS,
    count_failure,
    give_up,
    hand_over,
    person_offer,
    question_instead_of_value,
    returning_after_digression,
)
from actions.spoken import parsing
from actions.storage import proofs
from actions.storage.bookings import CONFIRMED, Booking, store_from_env

logger = logging.getLogger(__name__)

OFFER_TEAM_ACTION = "action_offer_team"
# A new task, or a switch to another booking, forgets the old one's choices.
TASK_VALUES = ("booking_date", "booking_time", "reschedule_confirmed", "cancel_confirmed")


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


async def searched(email: str | None, phone: str | None, now: datetime) -> list[Booking]:
    """The upcoming bookings the search key finds: the email given, else the caller's number."""
    return await upcoming(email, now) if email else await upcoming_by_phone(phone, now)


async def by_code(code: str | None) -> Booking | None:
    return await asyncio.to_thread(store_from_env().get, code) if code else None


async def proven(tracker: Tracker) -> Booking | None:
    """The booking proven in this conversation, if it is still confirmed and upcoming."""
    booking = await by_code(tracker.get_slot(cb.PROOF_SLOT))
    profile = load_profile()
    return booking if cb.is_upcoming(booking, clock.now(profile.tz)) else None


async def recent_failures(codes: list[str], now: datetime) -> dict[str, list[datetime]]:
    store = store_from_env()
    return await asyncio.to_thread(store.read, lambda conn: proofs.recent(conn, codes, now))


async def record_failures(codes: tuple[str, ...], now: datetime) -> None:
    if not codes:
        return
    store = store_from_env()
    await asyncio.to_thread(store.transaction, lambda conn: proofs.record(conn, codes, now))
    logger.info("proof: failed by name against %d booking(s)", len(codes))


async def day_candidates(slots: dict[str, Any], phone: str | None, now: datetime, tz) -> list:
    """The key's upcoming bookings on the day the caller said."""
    found = await searched(slots.get("lookup_email"), phone, now)
    return cb.on_day(found, slots.get("lookup_day"), tz)


def answers(requested: str | None, text: str, now: datetime) -> bool:
    """Whether `text` holds a value for the requested slot (see digressions.hand_over); a code
    is a value for every identification step."""
    if requested in cb.STEPS and cb.spoken_code(text):
        return True
    return holds_value(requested, text, now)


def holds_value(requested: str | None, text: str, now: datetime) -> bool:
    """Whether the requested slot's own parser takes `text` (a code aside)."""
    if requested == "lookup_email":
        return parsing.find_email(text, answer=True) is not None
    if requested == "lookup_day":
        return isinstance(parsing.parse_date(text, now.date()), date)
    if requested == "lookup_name":
        return isinstance(parsing.parse_name(text), str)
    if requested == cb.PROOF_SLOT:
        return (
            parsing.find_date(text, now.date()) is not None or parsing.find_time(text) is not None
        )
    if requested == "booking_date":
        return parsing.find_date(text, now.date()) is not None
    if requested == "booking_time":
        return parsing.read_time(text) is not None
    return False


def _day_in(text: str, today: date) -> date | None:
    found = parsing.find_date(text, today)
    return found.value if found and isinstance(found.value, date) else None


class _ManageValidation(FormValidationAction, ABC):
    """Identification shared by the three forms; subclasses add their own last steps."""

    # The form's own slots after the proof, asked in this order.
    after_proof: tuple[str, ...] = ()
    # Whether a day or a service said after the proof means another booking ("no, the one on
    # saturday"); in the reschedule form a day is the new day.
    day_switches = True

    @property
    @abstractmethod
    def form(self) -> str: ...

    def name(self) -> str:
        return f"validate_{self.form}"

    def next_slot(self, slots: dict[str, Any], recognised: bool) -> str | None:
        step = cb.next_step(slots, recognised)
        if step is not None:
            return step
        return next((slot for slot in self.after_proof if slots.get(slot) is None), None)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        today = now.date()
        phone = caller_phone(tracker)
        slots: dict[str, Any] = dict(tracker.current_slot_values())
        if returning_after_digression(tracker.events, self.form):
            # The line was answered already; ask the pending question again.
            return [SlotSet("requested_slot", self.next_slot(slots, phone is not None))]
        requested = slots.get("requested_slot")
        if requested not in self.domain_slots(domain):
            # Left over from the form the caller switched away from ("actually I want to move
            # it" while the booking form asked for the name): Rasa does not reset it. This form
            # is starting, a new task.
            requested = None
        message = tracker.latest_message or {}
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        updates: dict[str, Any] = {}
        say: list[str] = []
        # An answer to the last offer ("the first one", "anything later?") stays in the form and
        # is no miss.
        picked = requested in OFFER_ANSWERS and bool(
            offers.pick(text, offers.Offer.from_slot(slots.get(offers.OFFER_SLOT)), today, intent)
        )

        def update(values: dict[str, Any]) -> None:
            updates.update(values)
            slots.update(values)

        if requested is None:
            # A new task: forget the previous one's attempt and values, keep the proof and the
            # search key. The booking form's email is a search key too (never a proof).
            update({slot: None for slot in (*TASK_VALUES, "lookup_day", "lookup_name")})
            if slots.get("email") and not slots.get("lookup_email"):
                update({"lookup_email": slots["email"]})
        else:
            handover = hand_over(self.form, intent, text, answers(requested, text, now))
            if handover is not None and not picked:
                return handover

        failed_proofs = int(slots.get(cb.FAILED_PROOFS_SLOT) or 0)
        booking = await proven(tracker)
        if slots.get(cb.PROOF_SLOT) and booking is None:
            update(dict(cb.FORGET))  # cancelled or past since: no longer a proof

        code = cb.spoken_code(text)
        found_email = parsing.find_email(text, answer=(requested == "lookup_email"))
        email = found_email[0] if found_email else None
        own_step = requested in self.after_proof
        if booking is not None and (requested is None or own_step):
            day = _day_in(text, today) if self.day_switches or requested is None else None
            if requested is None and self.form == "reschedule_form":
                day = None  # "move my appointment to friday": the new day, not the booking's
            service = None
            if self.day_switches or requested is None:
                if found := parsing.find_service(text, service_names(profile)):
                    service = found[0]
            other_code = None
            if code and code != booking.code and not answers(requested, text, now):
                # A code-shaped answer ("ten am": TENAM) is the answer; a code the store does
                # not know names no booking.
                other_code = code if await by_code(code) is not None else None
            if cb.points_elsewhere(
                booking, profile.tz, code=other_code, email=email, day=day, service=service
            ):
                # Another booking: the proof holds for the proven one only.
                logger.info("%s: the caller moved to another booking", self.form)
                booking = None
                update({**cb.FORGET, **{slot: None for slot in TASK_VALUES}})
                if email:
                    update({"lookup_email": email})
                if day:
                    update({"lookup_day": day.isoformat()})
                requested = None  # read the line again as the start of a new attempt

        verdict: cb.Verdict | None = None
        if booking is None and requested == "lookup_email" and not (email or code):
            rejected = question_instead_of_value(self.form, requested, text)
            if rejected:
                return rejected
        if booking is None:
            verdict, refuse = await self._identify(
                requested, text, code, email, slots, phone, now, failed_proofs
            )
            if refuse:
                return self._offer_team(updates, failed_proofs)
        elif own_step:
            own_updates, own_say = await self.last_steps(requested, text, intent, slots, now)
            update(own_updates)
            say.extend(own_say)

        value_failed = False
        if verdict is not None:
            update(verdict.updates)
            say.extend(verdict.say)
            value_failed = verdict.failed
            if verdict.failed_proof:
                failed_proofs += 1
                await record_failures(verdict.record, now)
                logger.info("%s: failed proof %d in this call", self.form, failed_proofs)
        elif own_step:
            value_failed = (
                requested in VALUE_LABELS
                and slots.get(requested) is None
                and bool(say)
                and not picked
            )
        if requested is not None and requested in self.domain_slots(domain):
            updates.setdefault(requested, slots.get(requested))

        if failed_proofs >= cb.CALL_LIMIT and verdict is not None and verdict.failed_proof:
            for line in say:
                dispatcher.utter_message(text=line)
            return self._offer_team(updates, failed_proofs)
        counter, tries = count_failure(slots.get(FAILURE_SLOT), requested, value_failed)
        if tries >= GIVE_UP_AT and requested:
            logger.info("%s: %s failed %d times, giving up", self.form, requested, tries)
            return give_up(self.form, requested)
        if tries == OFFER_PERSON_AT:
            say.append(person_offer(bool(profile.transfer_number)))
        for line in say:
            dispatcher.utter_message(text=line)
        next_slot = self.next_slot(slots, phone is not None)
        logger.info(
            "%s: requested=%s next=%s intent=%s set=%s",
            self.form,
            requested,
            next_slot,
            intent,
            sorted(updates),
        )
        return [
            *(SlotSet(k, v) for k, v in updates.items()),
            SlotSet(FAILURE_SLOT, counter),
            SlotSet(cb.FAILED_PROOFS_SLOT, float(failed_proofs)),
            SlotSet("requested_slot", next_slot),
        ]

    async def _identify(
        self,
        requested: str | None,
        text: str,
        code: str | None,
        email: str | None,
        slots: dict[str, Any],
        phone: str | None,
        now: datetime,
        failed_proofs: int,
    ) -> tuple[cb.Verdict | None, bool]:
        """One identification step: (the verdict, whether to refuse: no more tries)."""
        profile = load_profile()
        today = now.date()
        limit_reached = failed_proofs >= cb.CALL_LIMIT
        if limit_reached and requested is None:
            return None, True  # no more tries in this call: not even a start
        if code:
            found = await by_code(code)
            if cb.is_upcoming(found, now):
                if limit_reached:
                    return None, True  # no fourth try, even a right one
                return cb.code_turn(code, found, now), False
            # A code that proves nothing is a failed proof (so guesses are counted), unless
            # the step's own parser takes the line ("sarah" as a name: SARAH as a code).
            if not holds_value(requested, text, now) or requested == cb.PROOF_SLOT:
                if requested is None:
                    return cb.code_turn(code, None, now), False
                if limit_reached:
                    return None, True
                return cb.code_turn(code, None, now), False
            # else: a code-shaped word that is a value here ("sarah"): read as the value
        if email and email != slots.get("lookup_email"):
            # A new search key: a new attempt (nothing about the old one carries over).
            return cb.Verdict(
                {"lookup_email": email, "lookup_day": None, "lookup_name": None}
            ), False
        if requested is None:
            if self.day_switches and (day := _day_in(text, today)):
                return cb.Verdict({"lookup_day": day.isoformat()}), False
            return None, False
        if requested == "lookup_email":
            return cb.email_turn(text, email), False
        if requested == "lookup_day":
            return cb.day_turn(text, today), False
        if requested == "lookup_name":
            if limit_reached:
                return None, True
            if not isinstance(parsing.parse_name(text), str) and (day := _day_in(text, today)):
                # "the one on saturday" instead of a name: another day, the same question.
                return cb.Verdict({"lookup_day": day.isoformat(), "lookup_name": None}), False
            candidates = await day_candidates(slots, phone, now, profile.tz)
            failures = await recent_failures([b.code for b in candidates], now)
            return cb.name_turn(text, candidates, failures, now), False
        if requested == cb.PROOF_SLOT:
            candidates = await day_candidates(slots, phone, now, profile.tz)
            failures = await recent_failures([b.code for b in candidates], now)
            mine = cb.proven_by_name(candidates, slots.get("lookup_name"), failures, now)
            if not mine:
                return cb.Verdict(dict(cb.FORGET), (cb.NO_MATCH,)), False
            return cb.choose_turn(text, mine, profile.tz, today), False
        return None, False

    def _offer_team(self, updates: dict[str, Any], failed_proofs: int) -> list[EventType]:
        """No more tries in this call: end the form, and let `action_offer_team` speak."""
        logger.info("%s: no more tries in this call (%d failed)", self.form, failed_proofs)
        return [
            *(SlotSet(k, v) for k, v in updates.items() if k not in cb.STEPS),
            *(SlotSet(slot, None) for slot in cb.STEPS),
            SlotSet(FAILURE_SLOT, None),
            SlotSet(cb.FAILED_PROOFS_SLOT, float(failed_proofs)),
            SlotSet("requested_slot", None),
            FollowupAction(OFFER_TEAM_ACTION),
        ]

    async def last_steps(
        self, requested: str, text: str, intent: str | None, slots: dict[str, Any], now: datetime
    ) -> tuple[dict, list[str]]:
        """Steps after the proof; none by default."""
        return {}, []


class ValidateLookupForm(_ManageValidation):
    form = "lookup_form"


class ValidateCancelForm(_ManageValidation):
    form = "cancel_form"
    after_proof = ("cancel_confirmed",)

    async def last_steps(self, requested, text, intent, slots, now):
        if requested != "cancel_confirmed":
            return {}, []
        answer = parsing.parse_yes_no(text, intent)
        if answer is None:
            return {"cancel_confirmed": None}, [NO_ANSWER]
        return {"cancel_confirmed": answer}, []


class ValidateRescheduleForm(_ManageValidation):
    form = "reschedule_form"
    after_proof = ("booking_date", "booking_time", "reschedule_confirmed")
    day_switches = False

    async def last_steps(self, requested, text, intent, slots, now):
        profile = load_profile()
        booking = await asyncio.to_thread(store_from_env().get, slots.get(cb.PROOF_SLOT))
        if booking is None:
            return {cb.PROOF_SLOT: None}, ["Sorry, I lost track of that booking."]
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
                return {"reschedule_confirmed": None}, [NO_ANSWER]
        if requested not in ("booking_date", "booking_time"):
            return {}, []
        state = FormState.from_slots(
            {**slots, "requested_slot": requested, "service": booking.service}
        )
        found = extract(state, text, intent, profile, now)
        unread = requested in found.failures or (not found.values and found.time_match is None)
        if unread and found.pick is None:
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
        updates.update(offer_update(state, result))
        return updates, list(result.say)
