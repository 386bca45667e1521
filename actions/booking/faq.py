"""Answers to questions about the business, matched against the profile at run time (pure).

Services, hours, address and the FAQ come from `data/business.yml` when the question is asked,
so editing the profile changes the answers without retraining. This is the no-key answer of the
fallback action; a later Gemini backend gets the same profile as context.
"""

from __future__ import annotations

import re
from decimal import Decimal

from actions.booking.profile import BusinessProfile
from actions.spoken import parsing
from actions.spoken.render import say_duration, say_time

_STOP = set(
    """
    a an the is are do does you your i can what how it to of for in on there any me my we have be
    and or will would could should much about with at this that if um uh so like just get need want
    know tell please hi
    """.split()
)
_HOURS = re.compile(r"\b(open|opening|close|closing|closed|hours|what time)\b")
_WHERE = re.compile(r"\b(where|address|located|location|directions|find you)\b")
_PRICE = re.compile(r"\b(how much|price|prices|cost|costs|charge|expensive|cheap)\b")
_SERVICES = re.compile(r"\b(services|what do you (?:do|offer)|treatments|menu)\b")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _money(amount: Decimal) -> str:
    return f"${amount:.0f}" if amount == amount.to_integral() else f"${amount:.2f}"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z']+", text.lower()) if w not in _STOP and len(w) > 2}


def hours_sentence(profile: BusinessProfile, weekday: int | None = None) -> str:
    days = [weekday] if weekday is not None else range(7)
    parts = []
    for day in days:
        hours = profile.hours.get(day)
        name = _WEEKDAYS[day].title()
        if hours is None:
            parts.append(f"closed on {name}s" if weekday is not None else "")
            continue
        parts.append(f"{name} {say_time(hours.open)} to {say_time(hours.close)}")
    parts = [p for p in parts if p]
    if weekday is not None:
        text = parts[0]
        return f"We're {text}." if text.startswith("closed") else f"We're open {text}."
    closed = [_WEEKDAYS[d].title() + "s" for d in range(7) if profile.hours.get(d) is None]
    tail = f" We're closed on {' and '.join(closed)}." if closed else ""
    return "Our hours are " + ", ".join(parts) + "." + tail


def answer(profile: BusinessProfile, question: str, service_names: dict[str, str]) -> str | None:
    """The profile's answer to `question`, or None when the profile does not say."""
    words = parsing.normalise(question)
    mentioned = parsing.find_service(words, service_names)
    if mentioned:
        service = profile.service(mentioned[0])
        if service is not None:
            article = "An" if service.name[0].lower() in "aeiou" else "A"
            return (
                f"{article} {service.name.lower()} is {_money(service.price)} and takes "
                f"{say_duration(service.duration_minutes)}. {service.description}"
            )
    if _SERVICES.search(words) or (_PRICE.search(words) and not mentioned):
        listed = ", ".join(f"{s.name.lower()} {_money(s.price)}" for s in profile.services)
        return f"We offer {listed}."
    if _WHERE.search(words) and profile.address:
        return f"We're at {profile.address}."
    if _HOURS.search(words):
        day = next((i for i, name in enumerate(_WEEKDAYS) if name in words), None)
        return hours_sentence(profile, day)
    asked = _words(words)
    best, best_score = None, 0
    for entry in profile.faq:
        score = len(asked & _words(entry.question)) * 2 + len(asked & _words(entry.answer))
        if score > best_score:
            best, best_score = entry, score
    return best.answer if best is not None and best_score >= 2 else None
