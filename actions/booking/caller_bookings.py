"""Finding and verifying a caller's booking, as pure functions (reschedule, cancel, "when is it?").

The order is fixed by trust: the booking is found by the email on it, then the caller proves it is
theirs with the name on the booking or its confirmation code, and only then hears anything about
it or changes it. With several upcoming bookings the caller picks one. Nothing here does I/O: the
glue (`manage_forms.py`) fetches the bookings and passes them in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from actions.booking.codes import normalise_code
from actions.spoken import parsing
from actions.spoken.render import say_date, say_time
from actions.storage.bookings import Booking

_ORDINAL_CHOICE = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "last": -1,
    "latest": -1,
    "earliest": 0,
}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one identification step: slot updates and what to say."""

    updates: dict[str, object]
    say: tuple[str, ...] = ()
    failed: bool = False


# Letters NFKD does not take apart: speech recognition writes them as these.
_UNDECOMPOSED = str.maketrans(
    {"đ": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}
)


def _simple(name: str) -> str:
    """ "José Núñez" → "josenunez": accents folded (NFKD), case, spaces and punctuation gone, so
    the name as speech recognition writes it proves the name as it was booked."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_UNDECOMPOSED))
    return "".join(c for c in folded if c.isalpha() and c.isascii())


def name_matches(spoken: str, on_booking: str) -> bool:
    """Full name, or first and last name, compared without case, spaces or punctuation."""
    said, stored = _simple(spoken), _simple(on_booking)
    if not said or not stored:
        return False
    if said == stored:
        return True
    parts = on_booking.split()
    return len(parts) > 2 and said == _simple(parts[0] + parts[-1])


def local_start(booking: Booking, tz) -> datetime:
    return booking.start.astimezone(tz)


def describe(booking: Booking, tz) -> str:
    """ "your haircut on Wednesday, December 2nd at 2 PM" """
    start = local_start(booking, tz)
    when = f"{say_date(start.date())} at {say_time(start.time())}"
    return f"your {booking.service.lower()} on {when}"


def lookup_email_turn(text: str, bookings: Sequence[Booking] | None, email: str | None) -> Verdict:
    """The caller gave (or failed to give) the email their booking is under."""
    if email is None:
        reason = parsing.parse_email(text)
        said = reason.reason if isinstance(reason, parsing.Failure) else "Sorry?"
        return Verdict({"lookup_email": None}, (said,), failed=True)
    if not bookings:
        return Verdict(
            {"lookup_email": None},
            (f"I couldn't find an upcoming booking under {email}. Could you check the address?",),
            failed=True,
        )
    return Verdict({"lookup_email": email})


def verify_turn(text: str, bookings: Sequence[Booking], email: str) -> Verdict:
    """The caller proves the booking is theirs: its code, or the name on it."""
    code = normalise_code(text)
    by_code = [b for b in bookings if code and b.code == code]
    if by_code:
        return Verdict({"verified_email": email, "selected_booking": by_code[0].code})
    name = parsing.parse_name(text)
    if isinstance(name, str):
        named = [b for b in bookings if name_matches(name, b.name)]
        if named:
            updates: dict[str, object] = {"verified_email": email}
            if len(named) == 1 or len(bookings) == 1:
                updates["selected_booking"] = named[0].code
            return Verdict(updates)
    return Verdict(
        {"verified_email": None},
        ("Sorry, that doesn't match the booking I have.",),
        failed=True,
    )


def choose_turn(text: str, bookings: Sequence[Booking], tz, today: date) -> Verdict:
    """The caller picks one of several bookings: by code, day, time, service or "the first"."""
    code = normalise_code(text)
    candidates = [b for b in bookings if code and b.code == code]
    words = parsing.normalise(text)
    ordinal = re.search(
        r"\b(first|1st|second|2nd|third|3rd|last|latest|earliest)(?: one)?\b"
        r"(?! of\b)(?!\s+(?:" + "|".join(parsing.MONTHS) + r"))",
        words,
    )
    if (
        not candidates
        and ordinal
        and (ordinal.group(0).endswith("one") or ordinal.group(1) in ("last", "latest", "earliest"))
    ):
        # "the first one" picks by order; "the first of december" is a date (below).
        ordered = sorted(bookings, key=lambda b: b.start)
        index = _ORDINAL_CHOICE[ordinal.group(1)]
        if -len(ordered) <= index < len(ordered):
            candidates = [ordered[index]]
    if not candidates:
        candidates = list(bookings)
        if found := parsing.find_date(text, today):
            if isinstance(found.value, date):
                candidates = [b for b in candidates if local_start(b, tz).date() == found.value]
        if (match := parsing.find_time(text)) is not None and len(candidates) > 1:
            candidates = [b for b in candidates if local_start(b, tz).hour % 12 == match.hour % 12]
        services = [b for b in candidates if b.service.lower() in words]
        if services:
            candidates = services
    if len(candidates) == 1:
        return Verdict({"selected_booking": candidates[0].code})
    return Verdict({"selected_booking": None}, ("Sorry, which one did you mean?",), failed=True)


def list_bookings(bookings: Sequence[Booking], tz) -> str:
    spoken = [
        describe(b, tz).removeprefix("your ") for b in sorted(bookings, key=lambda b: b.start)
    ]
    listed = ", ".join(spoken[:-1]) + " and " + spoken[-1] if len(spoken) > 1 else spoken[0]
    return f"I see {len(spoken)} bookings: {listed}. Which one is it?"
