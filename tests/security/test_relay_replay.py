"""Attack: replaying a signed relay request, or signing a timestamp of `nan`.
The same signed request was accepted twice within the freshness window, and "nan" passed the
freshness check. Now each signed request is usable once and the timestamp must be finite."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from common import relay
from tests.e2e.pairs import CHANNEL_SECRET


def post(assistant, body: bytes, stamp: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{assistant.rasa_port}/webhooks/retell{relay.PATH}",
        data=body,
        headers={
            "Content-Type": "application/json",
            relay.TIMESTAMP_HEADER: stamp,
            relay.SIGNATURE_HEADER: relay.sign(CHANNEL_SECRET.encode(), stamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_signed_request_is_usable_once(assistant):
    body = relay.body_of(relay.RelayChunk("no-such-call", 1, "hi "))
    stamp = f"{time.time():.6f}"
    first = post(assistant, body, stamp)
    assert first[0] == 404  # authentic: it got past the signature (no such call, though)
    assert post(assistant, body, stamp) == (401, {"error": "replayed request"})
    assert post(assistant, body, f"{time.time() + 0.001:.6f}")[0] == 404  # a new request


def test_non_finite_timestamps_are_refused(assistant):
    body = relay.body_of(relay.RelayChunk("no-such-call", 1, "hi "))
    for stamp in ("nan", "NaN", "inf", "-inf", "1e999"):
        assert post(assistant, body, stamp) == (401, {"error": "bad timestamp"}), stamp
