"""The greeting: the business's name comes from the profile, so editing it needs no retraining.

Every caller hears the same greeting by default, recognised or not: a number the channel vouches
for (caller.py) proves nothing about who holds the phone, and caller ID can be spoofed.
`GREET_KNOWN_CALLER=first_name` greets a number with an upcoming booking by the first name on it
("Hi Dana, thanks for calling ..."), which tells a caller spoofing that number whose number it
is. Nothing else about a booking (service, day, time, code) is said before proof (docs/trust.md).
"""

from __future__ import annotations

import logging
import os

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock
from actions.booking.profile import load_profile
from actions.dialogue.caller import caller_phone
from actions.dialogue.digressions import HELLO_AGAIN
from actions.dialogue.manage_forms import upcoming_by_phone

logger = logging.getLogger(__name__)

GREET_VARIABLE = "GREET_KNOWN_CALLER"
PLAIN, FIRST_NAME = "plain", "first_name"
GREET_MODES = (PLAIN, FIRST_NAME)


def greet_mode(environ: dict[str, str] | None = None) -> str:
    """GREET_KNOWN_CALLER: unset or empty → "plain"; "plain" or "first_name"; anything else is
    a ValueError naming the variable (the action server refuses to start, actions/server.py)."""
    value = (os.environ if environ is None else environ).get(GREET_VARIABLE, "").strip()
    if not value:
        return PLAIN
    if value not in GREET_MODES:
        expected = ", ".join(GREET_MODES)
        raise ValueError(f"{GREET_VARIABLE}: expected one of {expected}, got {value!r}")
    return value


async def _callers_first_name(tracker: Tracker) -> str | None:
    phone = caller_phone(tracker)
    if not phone:
        return None
    profile = load_profile()
    try:
        mine = await upcoming_by_phone(phone, clock.now(profile.tz))
    except Exception as error:  # a plain greeting beats none
        logger.error("greeting: bookings store failed (%s)", type(error).__name__)
        return None
    return mine[0].name.split()[0] if mine and mine[0].name.split() else None


def greeting_line(business: str, first_name: str | None = None) -> str:
    if first_name is None:
        return f"Hi, thanks for calling {business}. How can I help you today?"
    return f"Hi {first_name}, thanks for calling {business}. How can I help you today?"


def greeted_already(events: list[dict]) -> bool:
    """Whether the assistant has spoken in this session before the caller's latest line."""
    seen_user = False
    for event in reversed(events):
        if event.get("event") == "session_started":
            return False
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "bot":
            return True
    return False


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if greeted_already(tracker.events):
            dispatcher.utter_message(text=f"{HELLO_AGAIN} How can I help?")
            return []
        profile = load_profile()
        try:
            mode = greet_mode()
        except ValueError:  # refused at start-up; changed since: the safe greeting
            mode = PLAIN
        first = await _callers_first_name(tracker) if mode == FIRST_NAME else None
        logger.info("greeting: mode=%s by name=%s", mode, first is not None)
        dispatcher.utter_message(text=greeting_line(profile.name, first))
        return []
