"""The booking form's brain, as pure functions: one caller turn → slot updates and lines to say.

`extract` reads every value the caller gave in one utterance (several at once, any order);
`decide` validates them against the business's rules and the calendar's occupancy and says why a
value is refused, with the nearest free times. The Rasa glue (`booking_form.py`) fetches the
occupancy and turns the result into events; nothing here does I/O, so tests need no server.

Contract with Rasa's FormAction: the result always carries the requested slot (set to None when
refused), because a form whose validation returns nothing for the requested slot hands the turn
to other policies — the original product's "lost booking" bug.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from actions.booking import offers, scheduling
from actions.booking.offers import Offer
from actions.booking.profile import BusinessProfile
from actions.spoken import parsing
from actions.spoken.parsing import Failure
from actions.spoken.render import say_date, say_time, spell_local_part
from common import cues

VALUE_SLOTS = ("service", "customer_name", "email", "booking_date", "booking_time")
CONFIRM_SLOT = "booking_confirmed"
# A read-back's question not answered: the apology, then the question alone (not the read-back).
NO_ANSWER = "Sorry, I didn't catch a yes or a no."
CHANGE_SLOT = "booking_change_pending"
LABELS = {
    "service": "the service",
    "customer_name": "your name",
    "email": "the email address",
    "booking_date": "the day",
    "booking_time": "the time",
}
_FIELD_WORDS = {
    "service": r"service|treatment",
    "customer_name": r"name",
    "email": r"e-?mail|address",
    "booking_date": r"day|date",
    "booking_time": r"time|hour",
}


@dataclass(frozen=True)
class FormState:
    """The booking form's slots, typed."""

    requested: str | None = None
    service: str | None = None
    customer_name: str | None = None
    email: str | None = None
    booking_date: date | None = None
    booking_time: time | None = None
    confirmed: bool | None = None
    change_pending: bool = False
    offer: Offer | None = None  # the last times or days said to the caller

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> FormState:
        def as_date(value: Any) -> date | None:
            try:
                return date.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                return None

        def as_time(value: Any) -> time | None:
            try:
                return time.fromisoformat(value) if value else None
            except (TypeError, ValueError):
                return None

        return cls(
            requested=slots.get("requested_slot"),
            service=slots.get("service"),
            customer_name=slots.get("customer_name"),
            email=slots.get("email"),
            booking_date=as_date(slots.get("booking_date")),
            booking_time=as_time(slots.get("booking_time")),
            confirmed=slots.get(CONFIRM_SLOT),
            change_pending=bool(slots.get(CHANGE_SLOT)),
            offer=Offer.from_slot(slots.get(offers.OFFER_SLOT)),
        )


@dataclass(frozen=True)
class Extraction:
    """What one utterance contained."""

    values: dict[str, Any] = field(default_factory=dict)  # slot → typed value
    failures: dict[str, str] = field(default_factory=dict)  # slot → reason to say
    yes_no: bool | None = None
    field_named: str | None = None  # "change the time" → "booking_time"
    time_match: parsing.TimeMatch | None = None  # meridiem resolved once the day is known
    pick: offers.Pick | None = None  # an answer read against the last offer


@dataclass(frozen=True)
class TurnResult:
    updates: dict[str, Any]  # slot name → value as stored in the tracker (ISO strings)
    say: tuple[str, ...] = ()
    # A list said (or asked about) in this turn: it becomes the last offer, and the question
    # that follows is short ("Which of those would you like?").
    offer: Offer | None = None


def service_names(profile: BusinessProfile) -> dict[str, str]:
    names: dict[str, str] = {}
    for service in profile.services:
        names[service.name.lower()] = service.name
        for alias in service.aliases:
            names[alias.lower()] = service.name
    return names


