"""Spoken dates → `date`, resolved against the business's local "today".

Theory of operation: every date phrase the caller may use is a regex with a rank; all of them are
tried, and the most specific match wins (rank, then the earliest): "a week from friday" over
"friday", "friday december 4th" over "friday". A weekday said with a day of the month must agree
with it ("tuesday the 7th" when the 7th is a Monday is a failure that says so, rather than a guess
between the two). Weekdays mean the coming one, never today: "tuesday", "this tuesday" and
"next tuesday" are all the next Tuesday after today; "tuesday next week" is the Tuesday of the next
calendar week. A month and day without a year is this year's, or next year's when this year's
passed more than half a year ago ("january 2nd" said in December); one that passed recently
("november 20th" on December 1st) is a failure, and so are "yesterday" and "last friday".
Vague phrases ("next week", "this weekend") name no day in an utterance ("any openings next
week?" is a question about the week); as the whole answer to "what day?" they are a failure that
asks "Which day would you like?".

Not here: whether the business is open that day (scheduling.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import dateparser

from actions.spoken.words import (
    CARDINAL,
    ORDINAL,
    ORDINALS,
    Failure,
    Parsed,
    cardinal_value,
    day_number,
    normalise,
    say_ordinal,
    word_pattern,
)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
PASSED = "That date has already passed."
NOT_CAUGHT = "Sorry, I didn't catch the day."
RECENT_PAST = timedelta(days=182)  # a month-day passed longer ago than this means next year


@dataclass(frozen=True)
class DateMatch:
    value: date | Failure
    span: tuple[int, int]


_WD = word_pattern(WEEKDAYS)
_MONTH = word_pattern(MONTHS)
_COUNT = r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|couple of|\d{1,2})"
_WEEKDAY_BEFORE = (
    r"(?:(?:on\s+)?(?:this\s+|next\s+|coming\s+|this coming\s+)?(?P<wd>" + _WD + r")\s+)?"
)
_NOT_A_DATE_AFTER = (
    r"(?!\s+(?:thing|one|ones|time|times|available|slot|opening|appointment|option|person|half))"
)

# (rank, pattern): higher rank = more specific.
_PATTERNS: list[tuple[int, str, re.Pattern[str]]] = [
    (0, "past", re.compile(r"\byesterday\b|\blast (?:week|month)\b")),
    (3, "past", re.compile(r"\blast (?:" + _WD + r")\b")),  # over the plain weekday
    (
        1,
        "relative",
        re.compile(
            r"\b(?:the )?day after tomorrow\b|\btomorrow\b|\btoday\b"
            r"|\btonight\b|\bthis (?:morning|afternoon|evening)\b"
        ),
    ),
    (
        2,
        "weekday",
        re.compile(
            r"\b(?:(?:next|this|on|coming|this coming)\s+)?(?P<wd>" + _WD + r")"
            r"(?P<after>\s+after next|\s+next week|\s+of next week)?\b"
            r"|\bnext week (?:on )?(?P<wd2>" + _WD + r")\b"
        ),
    ),
    (
        3,
        "offset",
        re.compile(
            r"\bin (?P<n>" + _COUNT + r") (?P<unit>days?|weeks?)\b"
            r"|\b(?P<n2>" + _COUNT + r") (?P<unit2>days?|weeks?) from "
            r"(?P<base>today|now|tomorrow|" + _WD + r")\b"
            r"|\ba week (?:on|from) (?P<base2>" + _WD + r")\b|\bin a fortnight\b"
        ),
    ),
    (
        4,
        "day_of_month",
        re.compile(
            r"\b(?:(?:on\s+)?(?:this\s+|next\s+|coming\s+)?(?P<wd>" + _WD + r")\s+(?:the\s+)?"
            r"(?P<day>" + ORDINAL + r")|\bthe\s+(?P<day2>" + ORDINAL + r"))\b" + _NOT_A_DATE_AFTER
        ),
    ),
    (
        5,
        "month_day",
        re.compile(
            r"\b"
            + _WEEKDAY_BEFORE
            + r"(?P<month>"
            + _MONTH
            + r")\s+(?:the\s+)?(?P<day>"
            + ORDINAL
            + "|"
            + CARDINAL
            + r")\b(?:\s+(?P<year>\d{4})\b)?"
        ),
    ),
    (
        5,
        "day_month",
        re.compile(
            r"\b" + _WEEKDAY_BEFORE + r"(?:the\s+)?(?P<day>" + ORDINAL + r"|\d{1,2})\s+(?:of\s+)?"
            r"(?P<month>" + _MONTH + r")\b(?:\s+(?P<year>\d{4})\b)?"
        ),
    ),
    (
        5,
        "slash",
        re.compile(
            r"\b" + _WEEKDAY_BEFORE + r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\b"
        ),
    ),
    (5, "iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
]


def _coming_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def _next_week(today: date, weekday: int) -> date:
    return today + timedelta(days=7 - today.weekday() + weekday)


def _dated(today: date, year: int | None, month: int, day: int) -> date | Failure:
    """Month and day (and maybe year) → a date on or after today, or why not."""
    if not 1 <= month <= 12:
        return Failure("That isn't a real date.")
    try:
        date(2024 if year is None else year, month, day)  # 2024: a leap year
    except ValueError:
        return Failure(f"{MONTHS[month - 1].title()} doesn't have a {say_ordinal(day)}.")
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            return Failure(f"{MONTHS[month - 1].title()} {year} doesn't have a {say_ordinal(day)}.")
    for candidate_year in (today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:  # February 29th in a common year
            continue
        if candidate >= today:
            return candidate
        if today - candidate <= RECENT_PAST:
            return Failure(PASSED)
    return Failure(f"{MONTHS[month - 1].title()} doesn't have a {say_ordinal(day)} next year.")


def _day_of_month(today: date, day: int | None) -> date | Failure:
    """The next date (from today) with that day of the month."""
    if not day or day > 31:
        return Failure("I didn't catch which day of the month.")
    month, year = today.month, today.year
    for _ in range(3):
        try:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        except ValueError:
            pass
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return Failure("I didn't catch which day of the month.")


def _count(token: str) -> int | None:
    token = token.removesuffix(" of")
    if token in ("a", "an"):
        return 1
    if token.endswith("couple"):
        return 2
    return cardinal_value(token)


def _resolve(kind: str, m: re.Match[str], today: date) -> date | Failure | None:
    g = m.groupdict()
    if kind == "past":
        return Failure(PASSED)
    if kind == "relative":
        phrase = m.group(0)
        return today + timedelta(days=2 if "after" in phrase else 1 if phrase == "tomorrow" else 0)
    if kind == "weekday":
        weekday = WEEKDAYS.index(g["wd"] or g["wd2"])
        after = (g["after"] or "").strip()
        if g["wd2"] or after in ("next week", "of next week"):
            return _next_week(today, weekday)
        coming = _coming_weekday(today, weekday)
        return coming + timedelta(days=7) if after == "after next" else coming
    if kind == "offset":
        if m.group(0) == "in a fortnight":
            return today + timedelta(days=14)
        if g["base2"]:
            return _coming_weekday(today, WEEKDAYS.index(g["base2"])) + timedelta(days=7)
        count = _count(g["n"] or g["n2"])
        unit = g["unit"] or g["unit2"]
        if count is None:
            return None
        base = today
        if g["base"] == "tomorrow":
            base = today + timedelta(days=1)
        elif g["base"] in WEEKDAYS:
            base = _coming_weekday(today, WEEKDAYS.index(g["base"]))
        return base + timedelta(days=count * (7 if unit.startswith("week") else 1))
    if kind == "day_of_month":
        value = _day_of_month(today, day_number(g["day"] or g["day2"]))
    elif kind in ("month_day", "day_month"):
        month = MONTHS.index(g["month"]) + 1
        token = g["day"]
        if month == 5 and token not in ORDINALS and not any(c.isdigit() for c in token):
            return None  # "may three of us come": "may" and a number word is no date
        day = day_number(token)
        year = int(g["year"]) if g.get("year") else None
        value = _dated(today, year, month, day) if day else Failure(NOT_CAUGHT)
    else:  # slash (US month/day) or ISO
        year = int(g["y"]) if g["y"] else None
        if year is not None and year < 100:
            year += 2000
        try:
            value = date(year or today.year, int(g["m"]), int(g["d"]))
            if year is None:
                value = _dated(today, None, int(g["m"]), int(g["d"]))
        except ValueError:
            value = Failure("That isn't a real date.")
    return _check_weekday(value, g.get("wd"))


def _check_weekday(value: date | Failure, said: str | None) -> date | Failure:
    if said is None or isinstance(value, Failure) or WEEKDAYS[value.weekday()] == said:
        return value
    actual = WEEKDAYS[value.weekday()].title()
    return Failure(
        f"{MONTHS[value.month - 1].title()} {say_ordinal(value.day)} is a {actual}, "
        f"not a {said.title()}."
    )


def find_date(text: str, today: date) -> DateMatch | None:
    """The date phrase in `text` (the most specific one), resolved against `today`.

    "tomorrow", "friday", "next friday" (the coming Friday), "friday next week", "the 5th",
    "december 3rd", "3rd of december", "12/3", "a week from today", "in two weeks",
    "monday the 7th". Past and impossible dates, and weekdays that don't match the date, are
    failures.
    """
    words = normalise(text)
    best: tuple[int, int, DateMatch] | None = None
    for rank, kind, pattern in _PATTERNS:
        for m in pattern.finditer(words):
            value = _resolve(kind, m, today)
            if value is None:
                continue
            if isinstance(value, date) and value < today:
                value = Failure(PASSED)
            key = (rank, -m.start())
            if best is None or key > best[:2]:
                best = (rank, -m.start(), DateMatch(value, m.span()))
            break  # the first match of each pattern is enough
    return best[2] if best else None


# Only as a whole answer: "any openings next week?" is a question about the week, not a day.
_VAGUE = re.compile(
    r"\b(?:next|this) (?:week|month)\b|\bweekend\b|\bsometime\b|\bin a few days\b|\bsoon\b"
)
_NOW = re.compile(r"(?:right )?now|as soon as (?:possible|you can)|asap")
_BARE_DAY = re.compile(r"(?:on\s+)?(?:the\s+)?(" + ORDINAL + r")")
_HAS_MONTH = re.compile(r"\b(?:" + _MONTH + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b")


def parse_date(text: str, today: date, now: datetime | None = None) -> Parsed[date]:
    """A whole answer to "what day?": a date phrase anywhere, or a bare "third" or "now";
    dateparser reads other phrasings that name a month ("dec 5")."""
    found = find_date(text, today)
    if found:
        return found.value
    words = normalise(text)
    if _NOW.fullmatch(words):  # only as the whole answer: "can i book now" names no day
        return today
    if m := _BARE_DAY.fullmatch(words):
        return _day_of_month(today, day_number(m.group(1)))
    if _VAGUE.search(words):
        return Failure("Which day would you like?")
    if not words or not _HAS_MONTH.search(words):
        return Failure(NOT_CAUGHT)
    base = datetime.combine(today, time(12)) if now is None else now.replace(tzinfo=None)
    parsed = dateparser.parse(
        words,
        languages=["en"],
        settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "REQUIRE_PARTS": ["day"]},
    )
    if parsed is None:
        return Failure(NOT_CAUGHT)
    if parsed.date() < today:
        return Failure(PASSED)
    return parsed.date()
