"""The assistant's "now": the real time, or a fixed instant from $ASSISTANT_NOW (tests, demos).

Everything that depends on the date (relative dates, minimum notice, "today") takes `now` as an
argument; this module is the one place that decides what it is. `ASSISTANT_NOW` is ISO 8601:
without an offset it is business-local wall time ("2026-12-09T10:00" in the profile's timezone),
with one ("...T15:00Z", "...T10:00-05:00") it is that instant, shown in the business timezone.
An empty value counts as unset. Not here: the timezone itself (profile.py).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

ENV_NOW = "ASSISTANT_NOW"


def parse_now(value: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time → an aware datetime in `tz`; ValueError naming the variable if bad."""
    text = value.strip()
    # Python 3.10's fromisoformat does not accept the common "Z" suffix.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{ENV_NOW} must be an ISO 8601 date-time like 2026-12-09T10:00 (business-local) "
            f"or 2026-12-09T15:00Z, got {value!r}"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


def now(tz: ZoneInfo) -> datetime:
    """The current time, aware in `tz`; $ASSISTANT_NOW (read on every call) overrides it."""
    fixed = os.environ.get(ENV_NOW, "").strip()
    if fixed:
        return parse_now(fixed, tz)
    return datetime.now(timezone.utc).astimezone(tz)
