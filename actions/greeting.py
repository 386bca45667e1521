"""The greeting: the business's name comes from the profile, so editing it needs no retraining."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.profile import load_profile


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:  # fmt: skip
        name = load_profile().name
        dispatcher.utter_message(text=f"Hi, thanks for calling {name}. How can I help you today?")
        return []
