"""Retell frames: tolerant inbound parsing (one frame → one value, never an exception) and strict
outbound frames (exact JSON with real JSON types; bad values refused at construction)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from connector.retell.frames import (
    CallDetails,
    CallInfo,
    ConfigFrame,
    PingPong,
    PingPongFrame,
    ProtocolError,
    ReminderRequired,
    ResponseFrame,
    ResponseRequired,
    Role,
    ToolCallInvocationFrame,
    ToolCallResultFrame,
    Unknown,
    UpdateOnly,
    Utterance,
    parse_inbound,
)

AGENT_HI = {"role": "agent", "content": "Hey how can I help you?", "words": []}
USER_HI = {
    "role": "user",
    "content": "Hey. How are you?",
    "words": [{"word": "Hey.", "start": 4.375, "end": 4.615}],
}
HI = (Utterance(Role.AGENT, "Hey how can I help you?"), Utterance(Role.USER, "Hey. How are you?"))


def frame(**fields) -> str:
    return json.dumps(fields)


# ---------------------------------------------------------------------------- inbound


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            frame(interaction_type="ping_pong", timestamp=1703302407333),
            PingPong(1703302407333),
            id="ping_pong",
        ),
        pytest.param(
            frame(
                interaction_type="call_details",
                call={
                    "call_type": "phone_call",
                    "from_number": "+14155550100",
                    "to_number": "+14155550199",
                    "direction": "inbound",
                    "call_id": "call_abc",
                    "agent_id": "agent_x",
                    "call_status": "registered",
                    "metadata": {"shop": "salon"},
                    "retell_llm_dynamic_variables": {"customer_name": "John Doe", "n": 3},
                    "opt_out_sensitive_data_storage": True,
                },
            ),
            CallDetails(
                CallInfo(
                    call_id="call_abc",
                    agent_id="agent_x",
                    call_type="phone_call",
                    from_number="+14155550100",
                    to_number="+14155550199",
                    direction="inbound",
                    metadata={"shop": "salon"},
                    dynamic_variables={"customer_name": "John Doe"},  # non-string value dropped
                )
            ),
            id="call_details-phone",
        ),
        pytest.param(
            frame(
                interaction_type="call_details",
                call={"call_type": "web_call", "call_id": "c1", "metadata": [1], "agent_id": 7},
            ),
            CallDetails(CallInfo(call_id="c1", call_type="web_call")),
            id="call_details-web-ill-typed-optionals-read-as-absent",
        ),
        pytest.param(
            frame(
                interaction_type="update_only",
                transcript=[AGENT_HI, USER_HI],
                turntaking="agent_turn",
            ),
            UpdateOnly(HI, "agent_turn"),
            id="update_only-docs-sample",
        ),
        pytest.param(
            frame(interaction_type="update_only", timestamp=3, transcript=[AGENT_HI, USER_HI]),
            UpdateOnly(HI, None),
            id="update_only-stray-timestamp",
        ),
        pytest.param(
            frame(
                interaction_type="update_only",
                transcript=[
                    {"role": "system", "content": "note"},
                    {"content": "no role"},
                    {"role": 5, "content": "odd role"},
                ],
                transcript_with_tool_calls=[{"role": "tool_call_invocation", "name": "x"}],
                turntaking=7,
                extra={"anything": True},
            ),
            UpdateOnly(
                (
                    Utterance(Role.OTHER, "note"),
                    Utterance(Role.OTHER, "no role"),
                    Utterance(Role.OTHER, "odd role"),
                ),
                None,
            ),
            id="update_only-unknown-roles-kept-as-other-extras-ignored",
        ),
        pytest.param(
            frame(
                interaction_type="response_required", response_id=3, transcript=[AGENT_HI, USER_HI]
            ),
            ResponseRequired(3, HI),
            id="response_required",
        ),
        pytest.param(
            frame(
                interaction_type="response_required",
                response_id=4,
                timestamp=99,
                transcript=[{"role": "user", "content": "(unintelligible audio)", "words": []}],
            ),
            ResponseRequired(4, (Utterance(Role.USER, "(unintelligible audio)"),)),
            id="response_required-unintelligible-kept-verbatim",
        ),
        pytest.param(
            frame(interaction_type="reminder_required", response_id=5, transcript=[AGENT_HI]),
            ReminderRequired(5, HI[:1]),
            id="reminder_required",
        ),
        pytest.param(
            frame(interaction_type="response_required", response_id=0, transcript=[]),
            ResponseRequired(0, ()),
            id="response_id-zero-empty-transcript",
        ),
        pytest.param(
            frame(interaction_type="sms_received", body="hi"),
            Unknown("sms_received"),
            id="unknown-interaction_type",
        ),
        pytest.param(
            '{"interaction_type":"ping_pong","timestamp":1,"timestamp_note":"é ☃"}',
            PingPong(1),
            id="non-ascii-extra",
        ),
    ],
)
def test_inbound_frames_parse_to_typed_events(text, expected):
    assert parse_inbound(text, 1 << 20) == expected


RR = "response_required"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json{", "invalid JSON"),
        ("", "invalid JSON"),
        (b'{"interaction_type":"ping_pong","timestamp":1}', "binary frame of 46 bytes"),
        (bytearray(b"{}"), "binary frame"),
        (None, "expected a text frame, got NoneType"),
        ("[1, 2]", "expected a JSON object, got list"),
        ('"hello"', "expected a JSON object, got str"),
        ("null", "expected a JSON object, got NoneType"),
        ("{}", "expected string interaction_type, got None"),
        (frame(interaction_type=3), "expected string interaction_type, got 3"),
        ('{"interaction_type":"ping_pong","timestamp":NaN}', "invalid JSON: NaN is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
        (frame(interaction_type="ping_pong"), "ping_pong: missing timestamp"),
        (
            frame(interaction_type="ping_pong", timestamp="1"),
            "ping_pong: expected integer timestamp, got '1'",
        ),
        (frame(interaction_type=RR, transcript=[]), "response_required: missing response_id"),
        # The docs' own response_required sample: `timestamp` where `response_id` belongs.
        (
            frame(interaction_type=RR, timestamp=3, transcript=[AGENT_HI, USER_HI]),
            "missing response_id",
        ),
        (
            frame(interaction_type=RR, response_id="abc", transcript=[]),
            "response_required: expected integer response_id, got 'abc'",
        ),
        (frame(interaction_type=RR, response_id="3", transcript=[]), "got '3'"),
        (frame(interaction_type=RR, response_id=True, transcript=[]), "got True"),
        (frame(interaction_type=RR, response_id=3.0, transcript=[]), "got 3.0"),
        (frame(interaction_type=RR, response_id=None, transcript=[]), "got None"),
        (
            frame(interaction_type=RR, response_id=-1, transcript=[]),
            "expected non-negative response_id",
        ),
        (
            frame(interaction_type="reminder_required", response_id=[1], transcript=[]),
            "reminder_required: expected integer response_id, got [1]",
        ),
        (frame(interaction_type=RR, response_id=1), "response_required: missing transcript"),
        (frame(interaction_type="update_only"), "update_only: missing transcript"),
        (
            frame(interaction_type="update_only", transcript="hi"),
            "expected list transcript, got 'hi'",
        ),
        (
            frame(interaction_type=RR, response_id=1, transcript=[1]),
            "expected object transcript[0], got 1",
        ),
        (
            frame(
                interaction_type=RR,
                response_id=1,
                transcript=[AGENT_HI, {"role": "user", "content": 5}],
            ),
            "expected string transcript[1].content, got 5",
        ),
        (
            frame(interaction_type=RR, response_id=1, transcript=[{"role": "user"}]),
            "transcript[0].content, got None",
        ),
        (frame(interaction_type="call_details"), "call_details: expected object call, got None"),
        (frame(interaction_type="call_details", call=[]), "expected object call, got []"),
    ],
)
def test_malformed_inbound_frames_are_values_with_clear_reasons(text, reason):
    result = parse_inbound(text, 1 << 20)
    assert isinstance(result, ProtocolError)
    assert reason in result.reason


def test_reason_reads_as_one_log_line():
    text = frame(interaction_type=RR, response_id="abc", transcript=[])
    assert parse_inbound(text, 1000) == ProtocolError(
        "response_required: expected integer response_id, got 'abc'"
    )


@pytest.mark.parametrize(
    ("text", "limit", "too_big"),
    [
        ('{"interaction_type":"ping_pong","timestamp":1}', 46, False),  # exactly at the limit
        ('{"interaction_type":"ping_pong","timestamp":1}', 45, True),
        (
            '{"interaction_type":"ping_pong","timestamp":1,"x":"' + "é" * 20 + '"}',
            80,
            True,
        ),  # 73 chars, 93 bytes
        ('{"interaction_type":"ping_pong","timestamp":1,"x":"' + "é" * 20 + '"}', 93, False),
        ("x" * 5000, 1000, True),
    ],
)
def test_frames_over_the_byte_limit_are_refused_before_parsing(text, limit, too_big):
    result = parse_inbound(text, limit)
    assert isinstance(result, ProtocolError) is too_big
    if too_big:
        assert (
            result.reason.startswith("frame of ")
            and f"exceeds the {limit}-byte limit" in result.reason
        )


@pytest.mark.parametrize(
    "junk",
    [
        "\ud800",
        '{"interaction_type":"update_only","transcript":[{"content":"\\ud800"}]}',
        "1" * 5000,
        '{"a":' * 50,
        "\x00",
        '{"interaction_type": {}}',
        "1e999999",
    ],
)
def test_parse_never_raises(junk):
    result = parse_inbound(junk, 1 << 20)
    assert isinstance(result, (ProtocolError, UpdateOnly, Unknown))


# ---------------------------------------------------------------------------- outbound


def same_json(a, b) -> bool:
    """Equal with exact types: True is not 1, 1 is not 1.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize(
    ("outbound", "expected"),
    [
        (
            ConfigFrame(auto_reconnect=True, call_details=True),
            {
                "response_type": "config",
                "config": {
                    "auto_reconnect": True,
                    "call_details": True,
                    "transcript_with_tool_calls": False,
                },
            },
        ),
        (
            ResponseFrame(3, "I'm doing great, ", False),
            {
                "response_type": "response",
                "response_id": 3,
                "content": "I'm doing great, ",
                "content_complete": False,
            },
        ),
        (
            ResponseFrame(0, "", True),
            {
                "response_type": "response",
                "response_id": 0,
                "content": "",
                "content_complete": True,
            },
        ),
        (
            ResponseFrame(10, "Goodbye.", True, end_call=True, no_interruption_allowed=True),
            {
                "response_type": "response",
                "response_id": 10,
                "content": "Goodbye.",
                "content_complete": True,
                "end_call": True,
                "no_interruption_allowed": True,
            },
        ),
        (
            ResponseFrame(4, "Putting you through.", False, transfer_number="+14155550123"),
            {
                "response_type": "response",
                "response_id": 4,
                "content": "Putting you through.",
                "content_complete": False,
                "transfer_number": "+14155550123",
            },
        ),
        (
            ResponseFrame(5, "", True, end_call=False, digit_to_press="1"),
            {
                "response_type": "response",
                "response_id": 5,
                "content": "",
                "content_complete": True,
                "end_call": False,
                "digit_to_press": "1",
            },
        ),
        (PingPongFrame(1703302407333), {"response_type": "ping_pong", "timestamp": 1703302407333}),
        (
            ToolCallInvocationFrame(
                "t1", "book_appointment", '{"date": "2022-01-01", "time": "10:00"}'
            ),
            {
                "response_type": "tool_call_invocation",
                "tool_call_id": "t1",
                "name": "book_appointment",
                "arguments": '{"date": "2022-01-01", "time": "10:00"}',
            },
        ),
        (
            ToolCallResultFrame("t1", "Appointment booked successfully."),
            {
                "response_type": "tool_call_result",
                "tool_call_id": "t1",
                "content": "Appointment booked successfully.",
            },
        ),
        (
            ToolCallResultFrame("t1", "No slot.", successful=False),
            {
                "response_type": "tool_call_result",
                "tool_call_id": "t1",
                "content": "No slot.",
                "successful": False,
            },
        ),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, dict) else "",
)
def test_outbound_frames_have_exact_wire_json(outbound, expected):
    wire = outbound.to_wire()
    assert same_json(json.loads(wire), expected), wire
    assert next(iter(json.loads(wire))) == "response_type"
    assert wire == json.dumps(
        json.loads(wire), separators=(",", ":"), ensure_ascii=False
    )  # compact


