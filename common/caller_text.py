"""Text is text: what a caller says or types is only ever words for NLU, never a command.

Rasa reads a message starting with "/" as an intent trigger and `/intent{"slot": "value"}` as an
intent with entities, so a caller line that starts with "/" or holds `{"` could start a form
("/cancel_appointment"), set slots or greet again. Such a line never reaches Rasa: the channel
answers with its say-again line instead (connector/retell/nudges.py). The channels' own triggers
("/greet", which the Retell channel sends itself when a call opens) do not come from here.

A turn's text has a limit too (MAX_TURN_CHARS): a longer line is refused with a spoken line,
not cut, so no half-sentence is ever read as a value.
"""

from __future__ import annotations

MAX_TURN_CHARS = 2000  # characters of caller text in one turn

COMMAND = "command"
TOO_LONG = "too long"


def refusal(text: str | None) -> str | None:
    """Why this caller text must not reach NLU (COMMAND, TOO_LONG), or None when it may."""
    if not text:
        return None
    if len(text) > MAX_TURN_CHARS:
        return TOO_LONG
    if text.lstrip().startswith("/") or '{"' in text:
        return COMMAND
    return None
