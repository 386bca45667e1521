"""The relay's signing and parsing (pure), shared by the connector and the action server."""

from __future__ import annotations

import json

import pytest

from common import relay

SECRET = b"relay-test-secret"


def signed(body: bytes, at: float) -> tuple[str, str]:
    stamp = f"{at:.3f}"
    return stamp, relay.sign(SECRET, stamp, body)


def test_an_authentic_fresh_request_verifies():
    body = relay.body_of(relay.RelayChunk("call-1", 3, "We're at 12 Main Street. "))
    stamp, signature = signed(body, 1000.0)
    assert relay.verify(SECRET, stamp, signature, body, now=1010.0) is None
    assert relay.parse_chunk(body) == relay.RelayChunk("call-1", 3, "We're at 12 Main Street. ")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"body": b'{"call_id": "call-2", "response_id": 3, "text": "x"}'}, "bad signature"),
        ({"now": 1031.0}, "stale timestamp"),
        ({"now": 969.0}, "stale timestamp"),
        ({"signature": None}, "unsigned"),
        ({"stamp": "yesterday"}, "bad timestamp"),
        ({"stamp": "nan"}, "bad timestamp"),
        ({"stamp": "inf"}, "bad timestamp"),
        ({"stamp": "-inf"}, "bad timestamp"),
        ({"stamp": "1e999"}, "bad timestamp"),
        ({"secret": b"another"}, "bad signature"),
    ],
)
def test_altered_stale_or_unsigned_requests_are_refused(change, reason):
    body = relay.body_of(relay.RelayChunk("call-1", 3, "x"))
    stamp, signature = signed(body, 1000.0)
    args = {"secret": SECRET, "stamp": stamp, "signature": signature, "body": body, "now": 1000.0}
    args.update(change)
    assert (
        relay.verify(
            args["secret"], args["stamp"], args["signature"], args["body"], now=args["now"]
        )
        == reason
    )


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"response_id": 1, "text": "x"}).encode(),
        json.dumps({"call_id": "c", "response_id": "1", "text": "x"}).encode(),
        json.dumps({"call_id": "c", "response_id": True, "text": "x"}).encode(),
        json.dumps({"call_id": "c", "response_id": -1, "text": "x"}).encode(),
        json.dumps({"call_id": "c", "response_id": 1, "text": None}).encode(),
        json.dumps({"call_id": "c", "response_id": 1, "text": "x" * 5000}).encode(),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body):
    assert isinstance(relay.parse_chunk(body), str)


def test_a_turn_signature_binds_call_response_and_replica():
    sig = relay.turn_signature(SECRET, "call-1", 4, "a")
    assert sig == relay.turn_signature(SECRET, "call-1", 4, "a")
    assert sig not in {
        relay.turn_signature(SECRET, "call-2", 4, "a"),
        relay.turn_signature(SECRET, "call-1", 5, "a"),
        relay.turn_signature(SECRET, "call-1", 4, "b"),
        relay.turn_signature(b"x", "call-1", 4, "a"),
    }


def test_a_signed_request_is_usable_once_within_the_window():
    guard = relay.ReplayGuard(window=30.0)
    assert guard.first_use("sig-a", now=1000.0)
    assert not guard.first_use("sig-a", now=1010.0)  # replayed: refused
    assert guard.first_use("sig-b", now=1010.0)  # another request
    assert not guard.first_use("sig-a", now=1059.0)  # kept while its timestamp could be fresh
    for n in range(2000):  # old entries are dropped, never unbounded
        guard.first_use(f"sig-{n}", now=2000.0 + n)
    assert len(guard._seen) <= 2000
