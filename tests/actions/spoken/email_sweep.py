"""Generated email addresses, said the way speech recognition writes them: the email sweep's cases.

Deterministic (a seeded `random.Random`), no external data: names from the lists below, local
parts in the shapes people use (first.last, firstlast, jsmith, initials, digits, underscores,
dashes), common providers and business domains (subdomains, co dot uk), then said with "dot",
"underscore", "dash", spelled letters ("j o h n"), digits as words or numerals, words split
where the address has none ("john smith at gmail dot com" for johnsmith@gmail.com), providers
as recognisers split them ("hot mail", "g mail"), around the words callers put before and after
an address. Used by tests/actions/spoken/test_email_sweep.py (the parser) and
tests/e2e/test_email_sweep.py (the live bot).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEED = 20261201
COUNT = 320

FIRST = """
    john mary james linda robert susan michael karen david lisa daniel nancy paul sandra mark
    donna steven carol kevin ashley brian emily jason megan eric rachel ryan laura jacob amy
    gary anna nick helen peter grace tom olivia sam emma luke chloe adam sophia ben nora carlos
    maria jose sofia ahmed fatima wei mei raj priya omar leila ivan olga kenji yuki diego lucia
    will ann jo
""".split()
LAST = """
    smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez
    gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris
    clark lewis robinson walker young allen king wright scott torres nguyen hill flores green
    adams nelson baker hall rivera campbell mitchell carter roberts patel chen kim singh
    ivanova tanaka silva costa murphy kelly oconnor fischer weber novak
""".split()
PROVIDERS = [
    ("gmail.com", ["gmail dot com", "g mail dot com", "gmail.com"]),
    ("yahoo.com", ["yahoo dot com", "yahoo.com"]),
    ("yahoo.co.uk", ["yahoo dot co dot uk"]),
    ("outlook.com", ["outlook dot com", "outlook.com"]),
    ("hotmail.com", ["hotmail dot com", "hot mail dot com"]),
    ("icloud.com", ["icloud dot com", "i cloud dot com"]),
    ("aol.com", ["aol dot com", "a o l dot com"]),
    ("protonmail.com", ["protonmail dot com", "proton mail dot com"]),
    ("live.com", ["live dot com"]),
    ("comcast.net", ["comcast dot net"]),
]
BUSINESS = """
    acme northwind brightsmile bluesky riverside summit greenleaf oakridge harbor pinecrest
    silverline redwood sunrise lakeside keystone
