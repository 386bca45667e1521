"""Finding a caller's booking and proving it is theirs, as pure functions (reschedule, cancel,
"when is it?"). The glue (`dialogue/manage_forms.py`) fetches bookings and failures and passes
them in; nothing here does I/O.

Trust, per booking (docs/trust.md). A search key finds bookings but proves nothing: the email
the caller gives, or the number the channel vouches for. Proof is for one booking: its
confirmation code (whichever email or number the caller gave or calls from), or the name on it
plus its day. The code of the one booking proven in the conversation is `proven_booking`; a line
that points to another booking (another code, email, day or service) clears it. Until proof,
every line the caller hears is the same whether or not the key or the day has bookings: after
the key, the day question; after the day, the name question; a failed proof gets `NO_MATCH`.

Limits. `CALL_LIMIT` failed proofs end the tries of a call (the glue offers the team). Every
failed proof by name where the key and the day identify bookings is recorded against them
(`storage/proofs.py`); `LOCK_AFTER` failures within `LOCK_WINDOW` lock proof by name for that
booking for `LOCK_FOR`, from the last of them. The code is never locked: the owner, who has it
in the confirmation mail, cannot be locked out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from actions.booking import offers
from actions.booking.codes import normalise_code
from actions.spoken import parsing
from actions.spoken.render import say_date, say_time
from actions.storage.bookings import CONFIRMED, Booking

# What the caller hears until proof: the same lines whatever the database holds.
ASK_EMAIL = "What's the email address the booking is under?"
ASK_DAY = "Which day is your appointment on? Or you can tell me its confirmation code."
ASK_NAME = "And the name on the booking?"
NO_MATCH = "Sorry, I couldn't match that to a booking."
NAME_NOT_CAUGHT = "Sorry, I didn't catch the name on the booking."

CALL_LIMIT = 3  # failed proofs in one call, then no more tries in that call
LOCK_AFTER = 6  # failed proofs by name against one booking within LOCK_WINDOW ...
LOCK_WINDOW = timedelta(hours=24)
LOCK_FOR = timedelta(hours=1)  # ... lock proof by name for it this long, from the last of them
REACH = LOCK_WINDOW + LOCK_FOR  # older failures cannot lock anything any more

PROOF_SLOT = "proven_booking"
FAILED_PROOFS_SLOT = "failed_proofs"
# The identification steps, in order; the slots of one attempt at proof.
STEPS = ("lookup_email", "lookup_day", "lookup_name", PROOF_SLOT)
FORGET = {PROOF_SLOT: None, "lookup_day": None, "lookup_name": None}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one identification step: slot updates and what to say.

    `failed`: a value not understood (counted by digressions.count_failure, which offers a
    person after three). `failed_proof`: a proof that failed (the call's own count, never
    reset). `record`: the bookings to record that failed proof against (the lock)."""

    updates: dict[str, object]
    say: tuple[str, ...] = ()
    failed: bool = False
    failed_proof: bool = False
    record: tuple[str, ...] = field(default=())


# Letters NFKD does not take apart: speech recognition writes them as these.
_UNDECOMPOSED = str.maketrans(
    {"đ": "d", "ø": "o", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"}
)


def _simple(name: str) -> str:
    """ "José Núñez" → "josenunez": accents folded (NFKD), case, spaces and punctuation gone, so
    the name as speech recognition writes it proves the name as it was booked."""
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_UNDECOMPOSED))
    return "".join(c for c in folded if c.isalpha() and c.isascii())


def name_matches(spoken: str, on_booking: str) -> bool:
    """Full name, or first and last name, compared without case, spaces or punctuation."""
    said, stored = _simple(spoken), _simple(on_booking)
    if not said or not stored:
        return False
    if said == stored:
        return True
    parts = on_booking.split()
    return len(parts) > 2 and said == _simple(parts[0] + parts[-1])


def local_start(booking: Booking, tz) -> datetime:
    return booking.start.astimezone(tz)


def describe(booking: Booking, tz) -> str:
    """ "your haircut on Wednesday, December 2nd at 2 PM" """
    start = local_start(booking, tz)
    when = f"{say_date(start.date())} at {say_time(start.time())}"
    return f"your {booking.service.lower()} on {when}"


