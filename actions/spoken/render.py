"""Times, dates and durations as a voice says them: "2:30 PM", "noon", "Wednesday, December 9th".

The text goes to text-to-speech, so it is written the way people speak ("2 PM", not "14:00";
"an hour and a half", not "90 min"). Pure functions on values; the caller picks the timezone
(an aware datetime is spoken in its own wall time). Phone numbers are read digit by digit, in
their groups, and an email's local part letter by letter. Not here: parsing what a caller said
(parsing.py) or any sentence longer than a phrase.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import phonenumbers

# Spelled out rather than strftime's %A/%B, which follow the process locale.
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def say_time(t: datetime | time) -> str:
    """14:00 → "2 PM", 14:30 → "2:30 PM", 12:00 → "noon", 00:00 → "midnight"."""
    if isinstance(t, datetime):
        t = t.time()
    if t.minute == 0 and t.hour in (0, 12):
        return "midnight" if t.hour == 0 else "noon"
    hour = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return f"{hour} {suffix}" if t.minute == 0 else f"{hour}:{t.minute:02d} {suffix}"


def say_span(start: time, end: time) -> str:
    """ "12:30 to 1:30 PM": the first AM/PM is dropped when both times share it, as people do."""
    first, last = say_time(start), say_time(end)
    if first[-2:] == last[-2:] and first[-2:] in ("AM", "PM"):
        first = first[:-3]
    return f"{first} to {last}"


def ordinal(n: int) -> str:
    """1 → "1st", 2 → "2nd", 11 → "11th", 22 → "22nd"."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def say_date(d: date) -> str:
    """2026-12-09 → "Wednesday, December 9th" (no year: bookings are at most months ahead)."""
    return f"{_DAYS[d.weekday()]}, {_MONTHS[d.month - 1]} {ordinal(d.day)}"


def say_weekdays(d: date) -> str:
    """The day's weekday in the plural, for weekly rules: "Tuesdays"."""
    return f"{_DAYS[d.weekday()]}s"


def say_duration(minutes: int) -> str:
    """45 → "45 minutes", 60 → "an hour", 90 → "an hour and a half", 150 → "2 and a half hours"."""
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return "1 minute" if rest == 1 else f"{rest} minutes"
    if rest == 30:
        return "an hour and a half" if hours == 1 else f"{hours} and a half hours"
    whole = "an hour" if hours == 1 else f"{hours} hours"
    return whole if rest == 0 else f"{whole} and {say_duration(rest)}"


def say_datetime(dt: datetime) -> str:
    """2026-12-09 14:00 → "Wednesday, December 9th at 2 PM" (an aware datetime in its own wall
    time; 12:00 is "at noon")."""
    return f"{say_date(dt.date())} at {say_time(dt.time())}"


def say_phone(e164: str) -> str:
    """ "+14155551234" → "4 1 5, 5 5 5, 1 2 3 4": digit by digit, grouped as the country writes
    it, so text-to-speech neither says "four hundred fifteen" nor runs the digits together."""
    try:
        number = phonenumbers.parse(e164, None)
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        national = e164
    groups = re.findall(r"\d+", national)
    return ", ".join(" ".join(group) for group in groups)


_SYMBOLS = {".": "dot", "_": "underscore", "-": "dash", "+": "plus", "%": "percent"}


def spell_local_part(address: str) -> str:
    """ "john.smith@gmail.com" → "J O H N dot S M I T H": the part before the "@" one character
    at a time (digits as digits, "_" as "underscore"), so the caller hears a dropped or wrong
    letter. The domain is not spelled: it is said whole in the read-back ("gmail.com")."""
    local = address.rpartition("@")[0] if "@" in address else address
    return " ".join(_SYMBOLS.get(c, c.upper()) for c in local)
