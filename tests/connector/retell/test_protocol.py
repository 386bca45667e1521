"""The per-call protocol driven in memory: frames in, events out; calls in, frames out."""

from __future__ import annotations

import json

import pytest

from connector.retell.frames import (
    CallDetails,
    CallInfo,
    ConfigFrame,
    ResponseFrame,
    Role,
    UpdateOnly,
    Utterance,
)
from connector.retell.protocol import (
    CallProtocol,
    Ignored,
    LocalProtocolError,
    Malformed,
    PingReceived,
    TurnKind,
    TurnRequested,
    agent_lines,
    is_unintelligible,
    new_caller_text,
    reply_heard,
)

NOISE = "(unintelligible audio)"


def lines(*pairs: str) -> tuple[Utterance, ...]:
    """lines("a: Hi", "u: hello") → a transcript; prefixes a/u/o = agent/user/other."""
    roles = {"a": Role.AGENT, "u": Role.USER, "o": Role.OTHER}
    return tuple(Utterance(roles[p[0]], p[3:]) for p in pairs)


def wire_transcript(transcript) -> list[dict]:
    raw = {Role.AGENT: "agent", Role.USER: "user", Role.OTHER: "tool_call_result"}
    return [{"role": raw[u.role], "content": u.content, "words": []} for u in transcript]


def request(response_id: int, *pairs: str, kind: str = "response_required") -> str:
    return json.dumps(
        {
            "interaction_type": kind,
            "response_id": response_id,
            "transcript": wire_transcript(lines(*pairs)),
        }
    )


def update(*pairs: str, **extra) -> str:
    return json.dumps(
        {"interaction_type": "update_only", "transcript": wire_transcript(lines(*pairs)), **extra}
    )


def wire(frames) -> list[dict]:
    return [json.loads(f.to_wire()) for f in frames]


def started(reconnect: bool = False) -> CallProtocol:
    protocol = CallProtocol()
    protocol.start(greet=not reconnect)
    return protocol


def turn(protocol: CallProtocol, text: str) -> TurnRequested:
    (event,) = protocol.receive(text)
    assert isinstance(event, TurnRequested), event
    return event


# ---------------------------------------------------------------------------- transcript rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NOISE, True),
        ("  (Unintelligible Audio) ", True),
        (f"{NOISE} {NOISE}", True),
        ("", True),
        ("   \n\t", True),
        (None, True),
        ("yes", False),
        (f"{NOISE} yes", False),
        ("unintelligible", False),
    ],
)
def test_is_unintelligible(text, expected):
    assert is_unintelligible(text) is expected


@pytest.mark.parametrize(
    ("transcript", "expected"),
    [
        (lines(), ""),
        (lines("u: hello"), "hello"),  # no agent line yet: everything the caller said
        (lines("a: Hi, how can I help?", "u: I'd like a haircut"), "I'd like a haircut"),
        (
            lines("a: Hi", "u: I'd like", "u: a haircut", "u: on Friday at 3"),
            "I'd like a haircut on Friday at 3",
        ),
        (lines("a: Hi", "u: old", "a: Sure, what day?", "u: Friday", "u: at 3"), "Friday at 3"),
        (lines("a: Hi", "u: hello", "a: What day?"), ""),  # the agent spoke last
        (lines("a: Hi", "u:  yes  ", "u: ", f"u: {NOISE}", "u: make it 4 "), "yes make it 4"),
        (lines("a: Hi", f"u: {NOISE}"), ""),  # only noise: nothing to hand to Rasa
        (
            lines("a: Hi", "u: book", "o: tool result", "u: me in"),
            "book me in",
        ),  # other: no boundary
        (
            lines("a: Hi", "u: book", "a:  ", "u: me in"),
            "book me in",
        ),  # blank agent line: not heard
    ],
)
def test_new_caller_text_is_every_user_line_after_the_last_agent_line(transcript, expected):
    assert new_caller_text(transcript) == expected


