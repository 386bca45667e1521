"""Spoken phone numbers → E.164 ("+14155551234"), checked with `phonenumbers`.

Theory of operation: the utterance is cut into runs of number tokens: digits ("415", "555-1234",
"(415)"), digit words ("four one five"), groups ("five fifty five", "eight hundred"), "double
five", "triple two", "oh"/"o" as zero, with "area code", "dash" and a leading "plus" allowed
inside. Each run's digits are parsed with the business's country (ISO code, "US") as default, or
as international after "plus"; a run with too many digits is retried without its first tokens
("at two four one five ..." → the number after "two"). A number counts only if
`phonenumbers.is_valid_number` says so. Fictional 555-01xx numbers need no special case: the
metadata (phonenumbers 8.x/9.x) accepts 555 exchanges in valid area codes, and a number in a
non-existent area code (555-555-1234) is refused like any other invalid number.

Not here: reading a number back (speech.say_phone) or trusting the caller id (the connector).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult

from actions.spoken_words import TENS, UNITS, ZEROS, Failure, Parsed, digits_from_words, normalise

NOT_CAUGHT = "Sorry, I didn't catch a phone number."
TOO_SHORT = "That number seems to be missing some digits."
NO_AREA_CODE = "That number seems to be missing some digits: could you include the area code?"
TOO_LONG = "That number seems to have too many digits."
BAD_COUNTRY = "I don't recognise that country code."
INVALID = "That doesn't sound like a valid phone number."
MIN_DIGITS = 7  # fewer digits in a row are a time, a count or a day, not a phone number

_NUMBER_WORDS = set(UNITS) | set(TENS) | ZEROS | {"double", "triple", "hundred", "thousand"}
_GLUE = {"dash", "hyphen", "then"}
MIN_HEARD = 3  # a shorter run ("the one i'm calling from") is no attempt at a number


@dataclass(frozen=True)
class _Piece:
    words: tuple[str, ...]  # phone words: digits and number words
    span: tuple[int, int]


@dataclass(frozen=True)
class _Run:
    plus: bool
    pieces: tuple[_Piece, ...]
    start: int  # where the run's span starts ("plus" and "area code" included)
    area_code: bool = False  # introduced by "area code": the rest may follow in the next run

    def digits(self, skip: int = 0) -> str | None:
        return digits_from_words([w for p in self.pieces[skip:] for w in p.words])

    def span(self, skip: int = 0) -> tuple[int, int]:
        start = self.start if skip == 0 else self.pieces[skip].span[0]
        return start, self.pieces[-1].span[1]


def _phone_words(token: str) -> tuple[str, ...] | None:
    parts = [p for p in re.split(r"[-.()]", token) if p]
    if parts and all(p.isdigit() or p in _NUMBER_WORDS for p in parts):
        return tuple(parts)
    return None


def _runs(words: str) -> list[_Run]:
    tokens = [(m.group(0), m.span()) for m in re.finditer(r"\S+", words)]
    runs: list[_Run] = []
    pieces: list[_Piece] = []
    plus, start, area_code = False, None, False
    i = 0

    def close() -> None:
        nonlocal pieces, plus, start, area_code
        if pieces:
            runs.append(_Run(plus, tuple(pieces), start if start is not None else 0, area_code))
        pieces, plus, start, area_code = [], False, None, False

    while i < len(tokens):
        text, span = tokens[i]
        if text.startswith("+") and len(text) > 1 and not pieces:
            text, span = text[1:], (span[0] + 1, span[1])
            plus, start = True, span[0] - 1
        if (phone := _phone_words(text)) is not None:
            start = span[0] if start is None else start
            pieces.append(_Piece(phone, span))
        elif text == "plus" and not pieces:
            close()
            plus, start = True, span[0]
        elif text == "area" and i + 1 < len(tokens) and tokens[i + 1][0] == "code":
            close()
            start, area_code = span[0], True
            i += 1
            if i + 1 < len(tokens) and tokens[i + 1][0] == "is":
                i += 1
        elif text in _GLUE and pieces:
            pass
        else:
            close()
        i += 1
    close()
    return runs


def _number(digits: str, plus: bool, country: str) -> str | Failure:
    try:
        number = phonenumbers.parse(
            ("+" if plus else "") + digits, None if plus else country.upper()
        )
    except NumberParseException as error:
        return Failure(
            {
                NumberParseException.INVALID_COUNTRY_CODE: BAD_COUNTRY,
                NumberParseException.TOO_LONG: TOO_LONG,
            }.get(error.error_type, TOO_SHORT)
        )
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return Failure(
        {
            ValidationResult.IS_POSSIBLE_LOCAL_ONLY: NO_AREA_CODE,
            ValidationResult.TOO_SHORT: TOO_SHORT,
            ValidationResult.TOO_LONG: TOO_LONG,
            ValidationResult.INVALID_COUNTRY_CODE: BAD_COUNTRY,
        }.get(phonenumbers.is_possible_number_with_reason(number), INVALID)
    )


def _with_area_codes(runs: list[_Run]) -> list[_Run]:
    """ "area code four one five and the number is five five five ...": the two runs joined,
    tried before each alone."""
    out: list[_Run] = []
    for run, following in zip(runs, runs[1:] + [None]):
        if run.area_code and following is not None and not following.plus:
            out.append(_Run(run.plus, run.pieces + following.pieces, run.start))
        out.append(run)
    return out


def find_phone(text: str, country: str) -> tuple[str, tuple[int, int]] | None:
    """The first valid phone number in `text` ("my number is four one five, five five five, one
    two three four"), as E.164 with the span of `normalise(text)` it came from, or None."""
    for run in _with_area_codes(_runs(normalise(text))):
        for skip in range(len(run.pieces)):
            digits = run.digits(skip)
            if digits is None or len(digits) < MIN_DIGITS:
                break
            value = _number(digits, run.plus and skip == 0, country)
            if isinstance(value, str):
                return value, run.span(skip)
    return None


def parse_phone(text: str, country: str) -> Parsed[str]:
    """A whole answer to "your phone number?": E.164, or what is wrong with the number heard."""
    if found := find_phone(text, country):
        return found[0]
    runs = [(run, run.digits()) for run in _with_area_codes(_runs(normalise(text)))]
    runs = [(run, digits) for run, digits in runs if digits and len(digits) >= MIN_HEARD]
    if not runs:
        return Failure(NOT_CAUGHT)
    run, digits = max(runs, key=lambda r: len(r[1]))
    value = _number(digits, run.plus, country)
    return value if isinstance(value, Failure) else Failure(INVALID)
