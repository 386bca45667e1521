"""The caller's words never reach Rasa as a command: a transcript line starting with "/" would be
read as an intent trigger ("/restart" wipes the conversation, "/greet" greets again). Found by
the socket fuzz (tests/faults/test_fuzz.py)."""

from __future__ import annotations

import json

import pytest

from connector.retell.frames import Role, Utterance
from connector.retell.protocol import CallProtocol, TurnRequested, new_caller_text


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("/restart", "restart"),
        ("/greet", "greet"),
        ('//inform{"email": "x@y.z"}', 'inform{"email": "x@y.z"}'),
        ("/ /call_started hello", "call_started hello"),
        ("/", ""),
        ("a/b and /c", "a/b and /c"),  # only the start matters to Rasa
    ],
)
def test_leading_slashes_are_dropped_from_the_caller_text(said, expected):
    transcript = (Utterance(Role.AGENT, "Hi"), Utterance(Role.USER, said))
    assert new_caller_text(transcript) == expected


def test_a_request_whose_text_is_a_command_carries_plain_words():
    protocol = CallProtocol()
    protocol.start()
    frame = {
        "interaction_type": "response_required",
        "response_id": 1,
        "transcript": [{"role": "user", "content": "/restart"}],
    }
    [event] = protocol.receive(json.dumps(frame))
    assert isinstance(event, TurnRequested) and event.caller_text == "restart"