def is_upcoming(booking: Booking | None, now: datetime) -> bool:
    """A booking that can be proven and acted on: confirmed and not started yet."""
    return booking is not None and booking.status == CONFIRMED and booking.start >= now


def on_day(bookings: Sequence[Booking], day: date | str | None, tz) -> list[Booking]:
    """The bookings starting on `day` (business-local), by start."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    if day is None:
        return []
    return sorted((b for b in bookings if local_start(b, tz).date() == day), key=lambda b: b.start)


# -- the steps ------------------------------------------------------------------------------------


def next_step(slots: Mapping[str, object], recognised: bool) -> str | None:
    """The identification slot to ask for next, or None once a booking is proven. A caller the
    channel recognises is searched by their number: the email question is skipped."""
    if slots.get(PROOF_SLOT):
        return None
    if not slots.get("lookup_email") and not recognised:
        return "lookup_email"
    if not slots.get("lookup_day"):
        return "lookup_day"
    if not slots.get("lookup_name"):
        return "lookup_name"
    return PROOF_SLOT  # the name proved several bookings of that day: which one


_CODE_LEAD_IN = {
    "it's",
    "its",
    "it",
    "is",
    "the",
    "my",
    "confirmation",
    "code",
    "booking",
    "number",
    "reference",
    "uh",
    "um",
    "ok",
    "okay",
    "sure",
    "yes",
    "yeah",
    "so",
    "that's",
    "thats",
}


def spoken_code(text: str | None) -> str | None:
    """A confirmation code said as the whole line ("k 7 p 2 q", "it's K7P2Q", "the code is k
    seven p two q"), or after "code" in a longer one ("cancel the booking with code k7p2q")."""
    if not text:
        return None
    words = re.sub(r"[^\w'\s-]", " ", text.casefold()).split()
    if "code" in words:
        after = words[len(words) - 1 - words[::-1].index("code") + 1 :]
        if after and after[0] == "is":
            after = after[1:]
        if code := normalise_code(" ".join(after)):
            return code
    while words and words[0] in _CODE_LEAD_IN:
        words = words[1:]
    return normalise_code(" ".join(words))


def points_elsewhere(
    proven: Booking,
    tz,
    *,
    code: str | None = None,
    email: str | None = None,
    day: date | None = None,
    service: str | None = None,
) -> bool:
    """Whether a line naming `code`, `email`, `day` or `service` means another booking than the
    proven one: the proof is then cleared (it holds for that booking only)."""
    return (
        (code is not None and code != proven.code)
        or (email is not None and email.strip().casefold() != proven.email.strip().casefold())
        or (day is not None and local_start(proven, tz).date() != day)
        or (service is not None and service.casefold() != proven.service.casefold())
    )


def code_turn(code: str, booking: Booking | None, now: datetime) -> Verdict:
    """The caller said a code; `booking` is the store's booking of that code, if any. The code
    proves its own booking, whatever key the caller gave and whatever number they call from."""
    if is_upcoming(booking, now) and booking.code == code:
        return Verdict({**FORGET, PROOF_SLOT: booking.code})
    return Verdict(dict(FORGET), (NO_MATCH,), failed_proof=True)


def email_turn(text: str, email: str | None) -> Verdict:
    """The search key: any well-formed address is taken, with or without bookings."""
    if email is None:
        reason = parsing.parse_email(text)
        said = reason.reason if isinstance(reason, parsing.Failure) else "Sorry?"
        return Verdict({"lookup_email": None}, (said,), failed=True)
    return Verdict({"lookup_email": email})


def day_turn(text: str, today: date) -> Verdict:
    """The day of the appointment: any day is taken, with or without bookings on it."""
    value = parsing.parse_date(text, today)
    if isinstance(value, date):
        return Verdict({"lookup_day": value.isoformat()})
    reason = value.reason if isinstance(value, parsing.Failure) else "Sorry, which day is it?"
    return Verdict({"lookup_day": None}, (reason,), failed=True)


def name_locked_until(failures: Sequence[datetime]) -> datetime | None:
    """The end of the latest lock these failures make, or None: LOCK_AFTER failures within
    LOCK_WINDOW lock for LOCK_FOR from the last of them."""
    times = sorted(failures)
    until = None
    for last in range(LOCK_AFTER - 1, len(times)):
        if times[last] - times[last - LOCK_AFTER + 1] <= LOCK_WINDOW:
            until = times[last] + LOCK_FOR
    return until


def name_locked(failures: Sequence[datetime], now: datetime) -> bool:
    until = name_locked_until(failures)
    return until is not None and now < until


def name_turn(
    text: str,
    candidates: Sequence[Booking],
    failures: Mapping[str, Sequence[datetime]],
    now: datetime,
) -> Verdict:
    """The caller said the name on the booking; `candidates` are the key's upcoming bookings on
    the day said (none, one or several), `failures` their recent failed proofs. A locked booking
    cannot be proven by name: the right name then fails like a wrong one."""
    name = parsing.parse_name(text)
    if not isinstance(name, str):
        return Verdict({"lookup_name": None}, (NAME_NOT_CAUGHT,), failed=True)
    unlocked = [b for b in candidates if not name_locked(failures.get(b.code, ()), now)]
    matched = [b for b in unlocked if name_matches(name, b.name)]
    if len(matched) == 1:
        return Verdict({PROOF_SLOT: matched[0].code, "lookup_name": name})
    if matched:
        return Verdict({"lookup_name": name})  # proven, all of them: which one (choose_turn)
    return Verdict(
        {"lookup_day": None, "lookup_name": None},
        (NO_MATCH,),
        failed_proof=True,
        record=tuple(b.code for b in unlocked),
    )


def proven_by_name(
    candidates: Sequence[Booking],
    name: str | None,
    failures: Mapping[str, Sequence[datetime]],
    now: datetime,
) -> list[Booking]:
    """The candidates a name proved (several of one day, for choose_turn)."""
    if not name:
        return []
    return [
        b
        for b in candidates
        if name_matches(name, b.name) and not name_locked(failures.get(b.code, ()), now)
    ]


def choose_turn(text: str, bookings: Sequence[Booking], tz, today: date) -> Verdict:
    """The caller picks one of several bookings they proved: by code, time, service or "the
    first one"."""
    code = spoken_code(text)
    candidates = [b for b in bookings if code and b.code == code]
    words = parsing.normalise(text)
    index = offers.ordinal_index(text)
    if not candidates and index is not None:
        # "the first one" picks by order; "the first of december" is a date (below).
        ordered = sorted(bookings, key=lambda b: b.start)
        if -len(ordered) <= index < len(ordered):
            candidates = [ordered[index]]
    if not candidates:
        candidates = list(bookings)
        if found := parsing.find_date(text, today):
            if isinstance(found.value, date):
                candidates = [b for b in candidates if local_start(b, tz).date() == found.value]
        if (match := parsing.find_time(text)) is not None and len(candidates) > 1:
            candidates = [b for b in candidates if local_start(b, tz).hour % 12 == match.hour % 12]
        flat = re.sub(r"[^a-z0-9]+", " ", words)
        services = [
            b for b in candidates if re.sub(r"[^a-z0-9]+", " ", b.service.lower()).strip() in flat
        ]
        if services:
            candidates = services
    if len(candidates) == 1:
        return Verdict({PROOF_SLOT: candidates[0].code})
    return Verdict({PROOF_SLOT: None}, ("Sorry, which one did you mean?",), failed=True)


def which_one(bookings: Sequence[Booking], tz) -> str:
    """Asked only after the name proved every one of them (several on one day)."""
    spoken = [
        f"{b.service.lower()} at {say_time(local_start(b, tz).time())}"
        for b in sorted(bookings, key=lambda b: b.start)
    ]
    listed = ", ".join(spoken[:-1]) + " and " + spoken[-1] if len(spoken) > 1 else spoken[0]
    return f"You have {len(spoken)} bookings that day: {listed}. Which one is it?"
