"""Spoken names → "Maria De la Cruz", and telling a name from a question or a filler answer.

`parse_name` reads a whole answer to "your name?": the introduction ("my name is", "it's",
"this is", "call me"), fillers and a trailing "here"/"speaking" go; what is left must look like
one to four name words (no digits, no question, no yes/no, greeting or booking words); a new
clause after the name ("jane doe and my email is...") ends it. `find_name` only takes a name the
caller introduces ("hi i'm maria garcia i want a haircut"). Spelling help: "o brien" →
"O'Brien", "mc donald" → "McDonald", "smith dash jones" → "Smith-Jones".

Not here: matching a name against a booking (booking/caller_bookings.py).
"""

from __future__ import annotations

import re

from actions.spoken.words import TENS, UNITS, Failure, Parsed, normalise
from common import cues

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NOT_CAUGHT = "Sorry, I didn't catch your name."
ASKED_A_QUESTION = "Sorry, I need your name for the booking."
MAX_CHARS = 300  # a name and its introduction; a longer answer is read up to here
MAX_NAME_CHARS = 100  # a name itself (a slot value); a longer one is not a name

_COURTESY = (
    r"(?:yes|yeah|yep|sure|ok|okay|hi|hello|hey|there|right|of course|"
    r"good (?:morning|afternoon|evening))"
)
_INTRO = (
    r"(?:my (?:full )?name is|my name's|the name is|the name's|name is|name's|it's|its|it is|"
    r"this is|that's|that is|i'm|i am|im|you can call me|call me|they call me|it's under|"
    r"put it under|under)"
)
_NAME_PREFIX = re.compile(r"^(?:" + _COURTESY + r"\s+)*" + _INTRO + r"\s+")
_COURTESY_ONLY = re.compile(r"^(?:" + _COURTESY + r"\s+)+")
# A letter of any alphabet as said: José Núñez, Zoë, Nguyễn Văn An.
_L = r"[^\W\d_]"
_FIRST_LAST = re.compile(
    rf"\bfirst name is ((?:{_L}|['-])+)\s+(?:and\s+)?(?:my\s+|the\s+)?(?:last name|surname) is "
    rf"((?:{_L}|['\s-])+)"
)
_TRAILING = re.compile(r"(?:\s+(?:here|speaking|please|thanks|thank you|calling|by the way))+$")
_NAME_IN_TEXT = re.compile(
    rf"\b(?:my name is|my name's|this is|i'm|i am|name's)\s+((?:{_L}|['\s-])+)"
)
# What may follow a name in the same answer: "jane doe and my email is ...", "jane i'd like".
_CLAUSE_START = re.compile(
    r"^(?:and|but|my(?= )|i'm|i'd|i'll|i want|i need|i would|i was|email|phone|number|for|"
    r"with|from|calling|speaking|here|please|thanks|thank you|who)\b"
)
_NOT_NAME_WORDS = {
    *"""
    yes yeah yep no nope nah okay ok sure hi hello hey thanks thank you what when where why how
    is are do does can could would a an the and to for at on in of it calling looking wondering
    trying hoping interested just not sorry here fine good great free available want wanna need
    like book booking appointment haircut email my me i i'd i'm hold wait second moment minute
    know don't dunno idea name it's that this there tomorrow today tonight morning afternoon
    evening noon please anything nothing somebody someone nobody cancel reschedule change time
    day date again repeat what's huh pardon excuse new back ready busy late happy glad afraid
    also still really very too actually only bye goodbye or if be we they he she our your with
    about speak talk person human agent operator correct right wrong exactly perfect absolutely
    definitely rather say all everything thing things ahead go else set done later think guess
    mean who from number phone but i'll was alright cheers soon now week month weekend
    """.split(),
    *WEEKDAYS,
    *UNITS,
    *TENS,
}
# Words that are also names ("Lou Noon", "Robin Day", "Ray Person", "Nguyen Thi My"): a name
# part only beside a word that can be nothing else, never alone ("noon", "good day").
_ALSO_NAMES = {
    *"""
    an al day date good seven noon person my else young new late back fine free hold wait
    right still rather soon week ready happy mean rose can do will he
    """.split()
}
_NAME_TOKEN = re.compile(rf"^{_L}(?:{_L}|['-])*$")
_PARTICLES = {"de", "la", "del", "van", "von", "der", "da", "di", "le", "du", "bin"}


