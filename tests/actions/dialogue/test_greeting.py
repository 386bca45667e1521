"""The greeting says nothing of a recognised caller's bookings, unless GREET_KNOWN_CALLER asks for
the first name; an unknown value of that setting is refused."""

from __future__ import annotations

import pytest

from actions.dialogue.greeting import greet_mode, greeting_line


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({}, "plain"),
        ({"GREET_KNOWN_CALLER": " "}, "plain"),
        ({"GREET_KNOWN_CALLER": "plain"}, "plain"),
    ]
    + [({"GREET_KNOWN_CALLER": "first_name"}, "first_name")],
)
def test_the_greeting_mode_is_plain_unless_first_name_is_asked_for(environ, mode):
    assert greet_mode(environ) == mode


@pytest.mark.parametrize("value", ["yes", "full", "First_Name", "name"])
def test_an_unknown_greeting_mode_is_an_error_naming_the_variable(value):
    with pytest.raises(ValueError, match="GREET_KNOWN_CALLER: expected one of plain, first_name"):
        greet_mode({"GREET_KNOWN_CALLER": value})


def test_the_lines():
    assert greeting_line("Bella Hair Studio") == (
        "Hi, thanks for calling Bella Hair Studio. How can I help you today?"
    )
    assert greeting_line("Bella Hair Studio", "Dana") == (
        "Hi Dana, thanks for calling Bella Hair Studio. How can I help you today?"
    )


def test_a_greeting_mid_call_is_acknowledged_not_repeated():
    from actions.dialogue.greeting import greeted_already

    first = [{"event": "session_started"}, {"event": "user", "text": "hi"}]
    assert not greeted_already(first)
    later = [*first, {"event": "bot", "text": "Hi, thanks..."}, {"event": "user", "text": "hi"}]
    assert greeted_already(later)
    new_session = [*later, {"event": "session_started"}, {"event": "user", "text": "hi"}]
    assert not greeted_already(new_session)
