"""What the assistant just offered, and the caller's pick from it (pure).

When the assistant lists times ("The first free times are 9 AM, 9:15 AM or 10:45 AM.") or days
("The nearest open days are ..."), callers answer relative to the list: "the first one", "the
earliest", "the 9:15 one", "that one", "the one on friday", "yes", "anything later?". The list
is kept in the `last_offer` slot (JSON, local wall times) until the day or the service changes,
a new list is offered, or the form ends; `pick` reads an answer against it. The same ordinal
reading serves the choice between a caller's proved bookings (caller_bookings.choose_turn).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from actions.spoken import parsing

OFFER_SLOT = "last_offer"
TIMES, DAYS = "times", "days"
MAX_ITEMS = 12  # a slot value read back from the tracker is bounded like any input
WHICH = "Which of those would you like?"

# "the first one", "the earliest", "the second option", "the last of those"; never "the first
# of december" or "the first week" (dates).
_ORDINAL_WORDS = {
    "first": 0,
    "1st": 0,
    "earliest": 0,
    "soonest": 0,
    "earlier": 0,
    "second": 1,
    "2nd": 1,
    "middle": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "last": -1,
    "latest": -1,
    "later": -1,
}
_NOUNS = {"one", "ones", "time", "times", "slot", "option", "day", "appointment", "booking"}
_POLITE = {"please", "thanks", "thank", "you", "then", "for", "me", "i", "guess", "think"}
_CALENDAR_WORDS = {*parsing.WEEKDAYS, *parsing.MONTHS}
# Alone, these pick too ("earliest please"); "later" alone asks for more (below).
_STANDALONE = {"earliest", "soonest", "latest"}
_MOVE = re.compile(
    r"\b(?:(?:anything|something|nothing|any|a time|times?|slots?|one)\s+(?:a (?:bit|little) )?"
    r"(later|earlier)|(later|earlier) than (?:that|those|them)|(later|earlier) (?:on|in the day)"
    r"|^(later|earlier)(?: (?:please|then|maybe))?$)"
)
# Never "that day" or "that time": "what do you have that day?" asks for the list again.
_THAT_ONE = re.compile(
    r"\b(?:that one|that(?:'ll| will) (?:do|work)|i'll take (?:it|that)|take that"
    r"|that's good|that's fine|that works|sounds good)\b"
)


@dataclass(frozen=True)
class Offer:
    """The last list said to the caller: local wall datetimes (times) or dates (days), in the
    order they were said."""

    kind: str
    items: tuple[datetime | date, ...]

    def to_slot(self) -> str:
        return json.dumps({"kind": self.kind, "items": [i.isoformat() for i in self.items]})

    @classmethod
    def from_slot(cls, value: object) -> Offer | None:
        """The slot's value, or None when it is absent or not one of ours."""
        if not isinstance(value, str) or len(value) > 2000:
            return None
        try:
            raw = json.loads(value)
            kind, items = raw["kind"], raw["items"][:MAX_ITEMS]
            if kind == TIMES:
                parsed = tuple(datetime.fromisoformat(i).replace(tzinfo=None) for i in items)
            elif kind == DAYS:
                parsed = tuple(date.fromisoformat(i) for i in items)
            else:
                return None
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(kind, parsed) if parsed else None


def of_times(starts: Sequence[datetime]) -> Offer | None:
    """An offer of aware or local starts, kept as local wall times."""
    items = tuple(s.replace(tzinfo=None, second=0, microsecond=0) for s in starts[:MAX_ITEMS])
    return Offer(TIMES, items) if items else None


def of_days(days: Sequence[date]) -> Offer | None:
    return Offer(DAYS, tuple(days[:MAX_ITEMS])) if days else None


@dataclass(frozen=True)
class Pick:
    """The caller's answer read against an offer: one item, "which one?", or more of them."""

    item: datetime | date | None = None
    ask_which: bool = False
    move: str | None = None  # "later" | "earlier": the caller wants times past the offer


def ordinal_index(text: str) -> int | None:
    """ "the first one" → 0, "the last of those" → -1, "earliest please" → 0; None otherwise
    ("wednesday the second", "the first of december" and "first thing" are no picks)."""
    words = parsing.normalise(text).split()
    for position, word in enumerate(words):
        if word not in _ORDINAL_WORDS:
            continue
        before = words[position - 1] if position else ""
        after = words[position + 1 :]
        prior = [w for w in words[:position] if w != "the"][-1:]
        if prior and prior[0] in _CALENDAR_WORDS or (after and after[0] in _CALENDAR_WORDS):
            continue  # a date
        of_those = after[:2] in (["of", "those"], ["of", "them"], ["of", "these"])
        named = bool(after) and after[0] in _NOUNS or of_those
        if word in ("later", "earlier"):
            if named:
                return _ORDINAL_WORDS[word]
            continue  # "a bit later" asks for more, it picks nothing
        if after and after[0] == "of" and not of_those:
            continue  # "the first of the month"
        alone = all(w in _POLITE for w in after)
        if named or (alone and (before in ("the", "that") or word in _STANDALONE)):
            return _ORDINAL_WORDS[word]
    return None


def wants_more(text: str) -> str | None:
    """ "anything later?" → "later", "something earlier" → "earlier", else None."""
    match = _MOVE.search(parsing.normalise(text))
    if not match:
        return None
    return next(g for g in match.groups() if g)


def _day_of(item: datetime | date) -> date:
    return item.date() if isinstance(item, datetime) else item


def pick(text: str, offer: Offer | None, today: date, intent: str | None = None) -> Pick | None:
    """What `text` picks from `offer`, or None when it is no answer to the list (a new value,
    a question, a no: the form reads it as usual)."""
    if offer is None or not text:
        return None
    items = offer.items
    if offer.kind == TIMES and (said := parsing.find_time(text)) is not None:
        hour = said.hour % 12
        same = [
            i
            for i in items
            if isinstance(i, datetime)
            and i.hour % 12 == hour
            and i.minute == said.minute
            and (said.meridiem is None or (i.hour >= 12) == (said.meridiem == "pm"))
        ]
        found = parsing.find_date(text, today)
        if found and isinstance(found.value, date):
            same = [i for i in same if _day_of(i) == found.value]
        return Pick(same[0]) if len(same) == 1 else None
    found = parsing.find_date(text, today)
    index = ordinal_index(text)
    if offer.kind == DAYS and found and parsing.find_time(text) is not None:
        return None  # "saturday at 2": a day and a time, read as usual
    if found and isinstance(found.value, date) and index is None:
        same = [i for i in items if _day_of(i) == found.value]
        if len(same) == 1:
            return Pick(same[0])
        return Pick(ask_which=True) if same and offer.kind == TIMES and len(same) > 1 else None
    if index is not None:
        return Pick(items[index]) if -len(items) <= index < len(items) else Pick(ask_which=True)
    if direction := wants_more(text):
        return Pick(move=direction)
    if _THAT_ONE.search(parsing.normalise(text)) or parsing.parse_yes_no(text, intent) is True:
        return Pick(items[0]) if len(items) == 1 else Pick(ask_which=True)
    return None