def looks_like_question(text: str) -> bool:
    return cues.question_shaped(text)


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


def _joined(tokens: list[str]) -> list[str]:
    """ "o brien" → "o'brien", "mc donald" → "mcdonald", "smith dash jones" → "smith-jones"."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token in ("o", "mc") and following and len(following) > 1:
            out.append(("o'" if token == "o" else "mc") + following)
            i += 2
        elif token in ("dash", "hyphen") and out and following:
            out[-1] += "-" + following
            i += 2
        else:
            out.append(token)
            i += 1
    return out


def _name_tokens(tokens: list[str], limit: int) -> list[str]:
    """The leading tokens that can be a name, stopping where a new clause starts."""
    name: list[str] = []
    for i, token in enumerate(tokens):
        if name and _CLAUSE_START.match(" ".join(tokens[i:])):
            break
        name.append(token)
    return name if len(name) <= limit else []


def _unrepeated(tokens: list[str]) -> list[str]:
    """ "priya priya patel" → "priya patel": a word said twice in a row, as callers restart."""
    return [t for i, t in enumerate(tokens) if i == 0 or t != tokens[i - 1]]


def _is_name(tokens: list[str]) -> bool:
    """Every token name-shaped; the words that are also names only beside a plain name word."""
    if not tokens or any(not _NAME_TOKEN.match(t) for t in tokens):
        return False
    plain = [t for t in tokens if t not in _NOT_NAME_WORDS]
    odd = [t for t in tokens if t in _NOT_NAME_WORDS]
    return bool(plain) and all(t in _ALSO_NAMES for t in odd)


def _strip_intro(words: str) -> str:
    """ "my name is it's priya" → "priya": introductions and courtesies, however many."""
    while True:
        stripped = _NAME_PREFIX.sub("", words, count=1)
        if stripped == words:
            stripped = _COURTESY_ONLY.sub("", words)
        if stripped == words:
            return words
        words = stripped


def parse_name(text: str) -> Parsed[str]:
    """A whole answer to "your name?": prefixes ("my name is", "it's") and fillers stripped."""
    words = normalise(text[:MAX_CHARS])
    if looks_like_question(text):
        return Failure(ASKED_A_QUESTION)
    if m := _FIRST_LAST.search(words):
        words = f"{m.group(1)} {m.group(2)}"
    words = _TRAILING.sub("", _strip_intro(words)).strip()
    if looks_like_question(words):
        return Failure(ASKED_A_QUESTION)
    tokens = _name_tokens(_unrepeated(_joined(words.split())), limit=4)
    if not _is_name(tokens) or len(" ".join(tokens)) > MAX_NAME_CHARS:
        return Failure(NOT_CAUGHT)
    return title_name(tokens)


def find_name(text: str, before: int | None = None) -> tuple[str, tuple[int, int]] | None:
    """A name introduced in passing: "hi i'm maria garcia i want a haircut" → "Maria Garcia".
    `before`: where another value starts (an email: "i'm ann lee, ann@example.com")."""
    words = normalise(text[:MAX_CHARS])
    match = _NAME_IN_TEXT.search(words[:before] if before is not None else words)
    if not match:
        return None
    tokens: list[str] = []
    for token in _unrepeated(match.group(1).split()):
        if not _NAME_TOKEN.match(token) or (
            token in _NOT_NAME_WORDS and not (tokens and token in _ALSO_NAMES)
        ):
            break
        tokens.append(token)
        if len(tokens) == 3:
            break
    if not tokens or len(" ".join(tokens)) > MAX_NAME_CHARS:
        return None
    end = match.start(1) + len(" ".join(tokens))
    return title_name(_joined(tokens)), (match.start(), end)
