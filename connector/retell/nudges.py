"""What the agent says on silence, noise and slowness: reminders, "say again", the holding line.

The say-again line also answers caller text that is refused before NLU (common/caller_text.py):
a command-like line ("/cancel_appointment", `{"email": ...}`) on every channel, and TOO_LONG a
turn over the length limit.

A reminder (`reminder_required`: the caller said nothing after our last line) and unintelligible
audio are answered here, from the conversation's stored events, without a Rasa turn: nothing is
added to the tracker, so neither can ever become a slot value, a classified intent, or a step
that breaks a rule ("anything else?" → silence → nudge → "no" still ends the call). The pending
question is the last question we asked: inside a form that is the form's question for its
requested slot; outside, the last "anything else?". Pure functions over Rasa events (anything
with `type_name` and `text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

STILL_THERE = "Are you still there?"
CHECK_IN = "Are you still there? How can I help you?"
SAY_AGAIN = "Sorry, could you say that again?"
DIDNT_CATCH = "Sorry, I didn't catch that."
HOLDING_LINE = "One moment, please."
TOO_LONG = "Sorry, that was too long for me. Could you say it in fewer words?"

_SENTENCE = re.compile(r"[^.!?]+[.!?]+|[^.!?]+$")


def pending_question(events: Sequence[Any]) -> str | None:
    """The last question of our last reply (the bot lines after the caller's last message)."""
    lines: list[str] = []
    for event in reversed(events):
        kind = getattr(event, "type_name", None)
        if kind == "user":
            break
        if kind == "bot" and getattr(event, "text", None):
            lines.insert(0, event.text)
    for line in reversed(lines):
        questions = [s.strip() for s in _SENTENCE.findall(line) if s.strip().endswith("?")]
        if questions:
            return questions[-1]
    return None


def reminder_line(events: Sequence[Any]) -> str:
    """ "Are you still there? What day would you like to come in?" """
    question = pending_question(events)
    return f"{STILL_THERE} {question}" if question else CHECK_IN


def say_again_line(events: Sequence[Any]) -> str:
    """Noise or nothing from the caller: ask again, repeating the pending question if any."""
    question = pending_question(events)
    return f"{DIDNT_CATCH} {question}" if question else SAY_AGAIN


def too_long_line(events: Sequence[Any]) -> str:
    """A turn over the length limit: say so, and repeat the pending question if any."""
    question = pending_question(events)
    return f"{TOO_LONG} {question}" if question else TOO_LONG