@pytest.mark.parametrize(
    ("requested", "now", "heard"),
    [
        pytest.param(
            lines("a: Hi", "u: my name is Mike"),
            lines("a: Hi", "u: my name is Mike Trump"),
            False,
            id="asr-revised-the-same-utterance",
        ),
        pytest.param(
            lines("a: Hi", "u: yes"),
            lines("a: Hi", "u: yes", "u: make it 4"),
            False,
            id="caller-kept-talking",
        ),
        pytest.param(
            lines("a: Hi", "u: yes"),
            lines("a: Hi", "u: yes", "a: Great, booked for", "u: make it 4"),
            True,
            id="reply-partly-spoken",
        ),
        pytest.param(
            lines("a: Hi", "u: yes"),
            lines("a: Hi", "u: yes", "a: ", "u: make it 4"),
            False,
            id="empty-agent-line-is-not-heard",
        ),
        pytest.param(
            lines("a: Hi", "u: yes"),
            lines("a: Hi", "u: yes", "o: tool call", "u: make it 4"),
            False,
            id="other-roles-are-not-agent-lines",
        ),
        pytest.param(lines("u: hello"), lines("u: hello", "a: Hi there"), True, id="first-reply"),
    ],
)
def test_reply_heard_compares_agent_lines(requested, now, heard):
    assert reply_heard(requested, now) is heard


def test_agent_lines_counts_only_spoken_agent_utterances():
    assert agent_lines(lines("a: Hi", "u: x", "a: ", "o: y", "a: Bye")) == 2


# ---------------------------------------------------------------------------- start


def test_new_call_sends_config_first_and_leaves_the_greeting_to_the_assistant():
    protocol = CallProtocol()
    assert wire(protocol.start()) == [
        {
            "response_type": "config",
            "config": {
                "auto_reconnect": True,
                "call_details": True,
                "transcript_with_tool_calls": False,
            },
        }
    ]
    assert protocol.current_response_id == 0 and protocol.is_sendable(0)
    greeting = protocol.send_text(0, "Hi, this is the salon. How can I help?", complete=True)
    assert wire([greeting]) == [
        {
            "response_type": "response",
            "response_id": 0,
            "content": "Hi, this is the salon. How can I help?",
            "content_complete": True,
        }
    ]
    assert protocol.close(0) is None


def test_reconnect_sends_config_then_an_empty_complete_begin_message():
    protocol = CallProtocol(ConfigFrame(auto_reconnect=True, call_details=False))
    frames = protocol.start(greet=False)
    assert wire(frames) == [
        {
            "response_type": "config",
            "config": {
                "auto_reconnect": True,
                "call_details": False,
                "transcript_with_tool_calls": False,
            },
        },
        {"response_type": "response", "response_id": 0, "content": "", "content_complete": True},
    ]
    assert protocol.send_text(0, "Hi again!") is None  # never greet twice
    assert protocol.close(0) is None


def test_local_misuse_raises():
    protocol = CallProtocol()
    with pytest.raises(LocalProtocolError, match="before start"):
        protocol.send_text(0, "Hi")
    with pytest.raises(LocalProtocolError):
        protocol.close(0)
    protocol.start()
    with pytest.raises(LocalProtocolError, match="twice"):
        protocol.start()
    with pytest.raises(ValueError):
        CallProtocol(max_frame_bytes=0)


def test_a_request_that_races_ahead_of_start_stays_current():
    protocol = CallProtocol()
    turn(protocol, request(1, "u: hello"))
    protocol.start()
    assert protocol.current_response_id == 1
    assert protocol.send_text(0, "Hi") is None
    assert protocol.send_text(1, "Hello!") is not None


# ---------------------------------------------------------------------------- inbound events


