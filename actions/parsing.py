"""Spoken-value parsing: what a caller said → a typed value, or a typed failure to say back.

Input is speech-recognition text (lowercase, little punctuation, fillers, numbers as words or
digits). Every function is pure and total: `now`, the timezone and the business's open periods
come in as arguments, and a bad input gives `Failure(reason)`, never an exception. `find_*`
functions look for a value anywhere in an utterance ("all in one breath"); `parse_*` functions
read a whole answer to a question the assistant just asked.

Not here: whether a time is bookable (scheduling.py) or what to say next (booking_logic.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable, TypeVar

import dateparser

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """A value could not be read; `reason` is a short sentence fit to be spoken."""

    reason: str


Parsed = T | Failure

FILLERS = {"um", "uh", "er", "erm", "hmm", "uhm", "ah", "oh", "well", "like", "so"}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december",
]  # fmt: skip
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MINUTE_WORDS = {"o'clock": 0, "oclock": 0, "fifteen": 15, "thirty": 30, "forty five": 45,
                 "forty-five": 45, "oh five": 5, "ten": 10, "twenty": 20, "forty": 40, "fifty": 50}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "twenty first": 21, "twenty second": 22,
    "twenty third": 23, "twenty fourth": 24, "twenty fifth": 25, "twenty sixth": 26,
    "twenty seventh": 27, "twenty eighth": 28, "twenty ninth": 29, "thirtieth": 30,
    "thirty first": 31,
}  # fmt: skip


def normalise(text: str | None) -> str:
    """Lowercase, punctuation that speech recognition adds removed, fillers dropped."""
    text = (text or "").lower().replace("’", "'")
    text = re.sub(r"[,!?;]+", " ", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)  # sentence dots, not the ones inside emails
    words = [w for w in text.split() if w not in FILLERS]
    return " ".join(words)


def _ordinal_pattern() -> str:
    words = sorted(_ORDINALS, key=len, reverse=True)
    return r"(?:\d{1,2}(?:st|nd|rd|th)?|" + "|".join(re.escape(w) for w in words) + ")"


_DAY_NUMBER = _ordinal_pattern()


def _day_number(token: str) -> int | None:
    token = token.strip()
    if token in _ORDINALS:
        return _ORDINALS[token]
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", token)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------- yes / no


_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|sure|correct|right|ok|okay|alright|absolutely|definitely|"
    r"perfect|exactly|uh huh|mhm|please do|go ahead|book it|do it|that's right|"
    r"that's correct|sounds good|that works)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|not|wrong|incorrect|don't|negative|that's wrong|that's not)\b")


def parse_yes_no(text: str, intent: str | None = None) -> bool | None:
    """True for yes, False for no, None when the answer is neither (or both)."""
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    words = normalise(text)
    yes, no = bool(_YES.search(words)), bool(_NO.search(words))
    return yes if yes != no else None


# ---------------------------------------------------------------------------- email

_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_SPOKEN_CONNECTORS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "period": "."}
_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9]+(?:(?: (?:dot|underscore|dash|hyphen|period) |[._-])[a-z0-9]+)*)"
    r" at ([a-z0-9-]+(?: dot [a-z0-9-]+)*(?: dot [a-z]{2,}))\b"
)


def _spoken_to_email(local: str, domain: str) -> str:
    def join(part: str) -> str:
        for word, symbol in _SPOKEN_CONNECTORS.items():
            part = part.replace(f" {word} ", symbol)
        return part.replace(" ", "")

    return f"{join(local)}@{join(domain)}"


def find_email(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first email in `text`, written or spoken ("jane dot doe at example dot com").

    Returns the address and the span of `normalise(text)` it came from, or None.
    """
    words = normalise(text)
    match = _EMAIL.search(words)
    if match:
        return match.group(0), match.span()
    match = _SPOKEN_EMAIL.search(words)
    if match:
        return _spoken_to_email(match.group(1), match.group(2)), match.span()
    return None


def parse_email(text: str) -> Parsed[str]:
    found = find_email(text)
    if found:
        return found[0]
    if "@" in text or " at " in f" {normalise(text)} ":
        return Failure("That email address doesn't look complete.")
    return Failure("Sorry, I didn't catch an email address.")


# ---------------------------------------------------------------------------- dates

