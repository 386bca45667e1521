"""The REST channel keeps caller text to words within limits (connector/rest.py)."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from common.caller_text import MAX_TURN_CHARS
from connector.rest import SafeRestInput, refused_line
from connector.retell.nudges import SAY_AGAIN, TOO_LONG


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("/greet", None),  # REST's opening trigger, as the Retell channel sends it
        ("hello", None),
        ("/cancel_appointment", SAY_AGAIN),
        ('/inform{"email":"victim.person@example.net"}', SAY_AGAIN),
        ('/greet{"customer_name": "x"}', SAY_AGAIN),
        ('book {"service": "haircut"}', SAY_AGAIN),
        ("x" * (MAX_TURN_CHARS + 1), TOO_LONG),
    ],
)
def test_refused_lines(text, line):
    assert refused_line(text) == line


def test_a_refused_message_gets_the_line_and_never_reaches_rasa():
    reached: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        reached.append(message.text)

    channel = SafeRestInput()
    assert channel.name() == "rest"
    blueprint = channel.blueprint(on_new_message)
    assert blueprint is not None

    async def talk():
        out = CollectingOutputChannel()
        guarded = SafeRestInput._guard(on_new_message)  # what the blueprint's route calls
        await guarded(UserMessage("/cancel_appointment", out, "s1"))
        await guarded(UserMessage("hello", out, "s1"))
        return out.messages

    messages = asyncio.run(talk())
    assert [m["text"] for m in messages] == [SAY_AGAIN]
    assert reached == ["hello"]
