"""Masking of personal data for log lines: emails and phone numbers never reach a log in clear.

`mask_email("jane.doe@example.com") == "j***@e***.com"`, `mask_phone("+14155550123") ==
"+1******0123"`; `scrub(text)` masks every email and phone-like number inside free text, for
log lines that must quote what a caller said.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-])[A-Za-z0-9.-]*?(\.[A-Za-z]{2,})\b")
# Seven or more digits, possibly separated by spaces, dots, dashes or brackets, optional "+".
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")


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
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
