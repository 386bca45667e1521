"""Booking confirmation codes: short, random, and easy to say and hear over the phone.

A code is `length` characters (default 5) from an alphabet of uppercase letters and digits that
leaves out the characters a caller confuses when reading or hearing them: 0/O, 1/I/L.
`new_code()` draws one; `normalise_code()` turns what a caller said or typed back into a code.

This module is pure: it does not check that a code exists (the store does that) and it does not
guarantee uniqueness (the store's unique index does, retrying on a collision).
"""

from __future__ import annotations

import re
import secrets
from typing import Protocol

# 23 letters + 8 digits = 31 symbols; 31**5 ≈ 28.6 million codes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_LENGTH = 5

# Speech-to-text sometimes writes digits as words. Only words for digits in the alphabet.
_DIGIT_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
# Runs of letters/digits, any script: "é" stays in its piece and fails the alphabet check.
_TOKEN = re.compile(r"[^\W_]+")


class _Chooser(Protocol):
    def choice(self, seq: str) -> str: ...


def new_code(length: int = DEFAULT_LENGTH, rng: _Chooser = secrets) -> str:
    """A random code, e.g. "K7P2Q". `rng` is anything with `choice` (`random.Random(seed)` in
    tests); the default is the `secrets` module, so codes cannot be guessed from earlier ones."""
    if length < 1:
        raise ValueError(f"expected a code length of at least 1, got {length}")
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def normalise_code(text: str | None, length: int = DEFAULT_LENGTH) -> str | None:
    """What a caller said or typed → the code, or None when it cannot be one.

    "k 7 p 2 q", "k7-p2q", "K.7.P.2.Q" and "k seven p two q" all give "K7P2Q". Anything but
    letters and digits separates pieces and is ignored; case does not matter. A digit word
    counts as a digit only among several pieces: a lone "three" is the code THREE, not "3".
    Anything with a letter or digit outside the alphabet (0, O, 1, I, L, "é") or of the wrong
    length is None; there is no guessing which character was meant.
    """
    if not text:
        return None
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    if len(tokens) > 1:
        tokens = [_DIGIT_WORDS.get(token.lower(), token) for token in tokens]
    code = "".join(tokens).upper()
    if len(code) != length or any(char not in ALPHABET for char in code):
        return None
    return code
