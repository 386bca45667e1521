"""Spoken-value parsing: what a caller said → a typed value, or a typed failure to say back.

Input is speech-recognition text (lowercase, little punctuation, fillers, numbers as words or
digits). Every function is pure and total: `now`, the timezone and the business's open periods
come in as arguments, and a bad input gives `Failure(reason)`, never an exception. `find_*`
functions look for a value anywhere in an utterance ("all in one breath") and return its span in
`normalise(text)`; `parse_*` functions read a whole answer to a question the assistant just asked.

This module is the public face: the parsers live in one small module per kind of value
(words, dates, times, emails, names) and are re-exported here.
Yes/no, services and date-and-time-in-one-phrase live here.

Not here: whether a time is bookable (scheduling.py) or what to say next (booking/new_booking.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from actions.spoken.dates import MONTHS, WEEKDAYS, DateMatch, find_date, parse_date
from actions.spoken.emails import find_email, parse_email
from actions.spoken.names import find_name, looks_like_question, parse_name, title_name
from actions.spoken.times import (
    TimeMatch,
    find_time,
    find_time_in,
    first_open,
    parse_time,
    read_time,
    resolve_time,
)
from actions.spoken.words import FILLERS, Failure, Parsed, T, normalise

__all__ = [
    "FILLERS",
    "MONTHS",
    "WEEKDAYS",
    "DateMatch",
    "Failure",
    "Parsed",
    "T",
    "TimeMatch",
    "find_date",
    "find_date_time",
    "find_email",
    "find_name",
    "find_service",
    "find_time",
    "first_open",
    "looks_like_question",
    "normalise",
    "parse_date",
    "parse_email",
    "parse_name",
    "parse_time",
    "parse_yes_no",
    "read_time",
    "resolve_time",
    "title_name",
]


# ---------------------------------------------------------------------------- yes / no

_AGREEING_NOISES = re.compile(r"\b(?:uh[ -]huh|mm[ -]hmm|mhm|mm hm|mmhmm|yeah yeah)\b")
_LEAD_IN = re.compile(r"^(?:i mean|i said|and|but|okay so)\s+")
_FIRM_NO = re.compile(
    r"^(?:absolutely not|definitely not|certainly not|of course not|sure not|not really|"
    r"not at all|not yet|not now|no thanks|no thank you|no way|i don't think|i do not think|"
    r"better not|rather not|i'd rather not|that's wrong|that's not right|that is wrong|"
    r"that's incorrect|that's not it|don't|do not|please don't)\b"
)
_UNSURE = re.compile(
    r"^(?:not sure|i'm not sure|im not sure|i don't know|i dont know|don't know|dunno|maybe|"
    r"perhaps|let me think|hold on|hang on|wait|one second|just a second|no problem|"
    r"no worries|i'm not certain|not certain)\b"
)
# "so" is a filler: "i think so" arrives as "i think".
_YES = re.compile(
    r"^(?:yes|yeah|yep|yup|ya|yah|sure|correct|right|ok|okay|alright|all right|absolutely|"
    r"definitely|certainly|of course|perfect|exactly|please do|go ahead|go for it|book it|"
    r"do it|that's right|that is right|that's correct|that is correct|sounds good|"
    r"sounds great|sounds perfect|that works|works for me|that's fine|fine|great|lovely|"
    r"i think$|i guess$|affirmative|you got it|yes please|please)\b"
)
_NO = re.compile(r"^(?:no|nope|nah|naw|not|wrong|incorrect|negative|cancel that)\b")


# Words without which a classifier's yes or no is not believed: "purple" labelled `affirm`
# must not book anything.
_AGREEING_WORD = re.compile(
    r"\b(?:yes|yeah|yep|yup|ya|yah|sure|ok|okay|alright|right|correct|good|great|fine|"
    r"perfect|lovely|please|go|do|book|absolutely|definitely|certainly|course|exactly|works|"
    r"agreed|affirmative|true|indeed|aye|totally|cool|awesome|brilliant|excellent|wonderful|"
    r"whatever)\b"
)
_REFUSING_WORD = re.compile(
    r"\b(?:no|nope|nah|naw|not|don't|dont|never|wrong|incorrect|negative|nothing|cancel|"
    r"stop|isn't|wasn't|won't|nay)\b"
)


def parse_yes_no(text: str, intent: str | None = None) -> bool | None:
    """True for yes, False for no, None when the answer is neither (or both). The classifier's
    `affirm` or `deny` counts when the line holds a word of that kind the patterns missed."""
    answer = _yes_no_in_words(text)
    if answer is not None:
        return answer
    words = normalise((text or "").lower().replace("’", "'"))
    if intent == "affirm" and _AGREEING_WORD.search(words):
        return True
    if intent == "deny" and _REFUSING_WORD.search(words):
        return False
    return None


def _yes_no_in_words(text: str) -> bool | None:
    raw = re.sub(r"[,.!?;]+", " ", (text or "").lower().replace("’", "'"))
    words = normalise(_AGREEING_NOISES.sub("yes", raw))
    words = _LEAD_IN.sub("", words)
    if _UNSURE.search(words):
        return None
    if _FIRM_NO.search(words):
        return False
    yes, no = bool(_YES.search(words)), bool(_NO.search(words))
    return yes if yes != no else None


# ---------------------------------------------------------------------------- date and time

_PART_OF_DAY = re.compile(r"(?<!good )\b(morning|afternoon|evening|tonight|night)\b")


def find_date_time(text: str, today: date) -> tuple[DateMatch | None, TimeMatch | None]:
    """The day and the time in one phrase: "next tuesday at 3", "friday morning around ten",
    "tomorrow afternoon at 2", "thursday at half past four". The time is looked for outside the
    date's words (so "the 3rd" is no time), and a part of the day anywhere in the phrase settles
    AM/PM when the time itself does not ("friday morning, can you do ten" → 10 AM)."""
    words = normalise(text)
    found_date = find_date(text, today)
    found_time = find_time_in(words, outside=found_date.span if found_date else None)
    if found_time is not None and found_time.meridiem is None and not found_time.first_thing:
        part = _PART_OF_DAY.search(words)
        if part and 1 <= found_time.hour <= 12:
            morning = part.group(1) == "morning"
            if not (morning and found_time.hour == 12):
                found_time = replace(found_time, meridiem="am" if morning else "pm")
    return found_date, found_time


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
