"""Spoken or written email addresses → "jane.doe@example.com", or a failure that says what is
missing.

Theory of operation: the utterance is cut into tokens ("@" is a token of its own, so written and
spoken addresses go the same way). From every "at" ("at sign", "@") the local part is read
leftwards and the domain rightwards, one token at a time, by what may follow what: words join
only through "dot", "underscore", "dash"...; single letters join each other ("j o h n"), and
digits join letters or a word before them ("jane two three" → "jane23"). So "my email is maria dot
garcia at example dot com and" gives maria.garcia@example.com, never "myemailismaria...".

Plain words next to each other join only when they must be the address: the utterance answers
"your email?" (`answer=True`), a marker comes just before them ("my email is chris taylor at
gmail dot com" → christaylor@gmail.com), or "all one word" was said. Speech recognition splits
"johnsmith" into "john smith", and dropping "john" would send the confirmation to a stranger.
At most MAX_LOCAL_WORDS plain words join this way, and the stop words ("is", "my", "email"...)
still end the local part. Otherwise only the word next to the "at" is taken ("book me with sam
at 3", "i'm ann lee, ann@example.com"), and a written "ann@" is never joined to words before it.

The limits of RFC 5321 hold (local part 64 characters, domain 253, a label 63); a longer address
is refused, and no side is read past what could fit, so a long utterance costs little. The first
well-formed address wins; otherwise the reason of the most email-like candidate.

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
    yep sure ok okay at of for please just actually sorry no be would should can could you your
    reach contact on in with from by sign symbol here there then am are we our us hi hello alright
    right thing this that think guess mean gonna going put write down got have has had
    """.split()
)
# Just before an address, these say that every word up to the "at" is the address.
_MARKER = re.compile(
    r"(?:\b(?:e-?mail|e mail)(?: address)?|\baddress)"
    r"(?:'s| is| it's| its| would be| will be| should be| is gonna be)$"
    r"|\b(?:e-?mail|e mail)(?: address)?$"
)
MAX_LOCAL_WORDS = 4  # plain words joined without a connector ("john smith at ...")
MAX_LOCAL, MAX_DOMAIN, MAX_LABEL = 64, 253, 63  # characters (RFC 5321)
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
TOO_LONG = "That email address is too long. Could you say it again?"


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


def _kind(tokens: list[_Token], i: int, domain: bool, words_join: bool = False) -> str | None:
    t = tokens[i].text
    if t in (_DOMAIN_CONNECTORS if domain else _CONNECTORS):
        return "conn"
    if t in _MODIFIERS:
        return "mod"
    if len(t) == 1 and t.isalpha():
        if t in ("a", "i") and not (domain or words_join or _spelled(tokens, i)):
            return None  # "is a smith": the article, not a spelled letter (but "asmith" when
            # the words before the "at" are all the address: "my email is a smith at ...")
        return "letter"
    if t.isdigit() or t in _DIGIT_WORDS or ("-" in t and cardinal_value(t) is not None):
        return "digit"
    if domain:
        return "word" if _DOMAIN_WORD.fullmatch(t) else None
    return "word" if _LOCAL_WORD.fullmatch(t) and t not in _STOP else None


def _spelled(tokens: list[_Token], i: int) -> bool:
    """Whether "a" or "i" is a spelled letter: next to another one ("a l i") or to a connector
    ("a dot smith")."""
    near = [tokens[j].text for j in (i - 1, i + 1) if 0 <= j < len(tokens)]
    return any((len(t) == 1 and t.isalnum()) or t in _CONNECTORS for t in near)


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
    ("mod", "word"),
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