_WEEKDAY_RE = re.compile(
    r"\b(?:(next|this|on|coming|this coming)\s+)?(" + "|".join(WEEKDAYS) + r")(\s+next week)?\b"
)
_RELATIVE_RE = re.compile(r"\b(today|tonight|day after tomorrow|tomorrow)\b")
_MONTH_DAY_RE = re.compile(
    r"\b(" + "|".join(MONTHS) + r")\s+(?:the\s+)?(" + _DAY_NUMBER + r")\b"
    r"|\b(?:the\s+)?(" + _DAY_NUMBER + r")\s+of\s+(" + "|".join(MONTHS) + r")\b"
)
_THE_DAY_RE = re.compile(r"\bthe\s+(" + _DAY_NUMBER + r")\b(?!\s+of\s)")
_ISO_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_WEEK_FROM_RE = re.compile(r"\b(?:a|one) week from (?:today|now)\b|\bin a week\b")


@dataclass(frozen=True)
class DateMatch:
    value: date | Failure
    span: tuple[int, int]


def _next_weekday(today: date, weekday: int, next_week: bool) -> date:
    """The coming `weekday` after today; `next_week` picks that weekday in next calendar week."""
    if next_week:
        monday_next_week = today + timedelta(days=7 - today.weekday())
        return monday_next_week + timedelta(days=weekday)
    days = (weekday - today.weekday()) % 7 or 7
    return today + timedelta(days=days)


def _month_day(today: date, month: int, day: int) -> date | Failure:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return Failure(f"{MONTHS[month - 1].title()} doesn't have a {_say_ordinal(day)}.")
        if candidate >= today:
            return candidate
    return Failure("That date has already passed.")


def _say_ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def find_date(text: str, today: date) -> DateMatch | None:
    """The first date phrase in `text`, resolved against `today` (the business's local date).

    "tomorrow", "friday", "next friday" (the coming Friday), "friday next week", "the 5th",
    "december 3rd", "a week from today", "2026-12-03". Dates in the past are failures.
    """
    words = normalise(text)
    candidates: list[DateMatch] = []
    if m := _RELATIVE_RE.search(words):
        offset = {"today": 0, "tonight": 0, "tomorrow": 1, "day after tomorrow": 2}[m.group(1)]
        candidates.append(DateMatch(today + timedelta(days=offset), m.span()))
    if m := _WEEKDAY_RE.search(words):
        weekday = WEEKDAYS.index(m.group(2))
        candidates.append(
            DateMatch(_next_weekday(today, weekday, bool(m.group(3))), m.span())
        )
    if m := _WEEK_FROM_RE.search(words):
        candidates.append(DateMatch(today + timedelta(days=7), m.span()))
    if m := _MONTH_DAY_RE.search(words):
        month_name = m.group(1) or m.group(4)
        day = _day_number(m.group(2) or m.group(3))
        month = MONTHS.index(month_name) + 1
        value = _month_day(today, month, day) if day else Failure("I didn't catch the day.")
        candidates.append(DateMatch(value, m.span()))
    elif m := _THE_DAY_RE.search(words):
        day = _day_number(m.group(1))
        candidates.append(DateMatch(_day_of_month(today, day), m.span()))
    if m := _ISO_RE.search(words):
        try:
            value: date | Failure = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            value = Failure("That isn't a real date.")
        candidates.append(DateMatch(value, m.span()))
    if not candidates:
        return None
    # Appended from least to most specific: "a week from today" is not "today", and in
    # "friday december 4th" the month-day reading is the one to check.
    best = candidates[-1]
    if isinstance(best.value, date) and best.value < today:
        return DateMatch(Failure("That date has already passed."), best.span)
    return best


def _day_of_month(today: date, day: int | None) -> date | Failure:
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


def parse_date(text: str, today: date, now: datetime | None = None) -> Parsed[date]:
    """A whole answer to "what day?". Falls back to dateparser for forms we don't match."""
    found = find_date(text, today)
    if found:
        return found.value
    words = normalise(text)
    if not words:
        return Failure("Sorry, I didn't catch the day.")
    base = datetime.combine(today, time(12)) if now is None else now.replace(tzinfo=None)
    parsed = dateparser.parse(
        words,
        languages=["en"],
        settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base,
                  "REQUIRE_PARTS": ["day"]},
    )  # fmt: skip
    if parsed is None:
        return Failure("Sorry, I didn't catch the day.")
    if parsed.date() < today:
        return Failure("That date has already passed.")
    return parsed.date()


# ---------------------------------------------------------------------------- times

