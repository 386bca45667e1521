"""Attack: oversized inputs. A REST message over 1 MB got `[]`, no reply and
no log line. Now every input has a limit with a clear answer: a REST body over the limit gets a
413 with a body saying why, a turn over the text limit a spoken "too long" line, both logged."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from common.caller_text import MAX_TURN_CHARS
from connector.rest import MAX_BODY_BYTES
from connector.retell.nudges import TOO_LONG
from tests.security.conftest import GREETING, call


def post(assistant, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{assistant.rasa_port}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_rest_body_over_the_limit_gets_413_with_a_reason_and_a_log_line(assistant, caller):
    logged = assistant.log_end("rasa")
    body = json.dumps({"sender": caller, "message": "a" * (1024 * 1024 + 24)}).encode()
    status, answer = post(assistant, body)
    assert status == 413
    assert str(MAX_BODY_BYTES) in json.loads(answer)["error"]
    assert "rest: refused a body of" in assistant.log_since("rasa", logged)


@pytest.mark.parametrize("size", [MAX_TURN_CHARS + 1, MAX_BODY_BYTES // 2])
def test_a_rest_message_over_the_turn_limit_is_answered_too_long(assistant, caller, size):
    logged = assistant.log_end("rasa")
    assert assistant.say(caller, "hi " * (size // 3 + 1)) == [TOO_LONG]
    assert "too long" in assistant.log_since("rasa", logged)
    assert assistant.say(caller, "hi") != [TOO_LONG]  # the conversation goes on


def test_a_turn_over_the_limit_on_the_socket_is_answered_too_long(assistant):
    heard = call(assistant, ["hi " * (MAX_TURN_CHARS // 3 + 2), "hello"])
    assert heard[0].text == GREETING
    assert heard[1].text == f"{TOO_LONG} How can I help you today?"
    assert TOO_LONG not in heard[2].text


def test_a_name_over_its_limit_is_asked_again(assistant, caller):
    assistant.say(caller, "i'd like to book a haircut")
    said = " ".join(assistant.say(caller, "b" + "a" * 60 + " c" + "o" * 60))
    assert "Sorry, I didn't catch your name." in said
    assert "email" not in said.lower()
