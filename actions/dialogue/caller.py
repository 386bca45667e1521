"""Who is calling, and what the call's history should show.

`caller_phone`: the phone number the Retell channel vouched for in this conversation (signed with
CHANNEL_SECRET, see common/identity.py), or None — always None for REST, `rasa shell` and the
HTTP API, whatever metadata they send. It is a search key for the caller's bookings, never a
proof: proving one needs its code, or the name on it and its day (docs/trust.md).

`tool_call`: the `tool_call` message flag (docs/architecture.md, "The contract between actions and
the channel") that shows a booking, change or cancellation in Retell's call history. Arguments hold
no contact details: Retell's history is read by more people than the bookings are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker

from common import identity


def caller_phone(tracker: Tracker) -> str | None:
    """The vouched-for phone of the caller's latest message in this conversation, else None."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return identity.verified_phone(
                identity.secret_from_env(), tracker.sender_id, event.get("metadata")
            )
    return None


def tool_call(
    name: str,
    *,
    code: str | None,
    service: str,
    start: datetime | None,
    result: str,
    successful: bool = True,
) -> dict[str, Any]:
    arguments: dict[str, Any] = {"service": service}
    if start is not None:
        arguments["start"] = start.isoformat()
    if code:
        arguments["code"] = code
    return {"name": name, "arguments": arguments, "result": result, "successful": successful}