_MERIDIEM = (
    r"((?:a\s?m|p\s?m|a\.m\.?|p\.m\.?|in the morning|in the afternoon|in the evening|at night)"
    r"(?![a-z]))"
)
_HOUR_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_MINUTE_WORD = "|".join(sorted(_MINUTE_WORDS, key=len, reverse=True))
_TIME_RES = [
    re.compile(r"\b(\d{1,2}):(\d{2})\s*" + _MERIDIEM + r"?"),  # 15:00, 3:30 pm
    re.compile(r"\b(\d{1,2})\s*" + _MERIDIEM),  # 3 pm, 10 in the morning
    re.compile(r"\b(" + _HOUR_WORD + r")\s+(" + _MINUTE_WORD + r")\b\s*" + _MERIDIEM + r"?"),
    re.compile(r"\b(" + _HOUR_WORD + r")\s*" + _MERIDIEM),  # three pm
    # A bare hour counts only after "at"/"around": "one week" and "two people" are no times.
    re.compile(r"\b(?:at|around|about|by|make it)\s+(" + _HOUR_WORD + r")\b"),
    re.compile(r"\b(?:at|around|about|by|make it)\s+(\d{1,2})\b(?![:/]|\s*(?:st|nd|rd|th)\b)"),
]
_NOON_RE = re.compile(r"\b(noon|midday|mid day|twelve noon)\b")
_HALF_PAST_RE = re.compile(
    r"\b(half|quarter)\s+(past|after|to|till|before)\s+(\d{1,2}|" + _HOUR_WORD + r")\b"
)


@dataclass(frozen=True)
class TimeMatch:
    hour: int  # 0-23 when the meridiem is known, else 1-12
    minute: int
    meridiem: str | None  # "am" | "pm" | None
    span: tuple[int, int]


def _meridiem(token: str | None) -> str | None:
    if not token:
        return None
    token = token.replace(".", "").replace(" ", "")
    if token.startswith("a") or token == "inthemorning":
        return "am"
    return "pm"


