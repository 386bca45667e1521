"""The turn rule every bot turn of the end-to-end tests obeys: no sentence said twice in one turn,
and at most three sentences in the turn (a Gemini answer's cap included).

A caller on the phone cannot scroll back: a turn that says a thing twice, or says five things,
loses them. The rule is a pure function of the turn's text; `tests/e2e/servers.py`
(`Assistant.say`, REST) and `tests/e2e/conftest.py` (every `SimulatedCall` response, the socket)
apply it to every turn the tests hear.

`TURN_RULE_REPORT=<file>` records violations (one JSON object a line: the test, the caller's
line, what the bot said, the rule) instead of raising, so that one run lists every violation of
a test file rather than the first of each test.
"""

from __future__ import annotations

import json
import os
import re

MAX_SENTENCES = 3

# Abbreviations whose period never ends a sentence: titles stand before a name.
TITLES = frozenset({"dr", "mr", "mrs", "ms", "mx", "prof", "st", "mt", "ft", "sr", "jr"})
# Abbreviations whose period ends a sentence only when a capital follows ("at 9 a.m. on Friday"
# goes on; "open until 6 p.m. Call us" does not).
SOFT = frozenset({"a.m", "p.m", "e.g", "i.e", "etc", "vs", "approx", "incl", "ave", "no"})

# A terminator run (". ", "? ", "!", "...", '." ', ".) ") followed by whitespace or the end.
_END = re.compile(r"[.?!]+[\"'”’)\]]*(?=\s|$)")


def _word_before(text: str, end: int) -> str:
    """The word that the terminator at `end` closes, lower-cased, without its last period."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].lower().lstrip("(\"'“‘")


def sentences(text: str) -> list[str]:
    """`text` split into sentences: after ".", "?" or "!" followed by a space or the end.

    A period inside a token ("9.50", "jane@example.com") is not followed by a space, and so
    splits nothing; neither do a title's ("Dr. Lee") nor a lower-case word after "a.m." or
    "e.g.". Spelled letters and digits ("K 7 P 2 Q", "J A N E") hold no terminator.
    """
    found: list[str] = []
    start = 0
    for match in _END.finditer(text):
        word = _word_before(text, match.start())
        if match.group().startswith(".") and match.group().rstrip("\"'”’)]") == ".":
            if word in TITLES:
                continue
            if word in SOFT:
                following = text[match.end() :].lstrip()
                if following and not following[0].isupper():
                    continue
        piece = text[start : match.end()].strip()
        if piece:
            found.append(piece)
        start = match.end()
    rest = text[start:].strip()
    if rest:
        found.append(rest)
    return found


def _key(sentence: str) -> str:
    """What makes two sentences the same sentence: the words, whatever the case, spacing and final
    punctuation."""
    return " ".join(sentence.casefold().rstrip(".?!\"'”’) ").split())


def violations(text: str) -> list[str]:
    """The rules `text`, one bot turn, breaks; empty when it obeys."""
    said = sentences(text)
    broken = []
    seen: set[str] = set()
    for sentence in said:
        key = _key(sentence)
        if key in seen:
            broken.append(f"the sentence {sentence!r} is said twice in one turn")
        seen.add(key)
    if len(said) > MAX_SENTENCES:
        broken.append(f"{len(said)} sentences in one turn (at most {MAX_SENTENCES})")
    return broken


def check_turn(text: str, caller: str | None = None) -> None:
    """Raise AssertionError naming the turn and the rule when the bot turn `text` (the answer to
    the caller's line `caller`) breaks the turn rule; with `TURN_RULE_REPORT` set, record it."""
    broken = violations(text)
    if not broken:
        return
    report = os.environ.get("TURN_RULE_REPORT")
    if report:
        entry = {
            "test": os.environ.get("PYTEST_CURRENT_TEST", "").removesuffix(" (call)"),
            "caller": caller,
            "bot": text,
            "rules": broken,
        }
        with open(report, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
        return
    raise AssertionError(
        f"turn rule broken: {'; '.join(broken)}\n  caller: {caller!r}\n  bot: {text!r}"
    )
