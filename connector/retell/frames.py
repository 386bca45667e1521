"""Typed frames of Retell's custom-LLM WebSocket: what Retell sends and what we send.

Inbound (Retell → us) is parsed tolerantly by `parse_inbound`: one text frame in, one frozen
event or a `ProtocolError` value out; it never raises. Unknown fields (word timings, the docs'
stray `timestamp`, `transcript_with_tool_calls`) are ignored, unknown roles become `Role.OTHER`
(kept, so the transcript stays whole; the transcript rules treat them as neither side), unknown
interaction types become `Unknown`. Required fields are checked exactly: `response_id` must be a
non-negative JSON integer (`true`, `"3"` and `3.0` are refused: Retell sends integers, and an id
we would echo back differently is not one we trust; the docs' sample `response_required` with
`timestamp` in place of `response_id` is therefore refused: there is no id to answer); `transcript`
must be a list of objects with a string `content`. Ill-typed optional fields read as absent.

Outbound (us → Retell) is strict: each frame validates itself on construction (a wrong type is
our bug, raised as TypeError/ValueError here rather than silently dropped by Retell) and
`to_wire()` gives compact JSON with `response_type` always set and None fields left out.

Not here: which response is current, supersession, transcript rules (connector.retell.protocol);
I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024  # below SANIC_WEBSOCKET_MAX_SIZE (16 MiB)
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
DTMF = re.compile(r"[0-9*#]+")
ACTIONS = ("end_call", "transfer_number", "digit_to_press")  # Retell's precedence, highest first


class Role(str, Enum):
    AGENT = "agent"
    USER = "user"
    OTHER = "other"  # any other role Retell may add; kept, never counted as agent or user


# ---------------------------------------------------------------------------- inbound


@dataclass(frozen=True)
class Utterance:
    role: Role
    content: str


Transcript = tuple[Utterance, ...]


@dataclass(frozen=True)
class CallInfo:
    call_id: str | None = None
    agent_id: str | None = None
    call_type: str | None = None  # "phone_call" | "web_call"
    from_number: str | None = None
    to_number: str | None = None
    direction: str | None = None  # phone calls only
    metadata: dict[str, Any] = field(default_factory=dict)  # read-only by convention
    dynamic_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PingPong:
    timestamp: int


@dataclass(frozen=True)
class CallDetails:
    call: CallInfo


@dataclass(frozen=True)
class UpdateOnly:
    transcript: Transcript
    turntaking: str | None = None  # "agent_turn" | "user_turn"


@dataclass(frozen=True)
class ResponseRequired:
    response_id: int
    transcript: Transcript


@dataclass(frozen=True)
class ReminderRequired:
    response_id: int
    transcript: Transcript


@dataclass(frozen=True)
class Unknown:
    interaction_type: str


@dataclass(frozen=True)
class ProtocolError:
    """A frame Retell sent that we cannot use: a value to log, never raised, never a close."""

    reason: str


InboundEvent = PingPong | CallDetails | UpdateOnly | ResponseRequired | ReminderRequired | Unknown


class _Bad(Exception):
    """Internal: carries a ProtocolError reason out of nested parsing."""


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _required_int(obj: dict, key: str, where: str) -> int:
    if key not in obj:
        raise _Bad(f"{where}: missing {key}")
    value = obj[key]
    if not _is_int(value):
        raise _Bad(f"{where}: expected integer {key}, got {_show(value)}")
    return value


def _transcript(obj: dict, where: str) -> Transcript:
    if "transcript" not in obj:
        raise _Bad(f"{where}: missing transcript")
    raw = obj["transcript"]
    if not isinstance(raw, list):
        raise _Bad(f"{where}: expected list transcript, got {_show(raw)}")
    out = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise _Bad(f"{where}: expected object transcript[{i}], got {_show(entry)}")
        content = entry.get("content")
        if not isinstance(content, str):
            raise _Bad(f"{where}: expected string transcript[{i}].content, got {_show(content)}")
        role = entry.get("role")
        known = role in (Role.AGENT.value, Role.USER.value)
        out.append(Utterance(Role(role) if known else Role.OTHER, content))
    return tuple(out)


def _opt_str(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _call_info(raw: object) -> CallInfo:
    if not isinstance(raw, dict):
        raise _Bad(f"call_details: expected object call, got {_show(raw)}")
    metadata = raw.get("metadata")
    variables = raw.get("retell_llm_dynamic_variables")
    if not isinstance(variables, dict):
        variables = {}
    names = ("call_id", "agent_id", "call_type", "from_number", "to_number", "direction")
    return CallInfo(
        **{name: _opt_str(raw, name) for name in names},
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        dynamic_variables={k: v for k, v in variables.items() if isinstance(v, str)},
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _size_error(text: str, max_bytes: int) -> str | None:
    if len(text) * 4 <= max_bytes:  # UTF-8 never takes more than 4 bytes a character
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    return f"frame of {size} bytes exceeds the {max_bytes}-byte limit" if size > max_bytes else None


def parse_inbound(
    text: str | bytes, max_bytes: int = DEFAULT_MAX_FRAME_BYTES
) -> InboundEvent | ProtocolError:
    """One Retell text frame → one event, or a ProtocolError saying what was wrong. Never raises."""
    if isinstance(text, (bytes, bytearray, memoryview)):
        return ProtocolError(f"binary frame of {len(text)} bytes (Retell sends text frames only)")
    if not isinstance(text, str):
        return ProtocolError(f"expected a text frame, got {type(text).__name__}")
    too_big = _size_error(text, max_bytes)
    if too_big:
        return ProtocolError(too_big)
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return ProtocolError(f"invalid JSON: {exc}")
    if not isinstance(obj, dict):
        return ProtocolError(f"expected a JSON object, got {type(obj).__name__}")
    kind = obj.get("interaction_type")
    if not isinstance(kind, str):
        return ProtocolError(f"expected string interaction_type, got {_show(kind)}")
    try:
        if kind == "ping_pong":
            return PingPong(_required_int(obj, "timestamp", kind))
        if kind == "call_details":
            return CallDetails(_call_info(obj.get("call")))
        if kind == "update_only":
            return UpdateOnly(_transcript(obj, kind), _opt_str(obj, "turntaking"))
        if kind in ("response_required", "reminder_required"):
            response_id = _required_int(obj, "response_id", kind)
            if response_id < 0:
                raise _Bad(f"{kind}: expected non-negative response_id, got {response_id}")
            cls = ResponseRequired if kind == "response_required" else ReminderRequired
            return cls(response_id, _transcript(obj, kind))
    except _Bad as bad:
        return ProtocolError(str(bad))
    return Unknown(kind)


# ---------------------------------------------------------------------------- outbound


_LABELS = {int: "integer", float: "number", str: "string", bool: "boolean", dict: "object"}


def _check(owner: object, name: str, value: object, kind: type, optional: bool = False) -> None:
    if value is None and optional:
        return
    if kind is bool:
        ok = type(value) is bool
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, kind) and not isinstance(value, bool)
    if not ok:
        label = _LABELS.get(kind, kind.__name__)
        raise TypeError(f"{type(owner).__name__}.{name}: expected {label}, got {_show(value)}")


def _check_speech(frame: Any, id_name: str) -> None:
    """ResponseFrame's checks: id, content, completion and action flags."""
    owner, ident = type(frame).__name__, getattr(frame, id_name)
    _check(frame, id_name, ident, int)
    if ident < 0:
        raise ValueError(f"{owner}.{id_name}: expected >= 0, got {ident}")
    _check(frame, "content", frame.content, str)
    _check(frame, "content_complete", frame.content_complete, bool)
    _check(frame, "end_call", frame.end_call, bool, optional=True)
    _check(frame, "no_interruption_allowed", frame.no_interruption_allowed, bool, optional=True)
    _check(frame, "transfer_number", frame.transfer_number, str, optional=True)
    _check(frame, "digit_to_press", frame.digit_to_press, str, optional=True)
    number, digits = frame.transfer_number, frame.digit_to_press
    if number is not None and not E164.fullmatch(number):
        raise ValueError(
            f"{owner}.transfer_number: expected E.164 (+, 2-15 digits), got {number!r}"
        )
    if digits is not None and not DTMF.fullmatch(digits):
        raise ValueError(f"{owner}.digit_to_press: expected DTMF digits (0-9 * #), got {digits!r}")
    actions = [name for name in ACTIONS if getattr(frame, name) not in (None, False)]
    if len(actions) > 1:
        raise ValueError(
            f"{owner}: at most one of end_call/transfer_number/digit_to_press, got {actions}"
        )