def extract(
    state: FormState, text: str, intent: str | None, profile: BusinessProfile, now: datetime
) -> Extraction:
    """Every value in `text`. The requested slot also gets a whole-answer reading
    ("jane doe" is a name only because we asked for one)."""
    values: dict[str, Any] = {}
    failures: dict[str, str] = {}
    requested = state.requested
    today = now.date()
    consumed: list[tuple[int, int]] = []

    chosen = offers.pick(text, state.offer, today, intent)
    # A pick answers a question about the day or the time; a form starting on a line that
    # picks from the free times just told ("i'll take the 9:15") books that one.
    if chosen and (requested in OFFER_ANSWERS or (requested is None and chosen.item)):
        return _picked(chosen)
    yes_no = parsing.parse_yes_no(text, intent)
    if requested == "customer_name" and not cues.cued_intents(text) and yes_no is None:
        # Slot first: a name-shaped answer to the name question is the name, whatever else
        # its words could be ("Lou Noon", "Robin Day", "Gene May").
        name = parsing.parse_name(text)
        if isinstance(name, str):
            return Extraction({"customer_name": name}, {}, None, None, None)
    if found := parsing.find_service(text, service_names(profile)):
        values["service"] = found[0]
        consumed.append(found[1])
    email_start = None
    if found := parsing.find_email(text, answer=requested == "email"):
        values["email"] = found[0]
        consumed.append(found[1])
        email_start = found[1][0]
    if found := parsing.find_name(text, before=email_start):
        values["customer_name"] = found[0]
        consumed.append(found[1])
    if date_match := parsing.find_date(text, today):
        if isinstance(date_match.value, Failure):
            failures["booking_date"] = date_match.value.reason
        else:
            values["booking_date"] = date_match.value
        consumed.append(date_match.span)
    time_match = parsing.find_time(text)
    if time_match:
        consumed.append(time_match.span)

    if requested in VALUE_SLOTS and requested not in values and requested not in failures:
        rest = _without(parsing.normalise(text), consumed)
        whole = _parse_whole(requested, text, rest, profile, now)
        if isinstance(whole, Failure):
            if not (requested == "booking_time" and time_match):
                failures[requested] = whole.reason
        elif whole is not None:
            if requested == "booking_time" and isinstance(whole, parsing.TimeMatch):
                time_match = whole
            else:
                values[requested] = whole

    field_named = None
    words = parsing.normalise(text)
    for slot, pattern in _FIELD_WORDS.items():
        if re.search(rf"\b(?:{pattern})\b", words):
            field_named = slot
            break
    return Extraction(values, failures, yes_no, field_named, time_match)


# The questions a list of times or days answers.
OFFER_ANSWERS = ("booking_date", "booking_time")


def _picked(chosen: offers.Pick) -> Extraction:
    """An answer to the last offer: the item it names (a time also names its day)."""
    item = chosen.item
    if isinstance(item, datetime):
        hour = item.hour % 12 or 12
        meridiem = "pm" if item.hour >= 12 else "am"
        match = parsing.TimeMatch(hour, item.minute, meridiem, (0, 0))
        return Extraction({"booking_date": item.date()}, time_match=match, pick=chosen)
    if isinstance(item, date):
        return Extraction({"booking_date": item}, pick=chosen)
    return Extraction(pick=chosen)