def _read(tokens: list[_Token], start: int, step: int, words_join: bool) -> tuple[list[int], bool]:
    """Indices of the local part (step -1, from just before the "at") or the domain (+1), and
    whether reading stopped only because no address that long is allowed. With `words_join`,
    plain words next to each other join too (at most MAX_LOCAL_WORDS without a connector)."""
    domain = step > 0
    allowed = _DOMAIN_STEPS if domain else _LOCAL_STEPS
    # Every token adds at least a character, so this many tokens can only be too long.
    limit = (MAX_DOMAIN if domain else MAX_LOCAL) + 1
    taken: list[int] = []
    previous: str | None = None
    run = 0  # plain words since the last connector
    i = start
    while 0 <= i < len(tokens):
        kind = _kind(tokens, i, domain, words_join)
        joins = (
            (previous, kind) in allowed
            or (
                words_join
                and not domain
                and kind in ("word", "letter", "digit")
                and previous in ("word", "letter", "digit")
            )
            or (
                domain
                and previous == kind == "word"
                and tokens[i - 1].text + tokens[i].text in _PROVIDERS
            )
        )
        if kind is None or not joins:
            break
        if not domain and kind == "word" and run == MAX_LOCAL_WORDS:
            break
        if len(taken) == limit:
            return sorted(taken), True
        run = 0 if kind == "conn" else run + (kind == "word")
        taken.append(i)
        previous = kind
        i += step
    return sorted(taken), False


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
    if (
        len(local) > MAX_LOCAL
        or len(domain) > MAX_DOMAIN
        or any(len(label) > MAX_LABEL for label in domain.split("."))
    ):
        return TOO_LONG
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


def _candidates(text: str, answer: bool) -> list[_Candidate]:
    words = normalise(text)
    tokens, one_word, phrase_ends = _tokens(words)
    found: list[_Candidate] = []
    for k, token in enumerate(tokens):
        if token.text not in ("at", "@"):
            continue
        after = k + 2 if k + 1 < len(tokens) and tokens[k + 1].text in _AT_SUFFIX else k + 1
        local_at, local_cut = _local(words, tokens, k, answer or one_word)
        domain_at, domain_cut = _read(tokens, after, 1, False)
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
        problem = TOO_LONG if local_cut or domain_cut else _problem(local, domain)
        found.append(_Candidate(f"{local}@{domain}", (start, end), problem, email_like))
    return found


def _local(words: str, tokens: list[_Token], at: int, answer: bool) -> tuple[list[int], bool]:
    """The local part before tokens[at]: every plain word up to a stop word when the words are
    an answer or follow a marker, else only the word next to the "at" (see the docstring)."""
    before = at - 1
    written = (
        tokens[at].text == "@" and before >= 0 and tokens[before].span[1] == tokens[at].span[0]
    )
    narrow = _read(tokens, before, -1, False)
    if written:  # "ann@": speech recognition already joined the local part
        return narrow
    wide = _read(tokens, before, -1, True)
    if wide == narrow or not wide[0]:
        return narrow
    if answer or _MARKER.search(words[: tokens[wide[0][0]].span[0]].rstrip()):
        return wide
    return narrow


def find_email(text: str, answer: bool = False) -> tuple[str, tuple[int, int]] | None:
    """The first well-formed email in `text`, written or spoken ("jane dot doe at example dot
    com", "j o h n at example dot com"). `answer`: the text answers "your email?", so the plain
    words before the "at" are all the address ("john smith at ..." → johnsmith@...). Returns the
    address and the span of `normalise(text)` it came from, or None."""
    for candidate in _candidates(text, answer):
        if candidate.problem is None:
            return candidate.address, candidate.span
    return None


def parse_email(text: str) -> Parsed[str]:
    """A whole answer to "your email?": the address, or what is wrong with what was said."""
    candidates = _candidates(text, True)
    for candidate in candidates:
        if candidate.problem is None:
            return candidate.address
    if not candidates:
        return Failure(NOT_CAUGHT)
    likely = [c for c in candidates if c.looks_like_email]
    return Failure(likely[-1].problem or NOT_CAUGHT) if likely else Failure(NOT_CAUGHT)
