"""The greeting: the business's name comes from the profile, so editing it needs no retraining.

A caller whose number the Retell channel vouches for (caller.py) and who has an upcoming booking
is greeted by first name and asked whether the call is about it; "yes" then offers the ways on
(`action_about_booking`). Hearing their own booking's details still needs the name or the code.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock
from actions.booking.profile import load_profile
from actions.dialogue.caller import caller_phone
from actions.dialogue.manage_forms import upcoming_by_phone
from actions.spoken.render import say_date
from actions.storage.bookings import Booking

logger = logging.getLogger(__name__)


async def _callers_next_booking(tracker: Tracker) -> Booking | None:
    phone = caller_phone(tracker)
    if not phone:
        return None
    profile = load_profile()
    try:
        mine = await upcoming_by_phone(phone, clock.now(profile.tz))
    except Exception as error:  # a plain greeting beats none
        logger.error("greeting: bookings store failed (%s)", type(error).__name__)
        return None
    return mine[0] if mine else None


def greeting_line(business: str, booking: Booking | None, tz) -> str:
    if booking is None:
        return f"Hi, thanks for calling {business}. How can I help you today?"
    first = booking.name.split()[0]
    day = say_date(booking.start.astimezone(tz).date())
    return (
        f"Hi {first}, thanks for calling {business}. Is this about your "
        f"{booking.service.lower()} on {day}?"
    )


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        booking = await _callers_next_booking(tracker)
        logger.info("greeting: recognised caller=%s", booking is not None)
        dispatcher.utter_message(text=greeting_line(profile.name, booking, profile.tz))
        return []


class ActionAboutBooking(Action):
    """ "Yes" to "is this about your appointment?" """

    def name(self) -> str:
        return "action_about_booking"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if await _callers_next_booking(tracker) is None:
            dispatcher.utter_message(text="Okay. How can I help?")
            return []
        dispatcher.utter_message(
            text="Sure. Would you like to move it, cancel it, or hear the details?"
        )
        return []