def _without(words: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        words = words[:start] + " " + words[end:]
    return " ".join(words.split())


def _parse_whole(slot: str, text: str, rest: str, profile: BusinessProfile, now: datetime) -> Any:
    if slot == "customer_name":
        # Only what is left once the other values are taken out: "tomorrow" is no name.
        return parsing.parse_name(rest) if rest else Failure("Sorry, I didn't catch your name.")
    if slot == "email":
        return parsing.parse_email(text)
    if slot == "booking_date":
        return parsing.parse_date(text, now.date(), now)
    if slot == "booking_time":
        return parsing.read_time(text) or Failure("Sorry, I didn't catch the time.")
    if slot == "service":
        return Failure("Sorry, I didn't catch which service.")
    return None


def duration_of(profile: BusinessProfile, service: str | None) -> int:
    found = profile.service(service) if service else None
    return found.duration_minutes if found else profile.slot_minutes


def _is_open_on(profile: BusinessProfile, day: date | None):
    hours = profile.hours.get(day.weekday()) if day else None

    def is_open(t: time) -> bool:
        if day is None:  # no day yet: any weekday's hours will do to pick AM or PM
            periods = [p for h in profile.hours.values() if h for p in h.open_periods()]
        else:
            periods = list(hours.open_periods()) if hours else []
        return any(p.start <= t < p.end for p in periods)

    return is_open


def say_start(start: datetime, today: date) -> str:
    when = say_time(start.timetz().replace(tzinfo=None))
    if start.date() == today:
        return f"today at {when}"
    return f"{say_date(start.date())} at {when}"


def say_starts(starts: Sequence[datetime], day: date | None, today: date) -> str:
    """ "9 AM, 9:15 AM or 10:45 AM": the starts on `day` by their time, the others with their
    day ("Thursday, December 3rd at 10 AM")."""
    spoken = [
        say_time(s.time()) if s.date() == day else say_start(s, today)
        for s in starts
        if isinstance(s, datetime)
    ]
    return spoken[0] if len(spoken) == 1 else ", ".join(spoken[:-1]) + " or " + spoken[-1]


def offer_update(state: FormState, result: TurnResult) -> dict[str, str | None]:
    """The last offer after this turn: a new list replaces it; a new day or service (or a
    service or day the caller picked) makes it stale."""
    if result.offer is not None:
        return {offers.OFFER_SLOT: result.offer.to_slot()}
    changed = any(
        slot in result.updates and result.updates[slot] != current
        for slot, current in (
            ("booking_date", state.booking_date.isoformat() if state.booking_date else None),
            ("service", state.service),
        )
    )
    return {offers.OFFER_SLOT: None} if changed and state.offer else {}


def _but(reason: str, alternative: str) -> str:
    """A refusal and what to do instead, as one sentence: a turn holds at most three."""
    if not alternative.startswith("I "):
        alternative = alternative[0].lower() + alternative[1:]
    return f"{reason.rstrip('.')}, but {alternative}"


def _alternatives(
    profile: BusinessProfile,
    start: datetime,
    duration: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
    day: date,
) -> tuple[str, Offer | None]:
    """The nearest free starts, said in time order (so "the first one" is the earliest)."""
    options = sorted(
        scheduling.nearest_free_starts(profile, start, duration, now, occupancy, limit=3)
    )
    if not options:
        return "I don't have anything free in the next two weeks.", None
    return f"I can do {say_starts(options, day, now.date())}.", offers.of_times(options)


def _full_day(day: date, today: date) -> str:
    return "We're fully booked today." if day == today else f"{say_date(day)} is fully booked."


def _open_days(
    profile: BusinessProfile,
    day: date,
    duration: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
) -> tuple[str, Offer | None]:
    """The nearest days with a free start for `duration`, for a closed or full day."""
    found = scheduling.nearest_open_days(profile, day, duration, now, occupancy, limit=2)
    if not found:
        return "I don't have anything free in the next two weeks.", None
    spoken = [say_date(d) for d in found]
    listed = spoken[0] if len(spoken) == 1 else " and ".join(spoken)
    noun = "day is" if len(found) == 1 else "days are"
    return f"The nearest open {noun} {listed}.", offers.of_days(found)


def later_or_earlier(
    profile: BusinessProfile,
    offer: Offer | None,
    direction: str,
    duration: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
) -> tuple[str, Offer | None]:
    """ "anything later?": the next free starts after the last one offered (or before the
    first), that day first, then the days after."""
    times = sorted(i for i in (offer.items if offer else ()) if isinstance(i, datetime))
    if not times:
        return "", None
    edge = times[-1] if direction == "later" else times[0]
    day = edge.date()
    same_day = [
        s.replace(tzinfo=None)
        for s in scheduling.free_starts(profile, day, duration, now, occupancy)
    ]
    if direction == "later":
        found = [s for s in same_day if s > edge][:3]
        if not found:
            after = datetime.combine(day + timedelta(days=1), time(0), tzinfo=profile.tz)
            found = [
                s.replace(tzinfo=None)
                for s in scheduling.nearest_free_starts(profile, after, duration, now, occupancy)
            ]
    else:
        found = [s for s in same_day if s < edge][-3:]
    if not found:
        nothing = "later" if direction == "later" else "earlier"
        return f"I don't have anything {nothing} than that, sorry.", None
    found = sorted(found)
    return f"I can also do {say_starts(found, day, now.date())}.", offers.of_times(found)


def decide(
    state: FormState,
    found: Extraction,
    profile: BusinessProfile,
    now: datetime,
    occupancy: Mapping[datetime, int],
) -> TurnResult:
    """Validate what was extracted and say what is wrong; see the module docstring."""
    updates: dict[str, Any] = {}
    say: list[str] = []
    values = dict(found.values)

    if state.requested == CONFIRM_SLOT:
        changed = {k: v for k, v in values.items() if getattr(state, k) != v}
        if not changed and found.time_match is None:
            if found.yes_no is True and not state.change_pending:
                return TurnResult({CONFIRM_SLOT: True, CHANGE_SLOT: False})
            if found.field_named:
                return TurnResult({found.field_named: None, CONFIRM_SLOT: None, CHANGE_SLOT: False})
            if found.yes_no is False:
                return TurnResult({CONFIRM_SLOT: None, CHANGE_SLOT: True})
            if state.change_pending:
                return TurnResult({CONFIRM_SLOT: None, CHANGE_SLOT: True})
            return TurnResult({CONFIRM_SLOT: None}, (NO_ANSWER,))

    if found.pick is not None and found.pick.item is None:
        slot = state.requested or "booking_time"
        if found.pick.ask_which:
            # "yes" to several: the question that follows is "Which of those would you like?"
            return TurnResult({slot: None}, (), offer=state.offer)
        line, offer = later_or_earlier(
            profile,
            state.offer,
            found.pick.move or "later",
            duration_of(profile, state.service),
            now,
            occupancy,
        )
        return TurnResult({slot: None}, (line,) if line else (), offer=offer)

    new = replace(state)
    offer: Offer | None = None
    for slot in ("service", "customer_name", "email"):
        if slot in values:
            new = replace(new, **{slot: values[slot]})
            updates[slot] = values[slot]

    day = values.get("booking_date", new.booking_date)
    duration = duration_of(profile, new.service)
    if "booking_date" in values:
        asked = values["booking_date"]
        closed = scheduling.day_closed_reason(profile, asked)
        horizon = now.date() + timedelta(days=profile.horizon_days)
        if asked > horizon:
            say.append(f"We only book up to {profile.horizon_days} days ahead.")
            updates["booking_date"], day = None, None
        elif closed or not scheduling.free_starts(profile, asked, duration, now, occupancy):
            # A closed or full day is answered with the nearest days that have room.
            reason = closed.message if closed else _full_day(asked, now.date())
            days, offer = _open_days(profile, asked, duration, now, occupancy)
            say.append(_but(reason, days) if offer else f"{reason} {days}")
            updates["booking_date"], day = None, None
        else:
            updates["booking_date"] = asked.isoformat()
        new = replace(new, booking_date=day)

    chosen = new.booking_time
    if found.time_match is not None:
        chosen = parsing.resolve_time(found.time_match, _is_open_on(profile, day))
        updates["booking_time"] = chosen.strftime("%H:%M")
    if (
        day is not None
        and chosen is not None
        and (found.time_match is not None or "booking_date" in updates or "service" in updates)
    ):
        start = datetime.combine(day, chosen, tzinfo=profile.tz)
        problem = scheduling.check_start(profile, start, duration, now, occupancy)
        if problem is not None:
            alternatives, offer = _alternatives(profile, start, duration, now, occupancy, day)
            say.append(_but(problem.message, alternatives) if offer else problem.message)
            updates["booking_time"] = None

    # "no wait, make it thursday" at the time question answers something else: no apology for
    # the time, the question comes again.
    took_other = any(updates.get(slot) is not None for slot in VALUE_SLOTS)
    for slot, reason in found.failures.items():
        if slot not in updates and (slot == state.requested or slot == "booking_date"):
            if not (slot == state.requested and took_other):
                say.append(reason)
            updates[slot] = None
    if state.requested in VALUE_SLOTS and state.requested not in updates:
        if not took_other and not say:
            say.append(f"Sorry, I didn't catch {LABELS[state.requested]}.")
        updates[state.requested] = None

    if any(slot in updates for slot in VALUE_SLOTS):
        updates.setdefault(CONFIRM_SLOT, None)
        updates[CHANGE_SLOT] = False
    return TurnResult(updates, tuple(say), offer=offer)


def read_back(state: FormState, today: date) -> str:
    """ "Jane Doe, haircut, Wednesday, December 9th at 2 PM, confirmation to jane@example.com,
    spelled J A N E." The local part is spelled: a letter heard wrong is caught before booking."""
    when = say_date(state.booking_date) if state.booking_date else "a day to be set"
    if state.booking_time:
        when += f" at {say_time(state.booking_time)}"
    service = (state.service or "appointment").lower()
    email = f"confirmation to {state.email}"
    if state.email:
        email += f", spelled {spell_local_part(state.email)}"
    return f"{state.customer_name}, {service}, {when}, {email}."