def test_every_inbound_type_becomes_one_event():
    protocol = started()
    assert protocol.receive('{"interaction_type":"ping_pong","timestamp":1703302407333}') == [
        PingReceived(1703302407333)
    ]
    assert json.loads(protocol.pong(1703302407333).to_wire()) == {
        "response_type": "ping_pong",
        "timestamp": 1703302407333,
    }

    details = json.dumps(
        {
            "interaction_type": "call_details",
            "call": {"call_id": "c1", "from_number": "+14155550100", "extra": 1},
        }
    )
    assert protocol.receive(details) == [
        CallDetails(CallInfo(call_id="c1", from_number="+14155550100"))
    ]
    assert protocol.call.from_number == "+14155550100"

    (event,) = protocol.receive(update("a: Hi", "u: hello", turntaking="user_turn", timestamp=3))
    assert event == UpdateOnly(lines("a: Hi", "u: hello"), "user_turn")
    assert protocol.transcript == lines("a: Hi", "u: hello") and protocol.turntaking == "user_turn"

    assert turn(protocol, request(1, "a: Hi", "u: hello")) == TurnRequested(
        1, TurnKind.RESPONSE, "hello", lines("a: Hi", "u: hello"), superseded=0
    )
    protocol.close(1)
    reminder = turn(
        protocol, request(2, "a: Hi", "u: hello", "a: What day?", kind="reminder_required")
    )
    assert reminder.kind == TurnKind.REMINDER == "reminder" and reminder.caller_text == ""
    assert reminder.superseded is None and reminder.unheard is None

    assert protocol.receive('{"interaction_type":"sms_received"}') == [
        Ignored("unknown interaction_type 'sms_received'")
    ]


def test_unintelligible_turn_has_empty_caller_text():
    protocol = started()
    event = turn(protocol, request(1, "a: Hi", f"u: {NOISE}"))
    assert event.caller_text == "" and is_unintelligible(event.caller_text)


@pytest.mark.parametrize(
    "text",
    [
        "not json{",
        b'{"interaction_type":"response_required","response_id":2,"transcript":[]}',
        "[1]",
        '{"interaction_type":"response_required","transcript":[]}',
        '{"interaction_type":"response_required","response_id":"2","transcript":[]}',
        '{"interaction_type":"response_required","response_id":true,"transcript":[]}',
        '{"interaction_type":"response_required","response_id":2,"transcript":"x"}',
        '{"interaction_type":"response_required","response_id":2,"transcript":[],"pad":"'
        + "x" * 200
        + '"}',
    ],
)
def test_malformed_frames_are_events_and_change_nothing(text):
    protocol = CallProtocol(max_frame_bytes=200)
    protocol.start()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    protocol.send_text(1, "Sure, ")
    (event,) = protocol.receive(text)
    assert isinstance(event, Malformed) and event.reason
    assert protocol.current_response_id == 1 and protocol.open_response_id == 1
    assert protocol.transcript == lines("a: Hi", "u: hello")


def test_a_repeated_request_for_the_current_id_is_ignored():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    protocol.send_text(1, "Hello ")
    assert protocol.receive(request(1, "a: Hi", "u: hello")) == [
        Ignored("repeated request for current response_id 1")
    ]
    assert protocol.open_response_id == 1


# ---------------------------------------------------------------------------- responses


def test_stream_then_close():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: do you do beards"))
    frames = [
        protocol.send_text(1, "Yes, we do. "),
        protocol.send_text(1, "It takes 20 minutes."),
        protocol.close(1),
    ]
    assert wire(frames) == [
        {
            "response_type": "response",
            "response_id": 1,
            "content": "Yes, we do. ",
            "content_complete": False,
        },
        {
            "response_type": "response",
            "response_id": 1,
            "content": "It takes 20 minutes.",
            "content_complete": False,
        },
        {"response_type": "response", "response_id": 1, "content": "", "content_complete": True},
    ]
    assert (
        protocol.open_response_id is None and protocol.is_current(1) and not protocol.is_sendable(1)
    )
    assert protocol.send_text(1, "More?") is None  # Retell ignores content after completion
    assert protocol.close(1) is None


