"""Speech-recognition text, the common ground of the value parsers: `Failure`, `normalise` and
number words ("twenty one", "oh five", "double five", "third").

Retell hands us lowercase text with little punctuation, fillers ("um", "uh") and numbers as words
or digits. Nothing here knows what a date, a time or an email is (dates.py, times.py, emails.py,
names.py); parsing.py is the public face of all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """A value could not be read; `reason` is a short sentence fit to be spoken."""

    reason: str


Parsed = T | Failure

FILLERS = {"um", "uh", "er", "erm", "hmm", "uhm", "ah", "oh", "well", "like", "so"}

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ZEROS = {"oh", "o", "nought", "naught"}  # "zero" is in UNITS
_NUMBERISH = set(UNITS) | set(TENS) | ZEROS | {"double", "triple", "hundred", "thousand"}

_ORDINAL_UNITS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
}
ORDINALS = {
    **_ORDINAL_UNITS,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
    **{f"twenty {w}": 20 + n for w, n in _ORDINAL_UNITS.items()},
    **{f"twenty-{w}": 20 + n for w, n in _ORDINAL_UNITS.items()},
    "thirty first": 31,
    "thirty-first": 31,
}


def is_numberish(token: str) -> bool:
    return token in _NUMBERISH or any(c.isdigit() for c in token)


def normalise(text: str | None) -> str:
    """Lowercase, punctuation that speech recognition adds removed, fillers dropped.

    "oh" is a filler ("oh i'm jane") except among numbers, where it is a zero: "ten oh five",
    "four one five oh one two"; so it stays when a number comes before it, or two after it.
    """
    text = (text or "").lower().replace("’", "'")
    text = re.sub(r"[,!?;]+", " ", text)
    text = re.sub(r"\.(?=\s|$)", " ", text)  # sentence dots, not the ones inside emails
    tokens = text.split()
    kept = []
    for i, word in enumerate(tokens):
        if word == "oh":
            before = i > 0 and is_numberish(tokens[i - 1])
            after = tokens[i + 1 : i + 3]
            if before or (len(after) == 2 and all(is_numberish(t) for t in after)):
                kept.append(word)
            continue
        if word not in FILLERS:
            kept.append(word)
    return " ".join(kept)


def word_pattern(words) -> str:
    """A regex alternation of `words`, longest first, so "twenty first" beats "twenty"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _cardinal_pattern() -> str:
    """A cardinal from 0 to 99 as words ("twenty one", "twenty-one", "seven") or digits."""
    units = word_pattern(k for k in UNITS if UNITS[k] < 10 and k != "zero")
    return (
        r"(?:(?:" + word_pattern(TENS) + r")(?:[ -](?:" + units + r"))?"
        r"|" + word_pattern(UNITS) + r"|\d{1,2})"
    )


CARDINAL = _cardinal_pattern()
ORDINAL = r"(?:\d{1,2}(?:st|nd|rd|th)|" + word_pattern(ORDINALS) + ")"


def cardinal_value(token: str) -> int | None:
    """ "twenty one" / "twenty-one" / "21" / "seven" → the number (0-99), else None."""
    token = token.strip().replace("-", " ")
    if token.isdigit():
        return int(token)
    parts = token.split()
    if len(parts) == 1:
        return UNITS.get(parts[0], TENS.get(parts[0]))
    if len(parts) == 2 and parts[0] in TENS and UNITS.get(parts[1], 10) < 10:
        return TENS[parts[0]] + UNITS[parts[1]]
    return None


def day_number(token: str) -> int | None:
    """ "third" / "3rd" / "3" / "twenty first" / "twenty one" → the day of the month."""
    token = " ".join(token.split())
    if token in ORDINALS:
        return ORDINALS[token]
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", token)
    if match:
        return int(match.group(1))
    return cardinal_value(token)


def say_ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def digits_from_words(tokens: list[str]) -> str | None:
    """Number words read as the digits a caller dictates: "two three" → "23", "twenty three" →
    "23", "double five" → "55", "oh" → "0", "eight hundred" → "800", "four fifteen" → "415".

    Every token must be a number word or digits (hyphens between words allowed); else None.
    """
    out: list[str] = []
    repeat = 1
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in ("double", "triple"):
            if repeat != 1 or following is None:
                return None
            repeat = 2 if token == "double" else 3
            i += 1
            continue
        if token.isdigit():
            group = token
        elif token in ZEROS:
            group = "0"
        elif token in UNITS:
            group = str(UNITS[token])
            if following in ("hundred", "thousand") and 0 < UNITS[token] < 10:
                zeros = 2 if following == "hundred" else 3
                rest = _hundred_rest(tokens, i + 2) if following == "hundred" else None
                if rest is not None:
                    group, i = group + rest[0], rest[1]
                else:
                    group, i = group + "0" * zeros, i + 1
        elif token in TENS:
            group = str(TENS[token])
            if following in UNITS and 0 < UNITS[following] < 10:
                group, i = str(TENS[token] + UNITS[following]), i + 1
        else:
            return None
        if repeat > 1:
            if len(group) != 1:
                return None
            group, repeat = group * repeat, 1
        out.append(group)
        i += 1
    return "".join(out) if out and repeat == 1 else None


def _hundred_rest(tokens: list[str], i: int) -> tuple[str, int] | None:
    """After "four hundred": "fifteen" → ("15", index), "twenty one" → ("21", index), else None."""
    if i >= len(tokens):
        return None
    token = tokens[i]
    if token in ("and",) and i + 1 < len(tokens):
        i, token = i + 1, tokens[i + 1]
    if token in UNITS and UNITS[token] >= 10:  # "four hundred fifteen"; "eight hundred five
        return str(UNITS[token]), i  # five five..." is 800 then digits
    if token in TENS:
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if following in UNITS and 0 < UNITS[following] < 10:
            return str(TENS[token] + UNITS[following]), i + 1
        return str(TENS[token]), i
    return None
