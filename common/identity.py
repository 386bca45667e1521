"""The caller's phone number, as vouched for by the Retell channel and by nothing else.

Retell tells us who is calling (`call_details.from_number`); Rasa's REST channel and HTTP API let
a client send any metadata it likes, even `input_channel: "retell"` (RestInput takes it from the
request body). So the channel signs what it vouches for: the message metadata carries
`caller = {"phone": "+1...", "signature": hmac}` over (conversation id, phone) with CHANNEL_SECRET,
a secret only the Rasa server and the action server know (it also signs the relay: relay.py). The
action server trusts a phone only
with a valid signature for the conversation it is acting in, so metadata copied from one call
cannot be replayed into another conversation either. No secret configured: no phone is signed,
none is trusted, and start-up says so.

Pure functions; the secret comes from the environment (`secret_from_env`), never from metadata.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

import phonenumbers

SECRET_ENV = "CHANNEL_SECRET"
METADATA_KEY = "caller"
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def secret_from_env() -> bytes | None:
    value = os.environ.get(SECRET_ENV, "").strip()
    return value.encode() if value else None


def e164(number: str | None) -> str | None:
    """`number` as E.164 if it is a valid international number ("+1 (718) 555-0143" →
    "+17185550143"); None otherwise. Retell sends E.164 already; anything without a country code
    cannot be normalised safely here (the connector knows no business country) and is dropped."""
    if not number:
        return None
    compact = re.sub(r"[\s().-]", "", number)
    if not _E164.fullmatch(compact):
        return None
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def sign(secret: bytes, conversation_id: str, phone: str) -> str:
    message = f"caller-phone\x00{conversation_id}\x00{phone}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def claim(secret: bytes | None, conversation_id: str, phone: str | None) -> dict[str, str] | None:
    """The metadata entry vouching for `phone` in this conversation, or None (no secret or no
    valid number)."""
    number = e164(phone)
    if secret is None or number is None:
        return None
    return {"phone": number, "signature": sign(secret, conversation_id, number)}


def verified_phone(
    secret: bytes | None, conversation_id: str, metadata: dict[str, Any] | None
) -> str | None:
    """The phone the channel vouched for in `metadata` for this conversation, else None."""
    entry = (metadata or {}).get(METADATA_KEY)
    if secret is None or not isinstance(entry, dict):
        return None
    phone, signature = entry.get("phone"), entry.get("signature")
    if not isinstance(phone, str) or not isinstance(signature, str) or e164(phone) != phone:
        return None
    if not hmac.compare_digest(sign(secret, conversation_id, phone), signature):
        return None
    return phone
