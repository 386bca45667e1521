"""`action_answer_availability`: questions about free times, answered from the real calendar.

Asked inside a form, the answer hands the turn back to the form, which re-asks its question.
"""

from __future__ import annotations

import logging
from datetime import date

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock
from actions.booking.availability import availability_sentence
from actions.booking.new_booking import service_names
from actions.booking.profile import load_profile
from actions.dialogue.booking_form import occupancy_for
from actions.dialogue.digressions import wrap_up
from actions.spoken import parsing
from actions.storage.bookings import store_from_env

logger = logging.getLogger(__name__)


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
        try:
            occupancy = await occupancy_for(store_from_env(), profile, now, day, None)
        except Exception as error:
            logger.error("availability: calendar unavailable (%s)", type(error).__name__)
            dispatcher.utter_message(text="Sorry, I can't see the calendar right now.")
            return wrap_up(dispatcher, tracker)
        dispatcher.utter_message(
            text=availability_sentence(profile, text, day, found, duration, now, occupancy)
        )
        return wrap_up(dispatcher, tracker)
