"""Relay addresses come from the action server's own configuration, never from metadata."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker

from actions.llm.relay_client import relay_urls, target_for
from common import relay

SECRET = "relay-client-secret"


def tracker(metadata: dict, sender: str = "call-1") -> Tracker:
    events = [{"event": "user", "text": "where are you?", "metadata": metadata}]
    return Tracker(sender, {}, {}, events, False, None, {}, "action_listen")


def facts(response_id: int = 2, replica: str = "a", sender: str = "call-1", secret=SECRET) -> dict:
    signature = relay.turn_signature(secret.encode(), sender, response_id, replica)
    return {"relay": {"replica": replica, "response_id": response_id, "signature": signature}}


def test_relay_urls_by_replica_or_one_default():
    assert relay_urls("a=http://10.0.0.5:5005/r, b=https://b.internal/r") == {
        "a": "http://10.0.0.5:5005/r",
        "b": "https://b.internal/r",
    }
    assert relay_urls("http://127.0.0.1:5005/webhooks/retell/relay") == {
        "default": "http://127.0.0.1:5005/webhooks/retell/relay"
    }
    assert relay_urls("") == {} and relay_urls(None) == {}
    for bad in ("a=ftp://x/r", "a=", "=http://x/r", "a=http:///r"):
        with pytest.raises(ValueError, match="RELAY_URLS"):
            relay_urls(bad)


def test_the_target_is_the_configured_address_of_the_signed_replica(monkeypatch):
    monkeypatch.setenv("CHANNEL_SECRET", SECRET)
    monkeypatch.setenv("RELAY_URLS", "a=http://127.0.0.1:1/r,b=http://127.0.0.1:2/r")
    target = target_for(tracker(facts(replica="b")))
    assert (target.url, target.call_id, target.response_id) == ("http://127.0.0.1:2/r", "call-1", 2)


@pytest.mark.parametrize(
    "metadata",
    [
        {},  # REST, rasa shell
        {"relay": {"replica": "a", "response_id": 2}},  # unsigned
        facts(secret="forged"),
        facts(sender="another-call"),  # copied from another conversation
        facts(replica="evil"),  # not in RELAY_URLS: never an address from metadata
        {"relay": {"replica": "a", "response_id": 2, "signature": 1}},
    ],
)
def test_no_target_without_signed_facts_for_this_call_and_a_configured_replica(
    monkeypatch, metadata
):
    monkeypatch.setenv("CHANNEL_SECRET", SECRET)
    monkeypatch.setenv("RELAY_URLS", "a=http://127.0.0.1:1/r")
    assert target_for(tracker(metadata)) is None


def test_no_target_without_a_secret(monkeypatch):
    monkeypatch.delenv("CHANNEL_SECRET", raising=False)
    monkeypatch.setenv("RELAY_URLS", "a=http://127.0.0.1:1/r")
    assert target_for(tracker(facts())) is None
