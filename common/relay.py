"""The relay: how the action server streams a fallback answer into a live call, chunk by chunk.

Rasa waits for an action's whole HTTP response, so nothing an action says reaches the caller
before it ends (docs/architecture.md, "Channels and output"). A Gemini answer must be heard as it is
generated, so the fallback action POSTs each speakable piece here, to the Rasa process holding the
call's socket: `POST /webhooks/retell/relay` with a JSON body `{"call_id", "response_id", "text"}`,
one request per piece over a kept-alive connection. The answer tells the action whether to go on:

    200 {"ok": true}                           spoken (queued on the socket's writer)
    409 {"stop": true, "reason": "superseded"} the caller has moved on: cancel the model's stream
    404 {"stop": true, "reason": "unknown call"} no live socket for that call on this replica
    401 / 400                                  a bad signature, a stale timestamp, a replay, a bad
                                               body

Requests are signed with CHANNEL_SECRET (HMAC-SHA256 over a timestamp and the body, the
timestamp finite and within MAX_SKEW seconds), so only the action server can speak into a call.
Each signed request is usable once: the receiver keeps the signatures it accepted for the
freshness window (`ReplayGuard`), so a captured request replayed within it is refused too. The
action server posts only to relay addresses from its own configuration (`RELAY_URLS`), picked by the
replica id the channel puts in the message metadata, so forged metadata cannot send it elsewhere.
Signing and parsing are pure functions, shared with the action side (`actions/llm/relay_client.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import threading
from dataclasses import dataclass

PATH = "/relay"  # under the Retell channel's blueprint: /webhooks/retell/relay
SIGNATURE_HEADER = "X-Relay-Signature"
TIMESTAMP_HEADER = "X-Relay-Timestamp"
MAX_SKEW = 30.0  # seconds; a captured request cannot be replayed later
MAX_TEXT = 4000  # characters in one piece


@dataclass(frozen=True)
class RelayChunk:
    call_id: str
    response_id: int
    text: str


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    message = b"relay\x00" + timestamp.encode() + b"\x00" + body
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """None when the request is authentic and fresh, else why not (for the log)."""
    if not timestamp or not signature:
        return "unsigned"
    try:
        sent = float(timestamp)
    except ValueError:
        return "bad timestamp"
    if not math.isfinite(sent):  # "nan" compares False with everything: never fresh
        return "bad timestamp"
    if abs(now - sent) > MAX_SKEW:
        return "stale timestamp"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature):
        return "bad signature"
    return None


class ReplayGuard:
    """The signatures accepted in the last MAX_SKEW seconds: a request is usable once.

    A signature covers the timestamp and the body, so a new request (new timestamp) has a new
    one, while a replayed one repeats it. Kept only as long as the timestamp would be fresh: a
    later replay is refused as stale by `verify`."""

    def __init__(self, window: float = MAX_SKEW) -> None:
        self.window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, signature: str, now: float) -> bool:
        """True the first time `signature` is presented within the window, False after."""
        with self._lock:
            if len(self._seen) > 1024 or any(t < now for t in list(self._seen.values())[:8]):
                self._seen = {s: t for s, t in self._seen.items() if t >= now}
            if signature in self._seen:
                return False
            # Remembered until its timestamp can no longer pass the skew check (both ways).
            self._seen[signature] = now + 2 * self.window
            return True


def parse_chunk(body: bytes) -> RelayChunk | str:
    """The body as a RelayChunk, or the reason it is not one."""
    try:
        data = json.loads(body)
    except ValueError:
        return "body is not JSON"
    if not isinstance(data, dict):
        return "body is not an object"
    call_id, response_id, text = data.get("call_id"), data.get("response_id"), data.get("text")
    if not isinstance(call_id, str) or not call_id:
        return "call_id must be a non-empty string"
    if not isinstance(response_id, int) or isinstance(response_id, bool) or response_id < 0:
        return "response_id must be a non-negative integer"
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return f"text must be a string of at most {MAX_TEXT} characters"
    return RelayChunk(call_id, response_id, text)


def turn_signature(secret: bytes, call_id: str, response_id: int, replica: str) -> str:
    """Vouches, in a turn's metadata, that this turn really is response `response_id` of a live
    call on `replica`: the action server relays only into turns the channel signed, so a REST
    client naming a live call's id as its sender cannot make the assistant speak into that call."""
    message = f"relay-turn\x00{call_id}\x00{response_id}\x00{replica}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def body_of(chunk: RelayChunk) -> bytes:
    return json.dumps(
        {"call_id": chunk.call_id, "response_id": chunk.response_id, "text": chunk.text}
    ).encode()