def _wire(response_type: str, body: dict[str, Any]) -> str:
    payload = {"response_type": response_type, **{k: v for k, v in body.items() if v is not None}}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class ConfigFrame:
    auto_reconnect: bool
    call_details: bool
    transcript_with_tool_calls: bool = False

    def __post_init__(self) -> None:
        for name in ("auto_reconnect", "call_details", "transcript_with_tool_calls"):
            _check(self, name, getattr(self, name), bool)

    def to_wire(self) -> str:
        return _wire("config", {"config": dict(vars(self))})


@dataclass(frozen=True)
class ResponseFrame:
    response_id: int
    content: str
    content_complete: bool
    end_call: bool | None = None
    transfer_number: str | None = None  # E.164
    no_interruption_allowed: bool | None = None
    digit_to_press: str | None = None

    def __post_init__(self) -> None:
        _check_speech(self, "response_id")

    def to_wire(self) -> str:
        return _wire("response", dict(vars(self)))


@dataclass(frozen=True)
class PingPongFrame:
    timestamp: int

    def __post_init__(self) -> None:
        _check(self, "timestamp", self.timestamp, int)

    def to_wire(self) -> str:
        return _wire("ping_pong", {"timestamp": self.timestamp})


@dataclass(frozen=True)
class ToolCallInvocationFrame:
    tool_call_id: str
    name: str
    arguments: str  # a JSON document, as a string

    def __post_init__(self) -> None:
        for name in ("tool_call_id", "name", "arguments"):
            _check(self, name, getattr(self, name), str)
        try:
            parsed = json.loads(self.arguments)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ValueError(
                f"ToolCallInvocationFrame.arguments: expected a JSON object as a string, "
                f"got {_show(self.arguments)}"
            )

    def to_wire(self) -> str:
        return _wire("tool_call_invocation", dict(vars(self)))


@dataclass(frozen=True)
class ToolCallResultFrame:
    tool_call_id: str
    content: str
    successful: bool | None = None  # None: outcome not reported (not a failure)

    def __post_init__(self) -> None:
        _check(self, "tool_call_id", self.tool_call_id, str)
        _check(self, "content", self.content, str)
        _check(self, "successful", self.successful, bool, optional=True)

    def to_wire(self) -> str:
        return _wire("tool_call_result", dict(vars(self)))


OutboundFrame = (
    ConfigFrame | ResponseFrame | PingPongFrame | ToolCallInvocationFrame | ToolCallResultFrame
)
