"""`action_gemini_fallback`: answers to everything outside the forms, streamed as Gemini writes.

The order of a turn: the system instruction (business profile, which slots the active form has
filled — names only — see llm/prompt.py) and the last few turns go to Gemini; each piece of its
reply is cleaned for speech (llm/reply_cleaner.py: whole sentences, no markdown, a cap of a few
sentences) and, on a Retell call, relayed to the caller at once (relay_client). When the relay
answers "superseded" the stream is cancelled: no tokens are spent on an answer nobody hears. The
action then returns the full text flagged `already_spoken`, so the tracker keeps it and the
channel does not say it twice; outside Retell it is a normal message.

Failures never leave the caller in silence: no key (the embedded default) → the profile's FAQ
answer; no first piece in time, an error, or a refusal → the FAQ answer or an honest "I'm not
sure" with an offer to book or transfer; a stream dying half-way → what was said stands, with a
short apology. Gemini has no tools and this action returns no slot or database change, whatever
the caller asks it to do. Inside a form the form re-asks its pending question after the answer.
"""

from __future__ import annotations

import logging
import time

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.booking import clock, faq
from actions.booking.new_booking import service_names
from actions.booking.profile import BusinessProfile, load_profile
from actions.dialogue.digressions import wrap_up
from actions.llm.gemini import GeminiError, GeminiSettings, client_for_current_loop
from actions.llm.prompt import recent_turns, system_instruction
from actions.llm.relay_client import SUPERSEDED, RelayStream, target_for
from actions.llm.reply_cleaner import SpokenReply, first_sentences
from common import identity

logger = logging.getLogger(__name__)

LOST_THREAD = "Sorry, I lost my train of thought there."
NOT_SURE = (
    "I'm not sure about that one. I can help you book, change or cancel an appointment, "
    "or put you through to the team."
)
# A turn holds at most three sentences: the answer leaves room for what follows it, "Is there
# anything else I can help with?" outside a form, the form's question (at most two) inside.
ANSWER_SENTENCES = {False: 2, True: 1}
# Slots that say something about the caller's progress without being a value worth a prompt.
_BOOKKEEPING = {"requested_slot", "booking_reference", "failed_value", "booking_change_pending"}


def filled_slot_names(tracker: Tracker) -> list[str]:
    """Names of the active form's slots that hold a value (never the values: they stay here)."""
    if not (tracker.active_loop or {}).get("name"):
        return []
    return sorted(
        name
        for name, value in tracker.current_slot_values().items()
        if value not in (None, "", []) and name not in _BOOKKEEPING
    )


class ActionGeminiFallback(Action):
    def name(self) -> str:
        return "action_gemini_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        profile = load_profile()
        question = (tracker.latest_message or {}).get("text") or ""
        settings = GeminiSettings.from_env()
        form = (tracker.active_loop or {}).get("name")
        if not settings.enabled:
            reply = faq.answer(profile, question, service_names(profile))
            logger.info("fallback: source=faq answered=%s form=%s", reply is not None, form)
            dispatcher.utter_message(
                text=first_sentences(reply or NOT_SURE, ANSWER_SENTENCES[bool(form)]),
                fallback_outcome="faq" if reply else "not_sure",
            )
            return wrap_up(dispatcher, tracker)
        await self._from_gemini(dispatcher, tracker, profile, question, settings, form)
        return wrap_up(dispatcher, tracker)

    async def _from_gemini(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        profile: BusinessProfile,
        question: str,
        settings: GeminiSettings,
        form: str | None,
    ) -> None:
        started = time.monotonic()
        target, secret = target_for(tracker), identity.secret_from_env()
        relayed = RelayStream(target, secret) if target and secret else None
        spoken: list[str] = []  # reached the caller through the relay
        unsent: list[str] = []  # to go out as a normal message
        reply = SpokenReply(max_sentences=ANSWER_SENTENCES[bool(form)])
        outcome = "answered"

        async def say(piece: str) -> None:
            piece = piece.strip()
            if not piece:
                return
            piece += " "  # like every frame of ours: a piece carries its own trailing space
            if relayed is not None and await relayed.say(piece):
                spoken.append(piece)
            else:
                unsent.append(piece)

        stream = client_for_current_loop(settings).stream(
            system_instruction(
                profile, form, filled_slot_names(tracker), now=clock.now(profile.tz)
            ),
            recent_turns(tracker.events),
        )
        try:
            async for chunk in stream:
                await say(reply.feed(chunk))
                if relayed is not None and relayed.stopped == SUPERSEDED:
                    outcome = "superseded"
                    break
                if reply.capped:
                    break
            else:
                await say(reply.finish())
        except GeminiError as error:
            outcome = error.reason
            if not spoken and not unsent:
                fallback = faq.answer(profile, question, service_names(profile))
                unsent.append(first_sentences(fallback or NOT_SURE, ANSWER_SENTENCES[bool(form)]))
            else:
                await say(reply.finish())
                if not form:  # in a form, its question follows: a fourth sentence is one too many
                    unsent.append(LOST_THREAD)
        finally:
            await stream.aclose()  # cancels the gRPC call when we stopped early
        logger.info(
            "fallback: source=gemini outcome=%s form=%s relayed=%d unsent=%d ms=%d",
            outcome,
            form,
            len(spoken),
            len(unsent),
            int((time.monotonic() - started) * 1000),
        )
        # The last message carries the outcome for the channel's metrics (metrics.py).
        last = {"fallback_outcome": outcome}
        if unsent and outcome != "superseded":
            if spoken:
                dispatcher.utter_message(text="".join(spoken).strip(), already_spoken=True)
            dispatcher.utter_message(text="".join(unsent).strip(), **last)
        elif spoken:
            dispatcher.utter_message(text="".join(spoken).strip(), already_spoken=True, **last)