def _hour(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return _NUMBER_WORDS.get(token)


def find_time(text: str) -> TimeMatch | None:
    """The first clock time in `text`: "3 pm", "three thirty", "half past two", "noon", "15:00"."""
    words = normalise(text)
    if m := _NOON_RE.search(words):
        return TimeMatch(12, 0, "pm", m.span())
    if m := _HALF_PAST_RE.search(words):
        hour = _hour(m.group(3))
        if hour is not None:
            minutes = 30 if m.group(1) == "half" else 15
            if m.group(2) in ("to", "till", "before"):
                hour, minutes = (hour - 1) % 12 or 12, 60 - minutes
            rest = words[m.end():]
            mer = re.match(r"\s*" + _MERIDIEM, rest)
            end = m.end() + (mer.end() if mer else 0)
            return TimeMatch(hour, minutes, _meridiem(mer.group(1)) if mer else None, (m.start(), end))
    for pattern in _TIME_RES:
        m = pattern.search(words)
        if not m:
            continue
        groups = m.groups()
        hour = _hour(groups[0])
        if hour is None:
            continue
        minute = 0
        meridiem = None
        if len(groups) >= 2 and groups[1]:
            if groups[1].isdigit():
                minute = int(groups[1])
            elif groups[1] in _MINUTE_WORDS:
                minute = _MINUTE_WORDS[groups[1]]
            else:
                meridiem = _meridiem(groups[1])
        if len(groups) >= 3 and groups[2]:
            meridiem = _meridiem(groups[2])
        if hour > 23 or minute > 59:
            continue
        if hour > 12:
            meridiem = None  # already 24-hour
        elif hour == 0:
            meridiem = "am"
        return TimeMatch(hour, minute, meridiem, m.span())
    return None


def resolve_time(match: TimeMatch, is_open: Callable[[time], bool]) -> time:
    """Turn "3" into 3 PM when the business is open at 3 PM and not at 3 AM (and so on)."""
    hour, minute = match.hour, match.minute
    if match.meridiem == "am":
        return time(0 if hour == 12 else hour, minute)
    if match.meridiem == "pm":
        return time(12 if hour == 12 else hour + 12, minute)
    if hour > 12:
        return time(hour, minute)
    morning, afternoon = time(hour % 12, minute), time(hour % 12 + 12, minute)
    if is_open(afternoon) and not is_open(morning):
        return afternoon
    if is_open(morning) and not is_open(afternoon):
        return morning
    # Neither or both: people mean daytime; 1-7 without "am" is the afternoon.
    return afternoon if 1 <= hour <= 7 else morning


def read_time(text: str) -> TimeMatch | None:
    """A whole answer to "what time?", before AM/PM is settled: a clock time anywhere in the
    answer, or a bare hour ("3", "three") that only counts when it is the whole answer."""
    found = find_time(text)
    if found is None:
        bare = normalise(text).removeprefix("at ").strip()
        hour = _hour(bare)
        if hour is not None and 1 <= hour <= 23:
            found = TimeMatch(hour, 0, None, (0, len(bare)))
    return found


def parse_time(text: str, is_open: Callable[[time], bool]) -> Parsed[time]:
    """A whole answer to "what time?": "3", "three thirty", "2 pm", "noon", "15:00"."""
    found = read_time(text)
    if found is None:
        return Failure("Sorry, I didn't catch the time.")
    return resolve_time(found, is_open)


# ---------------------------------------------------------------------------- names

_NAME_PREFIX = re.compile(
    r"^(?:(?:yes|yeah|sure|ok|okay|hi|hello)\s+)?(?:my name is|my name's|the name is|the name's|"
    r"name is|name's|it's|its|it is|this is|i'm|i am|im|call me)\s+"
)
_NAME_IN_TEXT = re.compile(r"\b(?:my name is|my name's|this is|i'm|i am|name's)\s+([a-z' -]+)")
_NOT_NAME_WORDS = {
    "yes", "yeah", "no", "nope", "okay", "ok", "sure", "hi", "hello", "hey", "thanks", "thank",
    "you", "what", "when", "where", "why", "how", "is", "are", "do", "does", "can", "could",
    "would", "will", "a", "an", "the", "and", "to", "for", "at", "on", "in", "of", "it",
    "calling", "looking", "wondering", "trying", "hoping", "interested", "just", "not", "sorry",
    "here", "fine", "good", "great", "free", "available", "want", "wanna", "need", "like",
    "book", "booking", "appointment", "haircut", "email", "my", "me", "i", "i'd", "i'm",
}  # fmt: skip
_QUESTION_START = re.compile(
    r"^(?:what|when|where|why|how|who|which|is|are|do|does|can|could|would|will|should)\b"
)
_NAME_TOKEN = re.compile(r"^[a-z][a-z'-]*$")
_PARTICLES = {"de", "la", "del", "van", "von", "der", "da", "di", "le", "du", "bin", "al"}


def looks_like_question(text: str) -> bool:
    words = normalise(text)
    return text.strip().endswith("?") or bool(_QUESTION_START.match(words))


def title_name(words: list[str]) -> str:
    """Title case that keeps O'Brien, McDonald, Smith-Jones and "De la Cruz"."""

    def cap(word: str) -> str:
        parts = re.split(r"([-'])", word)
        out = "".join(p[:1].upper() + p[1:] if p not in "-'" else p for p in parts)
        if out.startswith("Mc") and len(out) > 2:
            out = "Mc" + out[2].upper() + out[3:]
        return out

    result = []
    for i, word in enumerate(words):
        lowered = word.lower()
        keep_lower = 0 < i < len(words) - 1 and lowered in _PARTICLES and lowered != "de"
        result.append(lowered if keep_lower else cap(lowered))
    return " ".join(result)


def parse_name(text: str) -> Parsed[str]:
    """A whole answer to "your name?": prefixes ("my name is", "it's") and fillers stripped."""
    words = normalise(text)
    if looks_like_question(text):
        return Failure("Sorry, I need your name for the booking.")
    words = _NAME_PREFIX.sub("", words).strip()
    words = re.sub(r"\s+(?:here|speaking|please|thanks|thank you)$", "", words)
    tokens = words.split()
    if not tokens or len(tokens) > 5:
        return Failure("Sorry, I didn't catch your name.")
    if any(not _NAME_TOKEN.match(t) for t in tokens) or all(t in _NOT_NAME_WORDS for t in tokens):
        return Failure("Sorry, I didn't catch your name.")
    if tokens[0] in _NOT_NAME_WORDS:
        return Failure("Sorry, I didn't catch your name.")
    return title_name(tokens)


def find_name(text: str) -> tuple[str, tuple[int, int]] | None:
    """A name introduced in passing: "hi i'm maria garcia i want a haircut" → "Maria Garcia"."""
    words = normalise(text)
    match = _NAME_IN_TEXT.search(words)
    if not match:
        return None
    tokens: list[str] = []
    for token in match.group(1).split():
        if token in _NOT_NAME_WORDS or token in WEEKDAYS or not _NAME_TOKEN.match(token):
            break
        tokens.append(token)
        if len(tokens) == 3:
            break
    if not tokens:
        return None
    end = match.start(1) + len(" ".join(tokens))
    return title_name(tokens), (match.start(), end)


# ---------------------------------------------------------------------------- services


def find_service(text: str, names: dict[str, str]) -> tuple[str, tuple[int, int]] | None:
    """The service mentioned in `text`. `names` maps every lowercase name and alias to the
    service's canonical name; the longest match wins ("beard trim" over "trim")."""
    words = normalise(text)
    best: tuple[str, tuple[int, int]] | None = None
    for alias in sorted(names, key=len, reverse=True):
        pattern = r"\b" + re.escape(alias.lower()).replace(r"\ ", r"[\s-]?") + r"(?:s|es)?\b"
        match = re.search(pattern, words)
        if match and (best is None or len(match.group(0)) > best[1][1] - best[1][0]):
            best = (names[alias], match.span())
    return best
