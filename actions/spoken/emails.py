"""Spoken or written email addresses → "jane.doe@example.com", or a failure that says what is
missing.

Theory of operation: the utterance is cut into tokens ("@" is a token of its own, so written and
spoken addresses go the same way). From every "at" ("at sign", "@") the local part is read
leftwards and the domain rightwards, one token at a time, by what may follow what: words join
only through "dot", "underscore", "dash"...; single letters join each other ("j o h n"), and
digits join letters or a word before them ("jane two three" → "jane23"). So "my email is maria dot
garcia at example dot com and" gives maria.garcia@example.com, never "myemailismaria...".
"all one word" lets plain words join ("john smith all one word at ..." → johnsmith@...).
The first well-formed address wins; otherwise the reason of the most email-like candidate.

Not here: whether the mailbox exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actions.spoken.words import TENS, UNITS, Failure, Parsed, cardinal_value, normalise

_CONNECTORS = {
    "dot": ".",
    "period": ".",
    "point": ".",
    "underscore": "_",
    "dash": "-",
    "hyphen": "-",
    "plus": "+",
}
_DOMAIN_CONNECTORS = {"dot", "period", "point", "dash", "hyphen"}
_AT_SUFFIX = {"sign", "symbol"}
_ONE_WORD = [
    ("all", "one", "word"),
    ("all", "in", "one", "word"),
    ("one", "word"),
    ("all", "together"),
    ("no", "spaces"),
]
_STOP = set(  # words that end a local part read leftwards ("my email is ...")
    """
    is was my email e-mail emails address it its thats me to the and or under use try send yes yeah
    yep sure ok okay at of for please just actually sorry no be would should will can could you your
    reach contact on in with from by sign symbol here there then am are we our us hi hello
    """.split()
)
_LOCAL_WORD = re.compile(r"[a-z0-9][a-z0-9._%+-]*")  # not "it's" or "i'm"
_DOMAIN_WORD = re.compile(r"[a-z0-9][a-z0-9.-]*")
_DIGIT_WORDS = set(UNITS) | set(TENS) | {"oh"}
_MODIFIERS = {"double", "triple"}

NOT_CAUGHT = "Sorry, I didn't catch an email address."
NO_LOCAL = "I didn't catch the part of the email before the at sign."
NO_DOMAIN = "I didn't catch the part of the email after the at sign."
DOUBLE_DOT = "That email address has two dots in a row."
NO_ENDING = "That email address is missing its ending, like dot com."
MALFORMED = "That email address doesn't look right."


@dataclass(frozen=True)
class _Token:
    text: str
    span: tuple[int, int]


@dataclass(frozen=True)
class _Candidate:
    address: str
    span: tuple[int, int]
    problem: str | None
    looks_like_email: bool  # "jane at", "at example dot com"; not "at 3"


def _kind(tokens: list[_Token], i: int, domain: bool) -> str | None:
    t = tokens[i].text
    if t in (_DOMAIN_CONNECTORS if domain else _CONNECTORS):
        return "conn"
    if t in _MODIFIERS:
        return "mod"
    if len(t) == 1 and t.isalpha():
        if t in ("a", "i") and not domain and not _next_to_single(tokens, i):
            return None  # "is a smith": the article, not a spelled letter
        return "letter"
    if t.isdigit() or t in _DIGIT_WORDS or ("-" in t and cardinal_value(t) is not None):
        return "digit"
    if domain:
        return "word" if _DOMAIN_WORD.fullmatch(t) else None
    return "word" if _LOCAL_WORD.fullmatch(t) and t not in _STOP else None


def _next_to_single(tokens: list[_Token], i: int) -> bool:
    near = [tokens[j].text for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
    return any(len(t) == 1 and t.isalnum() for t in near)


# What may stand next to what, reading away from the "at": (previous kind, this kind).
_LOCAL_STEPS = {
    (None, "word"),
    (None, "letter"),
    (None, "digit"),
    ("conn", "word"),
    ("conn", "letter"),
    ("conn", "digit"),
    ("word", "conn"),
    ("letter", "conn"),
    ("digit", "conn"),
    ("letter", "mod"),
    ("digit", "mod"),
    ("mod", "letter"),
    ("mod", "digit"),
    ("letter", "letter"),
    ("digit", "letter"),
    ("word", "letter"),
    ("letter", "digit"),
    ("digit", "digit"),
    ("digit", "word"),
    ("conn", "conn"),
}
_DOMAIN_STEPS = {
    (None, "word"),
    (None, "letter"),
    (None, "digit"),
    ("conn", "word"),
    ("conn", "letter"),
    ("conn", "digit"),
    ("word", "conn"),
    ("letter", "conn"),
    ("digit", "conn"),
    ("mod", "letter"),
    ("mod", "digit"),
    ("conn", "mod"),
    ("letter", "letter"),
    ("letter", "digit"),
    ("digit", "letter"),
    ("digit", "digit"),
    ("letter", "word"),
    ("conn", "conn"),
}
# Providers that speech recognition splits in two: "hot mail" → hotmail.
_PROVIDERS = {
    "hotmail",
    "outlook",
    "protonmail",
    "icloud",
    "gmail",
    "googlemail",
    "aol",
    "yahoo",
    "comcast",
    "verizon",
    "live",
}


def _read(tokens: list[_Token], start: int, step: int, one_word: bool) -> list[int]:
    """Indices of the local part (step -1, from just before the "at") or the domain (+1)."""
    domain = step > 0
    allowed = _DOMAIN_STEPS if domain else _LOCAL_STEPS
    taken: list[int] = []
    previous: str | None = None
    i = start
    while 0 <= i < len(tokens):
        kind = _kind(tokens, i, domain)
        joins = (
            (previous, kind) in allowed
            or (
                one_word
                and not domain
                and kind == "word"
                and previous in ("word", "digit")
                and len(taken) < 4
            )
            or (
                domain
                and previous == kind == "word"
                and tokens[i - 1].text + tokens[i].text in _PROVIDERS
            )
        )
        if kind is None or not joins:
            break
        taken.append(i)
        previous = kind
        i += step
    return sorted(taken)


def _join(words: list[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(words):
        word, following = words[i], words[i + 1] if i + 1 < len(words) else None
        if word in _CONNECTORS:
            out.append(_CONNECTORS[word])
        elif word in _MODIFIERS and following is not None:
            out.append(_unit(following) * (2 if word == "double" else 3))
            i += 1
        elif word in TENS and following in UNITS and 0 < UNITS[following] < 10:
            out.append(str(TENS[word] + UNITS[following]))
            i += 1
        else:
            out.append(_unit(word))
        i += 1
    return "".join(out)


def _unit(word: str) -> str:
    if word in ("oh", "zero"):
        return "0"
    if word in UNITS:
        return str(UNITS[word])
    if word in TENS or ("-" in word and cardinal_value(word) is not None):
        return str(cardinal_value(word))
    return word


def _problem(local: str, domain: str) -> str | None:
    if not local:
        return NO_LOCAL
    if not domain:
        return NO_DOMAIN
    if ".." in local or ".." in domain:
        return DOUBLE_DOT
    if local[0] in "._-+" or local[-1] == "." or domain[0] in ".-":
        return MALFORMED
    labels = domain.split(".")
    if len(labels) < 2 or not re.fullmatch(r"[a-z]{2,}", labels[-1]):
        return NO_ENDING
    if any(not label or label[0] == "-" or label[-1] == "-" for label in labels):
        return MALFORMED
    return None


def _tokens(words: str) -> tuple[list[_Token], bool, set[int]]:
    """Tokens without the "all one word" phrases; whether one was said; where they ended."""
    raw = [_Token(m.group(0), m.span()) for m in re.finditer(r"@|[^\s@]+", words)]
    kept: list[_Token] = []
    phrase_ends: set[int] = set()
    i = 0
    while i < len(raw):
        for phrase in _ONE_WORD:
            if tuple(t.text for t in raw[i : i + len(phrase)]) == phrase:
                phrase_ends.add(raw[i + len(phrase) - 1].span[1])
                i += len(phrase)
                break
        else:
            kept.append(raw[i])
            i += 1
    return kept, bool(phrase_ends), phrase_ends


def _candidates(text: str) -> list[_Candidate]:
    words = normalise(text)
    tokens, one_word, phrase_ends = _tokens(words)
    found: list[_Candidate] = []
    for k, token in enumerate(tokens):
        if token.text not in ("at", "@"):
            continue
        after = k + 2 if k + 1 < len(tokens) and tokens[k + 1].text in _AT_SUFFIX else k + 1
        local_at = _read(tokens, k - 1, -1, one_word)
        domain_at = _read(tokens, after, 1, one_word)
        local = _join([tokens[i].text for i in local_at])
        domain = _join([tokens[i].text for i in domain_at])
        start = tokens[local_at[0]].span[0] if local_at else token.span[0]
        end = tokens[domain_at[-1]].span[1] if domain_at else tokens[after - 1].span[1]
        following = re.match(
            r"\s*(?:all (?:in )?one word|one word|all together|no spaces)", words[end:]
        )
        if following and end + following.end() in phrase_ends:
            end += following.end()
        email_like = "." in domain or any(c.isalpha() for c in domain) or (local and not domain)
        found.append(
            _Candidate(f"{local}@{domain}", (start, end), _problem(local, domain), email_like)
        )
    return found


def find_email(text: str, answer: bool = False) -> tuple[str, tuple[int, int]] | None:
    """The first well-formed email in `text`, written or spoken ("jane dot doe at example dot
    com", "j o h n at example dot com"). Returns the address and the span of `normalise(text)`
    it came from, or None."""
    for candidate in _candidates(text):
        if candidate.problem is None:
            return candidate.address, candidate.span
    return None


def parse_email(text: str) -> Parsed[str]:
    """A whole answer to "your email?": the address, or what is wrong with what was said."""
    candidates = _candidates(text)
    for candidate in candidates:
        if candidate.problem is None:
            return candidate.address
    if not candidates:
        return Failure(NOT_CAUGHT)
    likely = [c for c in candidates if c.looks_like_email]
    return Failure(likely[-1].problem or NOT_CAUGHT) if likely else Failure(NOT_CAUGHT)