""".split()
SUFFIXES = [
    ("com", "dot com"),
    ("net", "dot net"),
    ("org", "dot org"),
    ("io", "dot io"),
    ("co.uk", "dot co dot uk"),
    ("edu", "dot edu"),
    ("us", "dot us"),
]
SUBDOMAINS = ["mail", "mx", "staff", "cs", "email"]
# What callers put around the address, answering "What email address should I send the
# confirmation to?". "{}" is the address.
SAID = [
    "{}",
    "{}",
    "{}",
    "it's {}",
    "it's {}",
    "yeah it's {}",
    "sure it's {}",
    "um it's {}",
    "my email is {}",
    "my email is {}",
    "yes my email is {}",
    "the email is {}",
    "my e-mail address is {}",
    "email's {}",
    "you can send it to {}",
    "{} thanks",
    "{} thank you",
    "okay {}",
    "Yeah, it's {}.",
    "It's {}.",
]
UNITS = "zero one two three four five six seven eight nine".split()
TEENS = """ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen
    nineteen""".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


@dataclass(frozen=True)
class Case:
    said: str  # what speech recognition hands the bot
    address: str  # what the caller meant


def _number(rng: random.Random) -> str:
    return rng.choice(
        [
            str(rng.randint(1, 9)),
            str(rng.randint(1, 9)) * 2,
            str(rng.randint(10, 99)),
            str(rng.randint(1960, 2010)),
            f"{rng.randint(0, 9)}{rng.randint(0, 9)}{rng.randint(0, 9)}",
        ]
    )


def _say_number(digits: str, rng: random.Random) -> str:
    """ "85" → "85", "8 5", "eight five" or "eighty five"; "07" → "oh seven" or "zero seven"."""
    style = rng.choice(["numerals", "spaced", "digit words", "pairs", "double"])
    if style == "numerals":
        return digits
    if style == "double" and len(digits) == 2 and digits[0] == digits[1] != "0":
        return f"double {UNITS[int(digits[0])]}"
    if style == "spaced":
        return " ".join(digits)
    if style == "pairs" and len(digits) in (2, 4) and digits[0] != "0" and digits[-2] != "0":
        return " ".join(_pair(digits[i : i + 2]) for i in range(0, len(digits), 2))
    zero = rng.choice(["zero", "oh"])
    return " ".join(zero if d == "0" else UNITS[int(d)] for d in digits)


def _pair(two: str) -> str:
    n = int(two)
    if n < 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 10]
    tens, unit = divmod(n, 10)
    return TENS[tens] if unit == 0 else f"{TENS[tens]} {UNITS[unit]}"


def _spell(word: str) -> str:
    return " ".join(word)


def _word(word: str, rng: random.Random, spell: float = 0.15) -> str:
    """A name as said: whole, or spelled letter by letter now and then."""
    return _spell(word) if rng.random() < spell else word


def _local(rng: random.Random) -> tuple[str, str]:
    """(local part, as said)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    shape = rng.choice(
        [
            "first.last",
            "first.last",
            "firstlast",
            "firstlast",
            "firstlast",
            "first_last",
            "first-last",
            "flast",
            "flast",
            "first",
            "first+digits",
            "first+digits",
            "firstlast+digits",
            "first.last+digits",
            "f.last",
            "firstl",
            "initials+digits",
            "last.first",
            "firstmiddlelast",
        ]
    )
    if shape == "first.last":
        return f"{first}.{last}", f"{_word(first, rng)} dot {_word(last, rng)}"
    if shape == "last.first":
        return f"{last}.{first}", f"{_word(last, rng)} dot {_word(first, rng)}"
    if shape == "firstlast":
        return first + last, f"{_word(first, rng)} {_word(last, rng)}"
    if shape == "first_last":
        return f"{first}_{last}", f"{_word(first, rng)} underscore {_word(last, rng)}"
    if shape == "first-last":
        return f"{first}-{last}", f"{_word(first, rng)} dash {_word(last, rng)}"
    if shape == "flast":
        said = rng.choice([f"{first[0]} {last}", _spell(first[0] + last)])
        return first[0] + last, said
    if shape == "f.last":
        return f"{first[0]}.{last}", f"{first[0]} dot {_word(last, rng)}"
    if shape == "firstmiddlelast":
        middle = rng.choice(FIRST)
        return first + middle + last, f"{first} {middle} {last}"
    if shape == "firstl":
        return first + last[0], f"{_word(first, rng)} {last[0]}"
    if shape == "first":
        return first, _word(first, rng, spell=0.3)
    digits = _number(rng)
    said_digits = _say_number(digits, rng)
    if shape == "first+digits":
        return first + digits, f"{_word(first, rng)} {said_digits}"
    if shape == "firstlast+digits":
        return f"{first}{last}{digits}", f"{first} {last} {said_digits}"
    if shape == "first.last+digits":
        return f"{first}.{last}{digits}", f"{first} dot {last} {said_digits}"
    initials = first[0] + last[0]
    return initials + digits, f"{_spell(initials)} {said_digits}"


def _domain(rng: random.Random) -> tuple[str, str]:
    """(domain, as said)."""
    kind = rng.random()
    if kind < 0.6:
        domain, said = rng.choice(PROVIDERS)
        return domain, rng.choice(said)
    name = rng.choice(BUSINESS)
    suffix, said_suffix = rng.choice(SUFFIXES)
    if kind < 0.75:
        sub = rng.choice(SUBDOMAINS)
        return f"{sub}.{name}.{suffix}", f"{sub} dot {name} {said_suffix}"
    if kind < 0.85:
        other = rng.choice([w for w in BUSINESS if w != name])
        return f"{name}-{other}.{suffix}", f"{name} dash {other} {said_suffix}"
    return f"{name}.{suffix}", f"{name} {said_suffix}"


def cases(count: int = COUNT, seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    out: list[Case] = []
    seen: set[str] = set()
    while len(out) < count:
        local, said_local = _local(rng)
        domain, said_domain = _domain(rng)
        address = f"{local}@{domain}"
        if address in seen:
            continue
        seen.add(address)
        if rng.random() < 0.08 and "." in said_domain.replace(" dot ", ""):
            spoken = f"{said_local} at {said_domain}"  # "john smith at gmail.com"
        elif rng.random() < 0.08:
            spoken = address  # the recogniser wrote the address itself
        else:
            at = rng.choice(["at", "at", "at", "at", "at sign"])
            spoken = f"{said_local} {at} {said_domain}"
        if rng.random() < 0.05:
            spoken = spoken.replace(" dot ", " period ", 1)
        if rng.random() < 0.25:  # recognisers capitalise names and brands now and then
            spoken = " ".join(w.capitalize() if len(w) > 3 else w for w in spoken.split(" "))
        out.append(Case(rng.choice(SAID).format(spoken), address))
    return out