def test_open_tracks_started_not_completed():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    assert protocol.open_response_id is None  # requested, nothing sent
    protocol.send_text(1, "Hello ")
    assert protocol.open_response_id == 1
    protocol.send_text(1, "there.", complete=True)
    assert protocol.open_response_id is None


@pytest.mark.parametrize("stream_first", [True, False], ids=["open", "requested-only"])
def test_a_newer_request_supersedes_the_older_id(stream_first):
    protocol = started()
    protocol.close(0)
    turn(protocol, request(1, "a: Hi", "u: I'd like"))
    if stream_first:
        assert protocol.send_text(1, "Sure, ") is not None
    event = turn(protocol, request(2, "a: Hi", "u: I'd like", "u: a haircut"))
    assert event.superseded == 1 and event.caller_text == "I'd like a haircut"
    assert not protocol.is_current(1) and protocol.is_current(2)
    assert protocol.send_text(1, "what day?") is None
    assert protocol.close(1) is None
    assert protocol.send_text(2, "What day suits you?", complete=True).response_id == 2


def test_update_only_does_not_supersede():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    protocol.send_text(1, "Hello, ")
    protocol.receive(update("a: Hi", "u: hello", "a: Hello,", turntaking="agent_turn"))
    assert protocol.is_current(1) and protocol.open_response_id == 1
    assert protocol.send_text(1, "how can I help?") is not None
    assert protocol.close(1) is not None


def test_a_closed_response_is_not_reported_as_superseded():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    protocol.send_text(1, "Hello!", complete=True)
    assert (
        turn(protocol, request(2, "a: Hi", "u: hello", "a: Hello!", "u: book me in")).superseded
        is None
    )


def test_the_last_request_wins_even_with_a_lower_id():
    protocol = started()
    turn(protocol, request(5, "a: Hi", "u: hello"))
    assert turn(protocol, request(1, "a: Hi", "u: hello again")).superseded == 5
    assert protocol.is_current(1) and protocol.send_text(5, "x") is None


@pytest.mark.parametrize(
    ("first", "second", "unheard", "caller_text"),
    [
        pytest.param(
            ("a: Hi", "u: my name is Mike"),
            ("a: Hi", "u: my name is Mike Trump"),
            1,
            "my name is Mike Trump",
            id="name-revised-in-place",
        ),
        pytest.param(
            ("a: Confirm?", "u: yes"),
            ("a: Confirm?", "u: yes", "u: make it 4"),
            1,
            "yes make it 4",
            id="yes-then-make-it-4",
        ),
        pytest.param(
            ("a: Confirm?", "u: yes"),
            ("a: Confirm?", "u: yes", "a: Great, you're", "u: make it 4"),
            None,
            "make it 4",
            id="reply-was-heard",
        ),
        pytest.param(
            ("a: What day?",),
            ("a: What day?", "u: Friday"),
            None,
            "Friday",
            id="previous-turn-had-no-caller-text",
        ),
    ],
)
def test_unheard_names_the_turn_whose_text_is_repeated(first, second, unheard, caller_text):
    protocol = started()
    kind = "response_required" if first[-1].startswith("u:") else "reminder_required"
    turn(protocol, request(1, *first, kind=kind))
    protocol.send_text(1, "Great, you're booked.", complete=True)
    event = turn(protocol, request(2, *second))
    assert (event.unheard, event.caller_text) == (unheard, caller_text)


def test_unheard_chains_one_turn_at_a_time():
    protocol = started()
    assert turn(protocol, request(1, "a: Confirm?", "u: yes")).unheard is None
    assert turn(protocol, request(2, "a: Confirm?", "u: yes make it")).unheard == 1
    third = turn(protocol, request(3, "a: Confirm?", "u: yes make it", "u: four"))
    assert (third.unheard, third.superseded, third.caller_text) == (2, 2, "yes make it four")


# ---------------------------------------------------------------------------- actions


