"""Spoken clock times → `TimeMatch` (hour, minute, maybe AM/PM), then → `time` for one business.

Theory of operation: `find_time` looks for a clock time anywhere in an utterance, most explicit
form first ("noon", "half past two", "15:00", "3 pm", "three thirty", "ten ish", then a bare hour
after "at"/"around"). A bare number counts only there, or as a whole answer (`read_time`):
"one week", "2 people" and "the 5th" are no times. AM/PM is left open unless said, or hinted by a
part of the day next to the time ("friday morning around ten", "2 this afternoon"; the hint is not
part of the span, which never overlaps a date's). `resolve_time` settles AM/PM with the business's
opening hours. "first thing in the morning" is a `TimeMatch` with `first_thing=True`: it means
the opening time, which `resolve_time` takes from `opening` or finds with `is_open`.

Not here: whether a time is bookable (scheduling.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import time

from actions.spoken.words import TENS, UNITS, Failure, Parsed, normalise, word_pattern

DEFAULT_OPENING = time(9)  # first thing, for a business that is never open (no better answer)


@dataclass(frozen=True)
class TimeMatch:
    hour: int  # 0-23 when the meridiem is known, else 1-12 (9 for first_thing: a placeholder)
    minute: int
    meridiem: str | None  # "am" | "pm" | None
    span: tuple[int, int]
    first_thing: bool = False  # "first thing in the morning": the opening time


_HOUR_WORDS = {w: n for w, n in UNITS.items() if 1 <= n <= 12}
_HOUR = r"(?P<h>\d{1,2}|" + word_pattern(_HOUR_WORDS) + r")"
_UNIT = word_pattern(w for w, n in UNITS.items() if 1 <= n <= 9)
_MINUTE = (
    r"(?P<m>(?:twenty|thirty|forty|fifty)(?:[ -](?:" + _UNIT + r"))?|"
    r"(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)|"
    r"(?:oh|zero) (?:" + _UNIT + r")|o'clock|oclock|o clock)"
)
_MER = (
    r"(?:\s*(?P<mer>a\s?m|p\s?m|a\.m\.?|p\.m\.?|in the morning|in the afternoon|in the evening"
    r"|at night)(?![a-z]))"
)
_NOT_AN_HOUR_AFTER = (
    r"(?![:/\d]|\s*(?:st|nd|rd|th)\b|\s+(?:people|persons?|of|days?|weeks?|months?|years?|"
    r"minutes?|mins?|hours?|guests?|kids|children|adults|dollars|bucks|percent|times?|more)\b)"
)
_PART_WORDS = r"(?P<part>morning|afternoon|evening|night|tonight)"
_APPROX = (
    r"(?:at|around|about|by|make it|say|roughly|approximately|how about|what about|"
    r"(?:can|could) (?:you|we|i) do)"
)
_FRACTION = r"(?P<f>half|quarter|five|ten|twenty|twenty[ -]five|\d{1,2})"

# Most explicit first; the first pattern that matches anywhere wins.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("noon", re.compile(r"\b(?:twelve )?(?P<noon>noon|midday|mid day|midnight)\b")),
    (
        "first",
        re.compile(
            r"\bfirst thing(?: in the morning)?\b|\bas early as (?:possible|you can)\b"
            r"|\b(?:when|as soon as) you open\b|\b(?:at )?opening time\b"
        ),
    ),
    (
        "past",
        re.compile(
            r"\b(?:a )?" + _FRACTION + r"(?: minutes?)? (?P<dir>past|after|to|till|til|"
            r"before|of) " + _HOUR + r"\b" + _NOT_AN_HOUR_AFTER + _MER + "?"
        ),
    ),
    ("half", re.compile(r"\bhalf " + _HOUR + r"\b" + _NOT_AN_HOUR_AFTER + _MER + "?")),
    ("clock", re.compile(r"\b(?P<h>\d{1,2})[:.](?P<m>\d{2})\b" + _MER + "?")),
    ("clock", re.compile(r"\b(?P<h>\d{1,2}) (?P<m>\d{2})" + _MER)),
    ("clock", re.compile(r"\b(?P<h>\d{1,2})(?P<m>\d{2})" + _MER)),
    ("hour", re.compile(r"\b" + _HOUR + _MER)),
    ("words", re.compile(r"\b" + _HOUR + r" " + _MINUTE + r"\b" + _MER + "?")),
    ("hour", re.compile(r"\b" + _HOUR + r"(?:\s|-)?ish\b")),
    (
        "hour",
        re.compile(
            r"\b" + _HOUR + r"(?=\s+(?:tonight|(?:this|tomorrow) (?:morning|"
            r"afternoon|evening))\b)"
        ),
    ),
    ("hour", re.compile(r"\b" + _APPROX + r"\s+" + _HOUR + r"\b" + _NOT_AN_HOUR_AFTER)),
]
_HINT_BEFORE = re.compile(r"(?<!good )\b" + _PART_WORDS + r"\s+(?:" + _APPROX + r"\s+)?$")
_HINT_AFTER = re.compile(
    r"^\s+(?:this|tomorrow|today|on [a-z]+)\s+" + _PART_WORDS + r"\b|^\s+tonight\b"
)


def _hour(token: str) -> int | None:
    return int(token) if token.isdigit() else _HOUR_WORDS.get(token)


def _minute(token: str) -> int | None:
    token = token.replace("-", " ")
    if token.isdigit():
        return int(token)
    if token in ("o'clock", "oclock", "o clock"):
        return 0
    parts = token.split()
    if parts[0] in ("oh", "zero"):
        return UNITS[parts[1]]
    if parts[0] in TENS:
        return TENS[parts[0]] + (UNITS[parts[1]] if len(parts) > 1 else 0)
    return UNITS.get(parts[0])


def _meridiem(token: str | None) -> str | None:
    if not token:
        return None
    token = token.replace(".", "").replace(" ", "")
    return "am" if token in ("am", "inthemorning") else "pm"


def _from_match(kind: str, m: re.Match[str]) -> TimeMatch | None:
    g = m.groupdict()
    meridiem = _meridiem(g.get("mer"))
    if kind == "noon":
        midnight = g["noon"] == "midnight"
        return TimeMatch(0 if midnight else 12, 0, "am" if midnight else "pm", m.span())
    if kind == "first":
        return TimeMatch(DEFAULT_OPENING.hour, 0, None, m.span(), first_thing=True)
    hour = _hour(g["h"])
    if hour is None:
        return None
    minute = 0
    if kind == "past":
        fraction = g["f"].replace("-", " ")
        minute = {"half": 30, "quarter": 15}.get(fraction) or _minute(fraction) or 0
        if not 0 < minute < 60 or (g["f"].isdigit() and g["dir"] not in ("past", "after")):
            return None
        if g["dir"] not in ("past", "after"):
            hour, minute = (hour - 1) % 12 or 12, 60 - minute
    elif kind == "half":
        minute = 30
    elif kind in ("clock", "words"):
        minute = _minute(g["m"])
    if minute is None or hour > 23 or minute > 59 or (meridiem and not 1 <= hour <= 12):
        return None
    if hour > 12:
        meridiem = None  # already 24-hour
    elif hour == 0:
        meridiem = "am"
    return TimeMatch(hour, minute, meridiem, m.span())


def _with_hint(match: TimeMatch, words: str) -> TimeMatch:
    """AM/PM from a part of the day said right next to the time: "friday morning around ten"."""
    if match.meridiem or match.first_thing or not 1 <= match.hour <= 12:
        return match
    hint = _HINT_BEFORE.search(words[: match.span[0]]) or _HINT_AFTER.search(words[match.span[1] :])
    if not hint:
        return match
    part = hint.group("part") or "tonight"
    if part == "morning":
        return match if match.hour == 12 else replace(match, meridiem="am")
    return replace(match, meridiem="pm")


def find_time_in(words: str, outside: tuple[int, int] | None = None) -> TimeMatch | None:
    """`find_time` on text already normalised (spans are offsets into `words`), ignoring any
    match that overlaps `outside` (a date's span: "the 3rd" is no "3")."""
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(words):
            if outside and m.start() < outside[1] and outside[0] < m.end():
                continue
            found = _from_match(kind, m)
            if found is not None:
                return _with_hint(found, words)
    return None


def find_time(text: str) -> TimeMatch | None:
    """The clock time in `text`: "3 pm", "three thirty", "half past two", "noon", "15:00",
    "ten in the morning", "around 10", "ten ish", "first thing in the morning"."""
    return find_time_in(normalise(text))


_WHOLE_PREFIX = re.compile(
    r"^(?:(?:at|around|about|maybe|say|how about|what about|let's say|let's do|can you do|"
    r"can i do|could you do|can we do|could we do|we could do|do you have|i'd say|probably|"
    r"perhaps|make it|any time around|let's go with|i'll take|i'd like|i would like|i can do|"
    r"is|it's)\s+)+"
)
_WHOLE_SUFFIX = re.compile(
    r"(?:\s+(?:please|then|if possible|if you can|works|would work|is fine|is good|"
    r"would be good|would be great|would be fine|is that ok|is that okay))+$"
)


def read_time(text: str) -> TimeMatch | None:
    """A whole answer to "what time?", before AM/PM is settled: a clock time anywhere in the
    answer, or a bare hour ("3", "three", "maybe 4 please") that only counts when it is the
    whole answer."""
    found = find_time(text)
    if found is not None:
        return found
    words = normalise(text)
    bare = _WHOLE_SUFFIX.sub("", _WHOLE_PREFIX.sub("", words)).strip()
    if m := re.fullmatch(r"(\d{1,2}) (\d{2})", bare):
        hour, minute = int(m.group(1)), int(m.group(2))
        if 1 <= hour <= 23 and minute < 60:
            return TimeMatch(hour, minute, None, (0, len(words)))
    hour = _hour(bare)
    if hour is not None and 1 <= hour <= 23:
        return TimeMatch(hour, 0, None, (0, len(words)))
    return None


def first_open(is_open: Callable[[time], bool]) -> time:
    """The earliest time of day (5-minute steps) at which `is_open` is true."""
    for minutes in range(0, 24 * 60, 5):
        candidate = time(minutes // 60, minutes % 60)
        if is_open(candidate):
            return candidate
    return DEFAULT_OPENING


def resolve_time(
    match: TimeMatch, is_open: Callable[[time], bool], opening: time | None = None
) -> time:
    """Turn "3" into 3 PM when the business is open at 3 PM and not at 3 AM (and so on);
    "first thing" into `opening` (or the first time `is_open` allows)."""
    if match.first_thing:
        return opening or first_open(is_open)
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
    # Neither or both: people mean daytime; 1-7 and 12 without "am" are the afternoon.
    return afternoon if 1 <= hour <= 7 or hour == 12 else morning


def parse_time(
    text: str, is_open: Callable[[time], bool], opening: time | None = None
) -> Parsed[time]:
    """A whole answer to "what time?": "3", "three thirty", "2 pm", "noon", "15:00"."""
    found = read_time(text)
    if found is None:
        return Failure("Sorry, I didn't catch the time.")
    return resolve_time(found, is_open, opening)
