"""The signed caller identity: only the channel holding CHANNEL_SECRET can vouch for a phone."""

from __future__ import annotations

import pytest

from common import identity

SECRET = b"s3cret-for-tests"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+17185550199", "+17185550199"),
        ("+1 (718) 555-0199", "+17185550199"),
        ("+44 20 7946 0958", "+442079460958"),
        ("7185550199", None),  # no country code: not normalised here
        ("+1555", None),
        ("+15555550199", None),  # area code 555 does not exist
        ("", None),
        (None, None),
        ("anonymous", None),
        ("+1718555019912345", None),
    ],
)
def test_e164_accepts_only_valid_international_numbers(raw, expected):
    assert identity.e164(raw) == expected


def test_a_claim_verifies_in_its_own_conversation_only():
    claim = identity.claim(SECRET, "call-1", "+1 718 555 0199")
    assert claim["phone"] == "+17185550199"
    metadata = {identity.METADATA_KEY: claim}
    assert identity.verified_phone(SECRET, "call-1", metadata) == "+17185550199"
    assert identity.verified_phone(SECRET, "call-2", metadata) is None  # replayed elsewhere
    assert identity.verified_phone(b"another secret", "call-1", metadata) is None
    assert identity.verified_phone(None, "call-1", metadata) is None


@pytest.mark.parametrize(
    "entry",
    [
        {"phone": "+17185550199"},  # what a REST client can send: no signature
        {"phone": "+17185550199", "signature": "0" * 64},
        {"phone": "+17185550100", "signature": identity.sign(SECRET, "c", "+17185550199")},
        {"phone": 17185550199, "signature": identity.sign(SECRET, "c", "+17185550199")},
        "+17185550199",
        None,
    ],
)
def test_unsigned_or_altered_claims_are_not_trusted(entry):
    assert identity.verified_phone(SECRET, "c", {identity.METADATA_KEY: entry}) is None


def test_nothing_is_claimed_without_a_secret_or_a_valid_number():
    assert identity.claim(None, "c", "+17185550199") is None
    assert identity.claim(SECRET, "c", "555") is None


def test_the_secret_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(identity.SECRET_ENV, "  abc  ")
    assert identity.secret_from_env() == b"abc"
    monkeypatch.setenv(identity.SECRET_ENV, " ")
    assert identity.secret_from_env() is None