@pytest.mark.parametrize(
    ("flags", "kept", "dropped"),
    [
        ({"end_call": True}, {"end_call": True}, []),
        (
            {"end_call": True, "transfer_number": "+14155550123", "digit_to_press": "1"},
            {"end_call": True},
            ["transfer_number", "digit_to_press"],
        ),
        (
            {"transfer_number": "+14155550123", "digit_to_press": "1"},
            {"transfer_number": "+14155550123"},
            ["digit_to_press"],
        ),
        (
            {"end_call": False, "transfer_number": "+14155550123"},
            {"end_call": False, "transfer_number": "+14155550123"},
            [],
        ),
        (
            {"digit_to_press": "2", "no_interruption_allowed": True},
            {"digit_to_press": "2", "no_interruption_allowed": True},
            [],
        ),
    ],
)
def test_at_most_one_action_per_frame_end_call_wins_then_transfer(flags, kept, dropped):
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: bye"))
    sent = json.loads(protocol.send_text(1, "Goodbye.", complete=True, **flags).to_wire())
    assert {k: v for k, v in sent.items() if k in flags} == kept
    notes = protocol.pop_notes()
    assert [n.split("dropped ")[1].split("=")[0] for n in notes] == dropped
    assert protocol.pop_notes() == []


def test_the_first_latched_action_holds_for_the_rest_of_the_response():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: put me through"))
    first = protocol.send_text(1, "Transferring you now. ", transfer_number="+14155550123")
    assert first.transfer_number == "+14155550123"
    second = protocol.send_text(1, "Bye.", end_call=True)
    assert second.end_call is None
    assert protocol.pop_notes() == [
        "response 1: dropped end_call=True, transfer_number already applies "
        "(at most one action per response)"
    ]
    again = protocol.send_text(1, "", complete=True, transfer_number="+14155550123")
    assert again.transfer_number == "+14155550123" and protocol.pop_notes() == []
    # A new response starts with no action latched.
    turn(protocol, request(2, "a: Hi", "u: put me through", "a: Transferring you now.", "u: wait"))
    assert protocol.send_text(2, "Okay, goodbye.", complete=True, end_call=True).end_call is True


def test_a_bad_flag_raises_and_leaves_the_response_untouched():
    protocol = started()
    turn(protocol, request(1, "a: Hi", "u: hello"))
    with pytest.raises(ValueError, match="E.164"):
        protocol.send_text(1, "Transferring.", transfer_number="555-0123")
    with pytest.raises(TypeError, match="content"):
        protocol.send_text(1, None, end_call=True, digit_to_press="1")
    assert protocol.pop_notes() == []  # nothing was sent, so nothing was dropped
    assert protocol.open_response_id is None and protocol.is_sendable(1)
    assert protocol.send_text(1, "Bye.", complete=True, end_call=True).end_call is True


# ---------------------------------------------------------------------------- a whole call


def test_a_call_from_greeting_to_hang_up():
    protocol = CallProtocol()
    out: list[ResponseFrame | ConfigFrame] = list(protocol.start())
    protocol.receive(json.dumps({"interaction_type": "call_details", "call": {"call_id": "c9"}}))
    out.append(protocol.send_text(0, "Hi, how can I help?", complete=True))
    protocol.receive(update("a: Hi, how can I help?"))
    first = turn(protocol, request(1, "a: Hi, how can I help?", "u: I'd like"))
    out.append(protocol.send_text(first.response_id, "Sure, "))
    second = turn(protocol, request(2, "a: Hi, how can I help?", "u: I'd like a haircut, bye"))
    assert (second.superseded, second.unheard) == (1, 1)
    assert protocol.send_text(1, "what day?") is None
    out.append(protocol.send_text(2, "Call us back any time. Goodbye!", end_call=True))
    out.append(protocol.close(2))
    assert [
        (f.get("response_id"), f.get("content"), f.get("content_complete"), f.get("end_call"))
        for f in wire(out)
    ] == [
        (None, None, None, None),
        (0, "Hi, how can I help?", True, None),
        (1, "Sure, ", False, None),
        (2, "Call us back any time. Goodbye!", False, True),
        (2, "", True, None),
    ]
