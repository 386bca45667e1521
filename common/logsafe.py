"""Masking of personal data for log lines: emails and phone numbers never reach a log in clear.

`mask_email("jane.doe@example.com") == "j***@e***.com"`, `mask_phone("+14155550123") ==
"+1******0123"`; `scrub(text)` masks every email and phone-like number inside free text, for
log lines that must quote what a caller said.

`install()` makes that the rule for a whole process: every log record is scrubbed when it is made,
whoever logs it (Rasa, Sanic, SQLAlchemy, a driver's error quoting a statement's values, a
Python warning) and whichever handler writes it. The Rasa server gets it when it loads our
channel or tracker store, the action server and the outbox sender at start.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

_EMAIL = re.compile(
    r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-])[A-Za-z0-9.-]*?(\.[A-Za-z]{2,})\b"
)
# A run of digits with the separators phone numbers are written with (spaces, dots, dashes,
# brackets, a leading "+"), not starting inside a longer token (ids, uuids, hosts, paths) nor at
# an ISO date. The run is always taken whole: `_mask_phone_like` decides on it, so a number is
# never masked in part, and a number that is not a phone number (a count, a size: "Text of length
# 1000024") is not masked at all.
_PHONE = re.compile(r"(?<![\w./+-])(?!\d{4}-\d\d-\d\d)\+?\d[\d ().-]*\d")
_DECIMAL = re.compile(r"\d+\.\d+")


def mask_email(email: str | None) -> str:
    if not email:
        return ""
    masked = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}***{m.group(3)}", email)
    return masked if masked != email else "***"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "***"
    prefix = "+" + digits[:1] if phone.strip().startswith("+") else ""
    shown = digits[-4:]
    hidden = len(digits) - len(shown) - (1 if prefix else 0)
    return f"{prefix}{'*' * hidden}{shown}"


def scrub(text: str | None) -> str:
    """Mask emails and phone numbers wherever they appear in `text`."""
    if not text:
        return ""
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}***{m.group(3)}", text)
    return _PHONE.sub(_mask_phone_like, text)


def _mask_phone_like(match: re.Match[str]) -> str:
    number = match.group(0)
    glued = match.string[match.end() : match.end() + 1]
    if glued and (glued.isalnum() or glued in "_/"):  # the digits of a longer token, an id
        return number
    digits = sum(c.isdigit() for c in number)
    if digits < 7 or digits > 15 or _DECIMAL.fullmatch(number):  # counts, timings (E.164: ≤ 15)
        return number
    if number.isdigit() and digits < 10:  # a bare count or size, not a number to dial
        return number
    return mask_phone(number)


_RecordFactory = Callable[..., logging.LogRecord]


def _scrubbed_record_factory(base: _RecordFactory) -> _RecordFactory:
    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        # The factory runs only for records a logger lets through, so disabled debug lines cost
        # nothing. Scrubbing here, not in a handler, also covers handlers added later.
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: left to logging's own error report
            return record
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set: the traceback's text is scrubbed once, here.
            record.exc_text = scrub(_FORMATTER.formatException(record.exc_info))
        return record

    make.scrubs = True  # type: ignore[attr-defined]
    return make


_FORMATTER = logging.Formatter()


def install() -> None:
    """Scrub every log record this process makes from now on (idempotent), Python warnings
    included: they go through logging (`py.warnings`), so a warning quoting a caller's text (Rasa
    warns with the message it could not parse) is masked like any other line."""
    logging.captureWarnings(True)
    current = logging.getLogRecordFactory()
    if not getattr(current, "scrubs", False):
        logging.setLogRecordFactory(_scrubbed_record_factory(current))