def test_wire_text_keeps_non_ascii_as_is():
    assert ResponseFrame(1, "Café ☕", False).to_wire() == (
        '{"response_type":"response","response_id":1,"content":"Café ☕","content_complete":false}'
    )


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: ResponseFrame(1, "hi", "true"),
            TypeError,
            "ResponseFrame.content_complete: expected boolean, got 'true'",
        ),
        (lambda: ResponseFrame(1, "hi", 1), TypeError, "content_complete: expected boolean, got 1"),
        (
            lambda: ResponseFrame("1", "hi", True),
            TypeError,
            "response_id: expected integer, got '1'",
        ),
        (
            lambda: ResponseFrame(True, "hi", True),
            TypeError,
            "response_id: expected integer, got True",
        ),
        (
            lambda: ResponseFrame(1.0, "hi", True),
            TypeError,
            "response_id: expected integer, got 1.0",
        ),
        (lambda: ResponseFrame(-1, "hi", True), ValueError, "response_id: expected >= 0, got -1"),
        (lambda: ResponseFrame(1, None, True), TypeError, "content: expected string, got None"),
        (
            lambda: ResponseFrame(1, "", True, end_call="yes"),
            TypeError,
            "end_call: expected boolean",
        ),
        (
            lambda: ResponseFrame(1, "", True, no_interruption_allowed=1),
            TypeError,
            "no_interruption_allowed: expected boolean",
        ),
        (lambda: ResponseFrame(1, "", True, transfer_number="4155550123"), ValueError, "E.164"),
        (lambda: ResponseFrame(1, "", True, transfer_number="+0123456"), ValueError, "E.164"),
        (
            lambda: ResponseFrame(1, "", True, transfer_number="+1 415 555 0123"),
            ValueError,
            "E.164",
        ),
        (
            lambda: ResponseFrame(1, "", True, transfer_number="+1234567890123456"),
            ValueError,
            "E.164",
        ),
        (
            lambda: ResponseFrame(1, "", True, transfer_number=14155550123),
            TypeError,
            "transfer_number",
        ),
        (lambda: ResponseFrame(1, "", True, digit_to_press="a"), ValueError, "DTMF"),
        (lambda: ResponseFrame(1, "", True, digit_to_press=""), ValueError, "DTMF"),
        (lambda: ResponseFrame(1, "", True, digit_to_press=1), TypeError, "digit_to_press"),
        (
            lambda: ResponseFrame(1, "Bye", True, end_call=True, transfer_number="+14155550123"),
            ValueError,
            "at most one of end_call/transfer_number/digit_to_press",
        ),
        (lambda: PingPongFrame("1"), TypeError, "PingPongFrame.timestamp: expected integer"),
        (lambda: PingPongFrame(1.5), TypeError, "timestamp"),
        (lambda: PingPongFrame(True), TypeError, "timestamp"),
        (
            lambda: ConfigFrame("true", True),
            TypeError,
            "ConfigFrame.auto_reconnect: expected boolean",
        ),
        (lambda: ConfigFrame(True, True, None), TypeError, "transcript_with_tool_calls"),
        (
            lambda: ToolCallInvocationFrame("t", "f", "not json"),
            ValueError,
            "expected a JSON object",
        ),
        (lambda: ToolCallInvocationFrame("t", "f", "[1]"), ValueError, "expected a JSON object"),
        (
            lambda: ToolCallInvocationFrame("t", "f", {"a": 1}),
            TypeError,
            "arguments: expected string",
        ),
        (lambda: ToolCallInvocationFrame(1, "f", "{}"), TypeError, "tool_call_id"),
        (lambda: ToolCallResultFrame("t", "ok", "yes"), TypeError, "successful: expected boolean"),
        (lambda: ToolCallResultFrame("t", None), TypeError, "content"),
    ],
)
def test_outbound_frames_refuse_bad_values_at_construction(build, error, message):
    with pytest.raises(error) as raised:
        build()
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "value",
    [
        PingPong(1),
        UpdateOnly(()),
        Utterance(Role.USER, "x"),
        ResponseFrame(1, "", True),
        ConfigFrame(True, True),
    ],
)
def test_frames_are_frozen(value):
    name = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, name, None)
