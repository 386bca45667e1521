"""`action_answer_availability`: questions about free times, answered from the real calendar.

Asked inside a form, the answer hands the turn back to the form, which re-asks its question.
"""

from __future__ import annotations

import logging
from datetime import date

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock, offers
from actions.booking.availability import availability_sentence
from actions.booking.new_booking import later_or_earlier, service_names
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for
from actions.dialogue.digressions import wrap_up
from actions.spoken import parsing
from actions.storage.bookings import store_from_env

logger = logging.getLogger(__name__)
# After times offered outside a form: a yes, or a pick ("the first one"), starts the booking.
BOOK_ONE = "Would you like to book one of those?"


class ActionAnswerAvailability(Action):
    """ "What do you have on Friday?" / "When's your next opening?" — from the real calendar."""

    def name(self) -> str:
        return "action_answer_availability"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        now = clock.now(profile.tz)
        text = (tracker.latest_message or {}).get("text") or ""
        names = service_names(profile)
        mentioned = parsing.find_service(text, names)
        service_name = mentioned[0] if mentioned else tracker.get_slot("service")
        service = profile.service(service_name) if service_name else None
        duration = (
            service.duration_minutes
            if service
            else min(s.duration_minutes for s in profile.services)
        )
        found = parsing.find_date(text, now.date())
        day = found.value if found and isinstance(found.value, date) else None
        offer = offers.Offer.from_slot(tracker.get_slot(offers.OFFER_SLOT))
        in_form = (tracker.active_loop or {}).get("name")
        if found is None and in_form:
            # "what do you have that day?" mid-booking: the form's day.
            day = _form_day(tracker.get_slot("booking_date"))
        try:
            occupancy = await occupancy_for(store_from_env(), profile, now, day, None)
        except Exception as error:
            logger.error("availability: calendar unavailable (%s)", type(error).__name__)
            dispatcher.utter_message(text="Sorry, I can't see the calendar right now.")
            return wrap_up(dispatcher, tracker)
        direction = offers.wants_more(text) if found is None else None
        if direction and offer is not None and offer.kind == offers.TIMES:
            line, new = later_or_earlier(profile, offer, direction, duration, now, occupancy)
            starts = list(new.items) if new else []
        else:
            line, starts = availability_sentence(
                profile, text, day, found, duration, now, occupancy
            )
        dispatcher.utter_message(text=line)
        new_offer = offers.of_times(starts)  # type: ignore[arg-type]
        events = [SlotSet(offers.OFFER_SLOT, new_offer.to_slot())] if new_offer else []
        closing = BOOK_ONE if new_offer and not in_form else None
        return events + wrap_up(dispatcher, tracker, closing)


def _form_day(value: object) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
