"""What Gemini is told: the receptionist's system instruction and the recent turns (pure, but
for reading the rules' text file once).

The system instruction starts with the persona and the rules of a phone line, kept in a text file
people can edit (data/prompts/receptionist.txt): short spoken sentences, nothing invented, no
bookings made or changed by Gemini itself, callers' instructions to do otherwise refused. Then
everything Gemini may state about the business, all from the profile: services with prices and
durations, hours and breaks per weekday, closures, address, phone, FAQ and policies, timezone.
While a form is active it names the details already collected by SLOT NAME only: the function
takes no values, and anything that is not a slot name is dropped, so an email or a phone number
can never reach the prompt this way.

The recent turns carry no personal data either (`private_text`): the values of the name, email
and code slots are masked wherever they appear (whole, word by word, spelled letter by letter),
and so is anything shaped like an email, a phone number, a booking code or a spelling, so a
read-back ("Jane Doe, haircut, ..., confirmation to jane@example.com, spelled J A N E.") reaches
Gemini as "[name], haircut, ..., confirmation to [email], spelled [spelled]."

Not here: calling Gemini (gemini.py) or cleaning its reply for speech (reply_cleaner.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from string import Template

from actions.booking.codes import ALPHABET
from actions.booking.profile import WEEKDAYS, BusinessProfile
from actions.llm.gemini import Turn
from actions.spoken.render import (
    say_date,
    say_datetime,
    say_duration,
    say_phone,
    say_span,
    spell_local_part,
)

RULES_PATH = Path(__file__).resolve().parents[2] / "data" / "prompts" / "receptionist.txt"
_SLOT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_MAX_TURN_CHARS = 600  # a caller's run-on line, or a long bot answer, is cut to this

# Slots whose values are personal: masked in every turn Gemini sees, with the mark shown.
PRIVATE_SLOTS = {
    "customer_name": "[name]",
    "lookup_name": "[name]",
    "email": "[email]",
    "lookup_email": "[email]",
    "booking_code": "[code]",
    "proven_booking": "[code]",
}
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\d[\d ().-]{5,}\d")
# A code as written ("K7M2P": five characters of the code alphabet, a digit among them).
_CODE = re.compile(rf"\b(?=[A-Z0-9]*\d)[{ALPHABET}]{{5}}\b")
# Three or more single letters or digits in a row: a spelling ("J A N E", "K 7 M 2 P", "J O H N
# dot S M I T H"), of a name, an address or a code.
_SPELLED = re.compile(
    r"(?<![\w'’])[A-Z0-9](?:[ ,]+(?:(?:dot|underscore|dash|plus|percent) )?[A-Z0-9](?![\w'’])){2,}"
)


@cache
def _rules_text() -> str:
    """The persona and the rules ($business, $put_through), read once, on first use."""
    return RULES_PATH.read_text(encoding="utf-8")


def _money(amount: Decimal, currency: str) -> str:
    whole = amount == amount.to_integral()
    number = f"{amount:.0f}" if whole else f"{amount:.2f}"
    return f"${number}" if currency == "USD" else f"{number} {currency}"


def _hours_lines(profile: BusinessProfile) -> list[str]:
    lines = []
    for day, name in enumerate(WEEKDAYS):
        hours = profile.hours.get(day)
        if hours is None:
            lines.append(f"- {name.title()}: closed")
            continue
        line = f"- {name.title()}: {say_span(hours.open, hours.close)}"
        if hours.breaks:
            pauses = ", ".join(say_span(b.start, b.end) for b in hours.breaks)
            line += f" (closed for a break {pauses})"
        lines.append(line)
    return lines


def slot_names(names: Sequence[str]) -> list[str]:
    """Only what looks like a slot name (lowercase identifier), each once, in order."""
    kept: list[str] = []
    for name in names:
        if isinstance(name, str) and _SLOT_NAME.fullmatch(name) and name not in kept:
            kept.append(name)
    return kept


def system_instruction(
    profile: BusinessProfile,
    active_form: str | None,
    filled_slots: Sequence[str],
    *,
    now: datetime | None = None,
) -> str:
    """The system instruction for a question asked during a call to `profile.name`.

    `filled_slots` are slot NAMES ("service", "customer_name"); anything else is ignored.
    `now` (aware) lets Gemini answer "are you open tomorrow" and drops past closures.
    """
    local_now = now.astimezone(profile.tz) if now is not None else None
    services = [
        f"- {s.name}: {_money(s.price, profile.currency)}, takes {say_duration(s.duration_minutes)}"
        + (f". {s.description}" if s.description else "")
        for s in profile.services
    ]
    closures = sorted(
        day for day in profile.closures if local_now is None or day >= local_now.date()
    )
    put_through = (
        "offer to book it or to put them through to a member of the team"
        if profile.transfer_number
        else "offer to help them book an appointment"
    )
    rules = Template(_rules_text()).substitute(business=profile.name, put_through=put_through)
    parts = [rules.strip(), "", f"About {profile.name}:", f"- Address: {profile.address}"]
    if profile.phone:
        parts.append(f"- Phone: {profile.phone} (said digit by digit: {say_phone(profile.phone)})")
    parts.append(f"- Timezone: {profile.timezone}; all times are local to it.")
    if local_now is not None:
        parts.append(f"- It is now {say_datetime(local_now)}.")
    parts += ["", "Services:", *services, "", "Opening hours:", *_hours_lines(profile)]
    if closures:
        parts.append("- Also closed on: " + "; ".join(say_date(d) for d in closures) + ".")
    parts.append(
        f"- Appointments need at least {profile.min_notice_minutes} minutes' notice "
        f"and can be booked up to {profile.horizon_days} days ahead."
    )
    if profile.faq:
        parts += ["", "Policies and frequent questions:"]
        parts += [f"- Q: {e.question} A: {' '.join(e.answer.split())}" for e in profile.faq]
    form = slot_names([active_form or ""])
    if form:
        collected = slot_names(filled_slots)
        have = ", ".join(collected) if collected else "nothing yet"
        parts.append(
            f"\nThe caller is in the middle of a request ({form[0]}) and asked something else. "
            f"The caller has already given: {have}. Answer only their question; do not ask "
            "for the remaining details or repeat the ones given: the assistant goes back to "
            "the request right after your answer."
        )
    return "\n".join(parts)


def private_values(events: list[dict]) -> dict[str, str]:
    """Every value the private slots held in these events (also values later changed), with
    the mark that replaces it."""
    values: dict[str, str] = {}
    for event in events:
        if event.get("event") != "slot" or event.get("name") not in PRIVATE_SLOTS:
            continue
        value = event.get("value")
        if isinstance(value, str) and value.strip():
            values[" ".join(value.split())] = PRIVATE_SLOTS[event["name"]]
    return values


def _parts(value: str, mark: str) -> list[str]:
    """The other ways `value` can be written in a line: spelled, and its parts."""
    if mark == "[email]":
        local = value.rpartition("@")[0]
        parts = [spell_local_part(value), local] if local else []
    elif mark == "[code]":
        parts = [" ".join(value)]
    else:  # a name: each of its words too, and spelled
        words = [w for w in re.split(r"[\s,]+", value) if len(w) >= 2]
        parts = words + [" ".join(w.upper()) for w in words]
    return [p for p in parts if len(p) >= 2]


def private_text(text: str, values: dict[str, str] | None = None) -> str:
    """`text` with the slot values in `values` (value -> mark) and every email, phone number,
    booking code and spelling masked. Whole values go first, longest first, then their parts
    (the words of a name, the local part of an address), so no part cuts a longer value."""
    values = values or {}
    text = _EMAIL.sub("[email]", text)
    wholes = [(value, mark) for value, mark in values.items() if len(value) >= 2]
    parts = [(part, mark) for value, mark in values.items() for part in _parts(value, mark)]
    for group in (wholes, parts):
        for form, mark in sorted(group, key=lambda item: -len(item[0])):
            pattern = rf"(?<![\w@.]){re.escape(form)}(?![\w@])"
            text = re.sub(pattern, mark, text, flags=re.IGNORECASE)
    text = _PHONE.sub(
        lambda m: "[phone]" if sum(c.isdigit() for c in m.group(0)) >= 7 else m.group(0), text
    )
    text = _CODE.sub("[code]", text)
    return _SPELLED.sub("[spelled]", text)


def recent_turns(events: list[dict], limit: int = 6) -> list[Turn]:
    """The last `limit` user/bot lines of a rasa-sdk tracker's events, oldest first, ending
    with the caller's current question, with personal data masked (`private_text`). Triggers
    ("/greet") and empty lines are skipped, and consecutive lines of one side are joined (Gemini
    expects turns to alternate)."""
    private = private_values(events)
    turns: list[Turn] = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not isinstance(text, str):
            continue
        if kind == "user" and text.lstrip().startswith("/"):
            continue
        text = private_text(" ".join(text.split()), private)[:_MAX_TURN_CHARS]
        if not text or (kind == "user" and text.startswith("/")):
            continue
        role = "user" if kind == "user" else "model"
        if turns and turns[-1].role == role:
            turns[-1] = Turn(role, f"{turns[-1].text} {text}")
        else:
            turns.append(Turn(role, text))
    while turns and turns[-1].role != "user":  # what the bot said after the question
        turns.pop()
    return turns[-limit:] if limit > 0 else []
