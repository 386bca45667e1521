"""Scheduling rules as pure functions: can an appointment start then, and if not, why and what else.

Theory of operation. Opening hours are business-local wall times; an appointment lasts real
minutes. So every check turns the local opening times of that one day into aware instants and
compares instants in UTC (Python compares two datetimes that share a tzinfo by wall time, which
is wrong across a DST change). Occupancy is counted per *unit*: the slot grid's intervals of
`slot_minutes`, keyed by their aware UTC start (`slot_grid.unit_starts`, the grid the store
uses too); an appointment occupies every unit it overlaps, and a start is FULL when any of them
already holds `capacity` bookings.

Nothing here raises for what a caller asked: a refusal is an `Unavailable` with a reason and a
short sentence to speak. Naive datetimes are read as business-local wall time. Not here: reading
the calendar (the store builds `occupancy`), parsing speech, or what the assistant says next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

from actions.booking.profile import BusinessProfile, Period
from actions.booking.slot_grid import unit_starts
from actions.spoken.render import say_date, say_duration, say_span, say_time, say_weekdays

UTC = timezone.utc


class Reason(Enum):
    CLOSED_DAY = "closed_day"
    CLOSURE = "closure"
    BEFORE_OPENING = "before_opening"
    AFTER_CLOSING = "after_closing"
    DURING_BREAK = "during_break"
    PAST = "past"
    TOO_SOON = "too_soon"
    BEYOND_HORIZON = "beyond_horizon"
    OFF_GRID = "off_grid"
    FULL = "full"


@dataclass(frozen=True)
class Unavailable:
    """Why a start cannot be booked; `message` is one short sentence fit to be spoken."""

    reason: Reason
    message: str


def _utc(moment: datetime, tz: ZoneInfo) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def day_closed_reason(profile: BusinessProfile, day: date) -> Unavailable | None:
    """Why the business is closed all `day` (a closed weekday, then a closure date), else None."""
    hours = profile.hours.get(day.weekday())
    if hours is None or not hours.open_periods():  # breaks may cover a whole day
        return Unavailable(Reason.CLOSED_DAY, f"We're closed on {say_weekdays(day)}.")
    if day in profile.closures:
        return Unavailable(Reason.CLOSURE, f"We're closed on {say_date(day)}.")
    return None


def _break_name(pause: Period) -> str:
    # A midday break is what callers call lunch; anything else is just a break.
    return "lunch break" if time(11) <= pause.start < time(15) else "break"


def _takes(service: str | None, minutes: int) -> str:
    if not service:
        return f"that takes {say_duration(minutes)}"
    article = "an" if service[:1].lower() in "aeiou" else "a"
    return f"{article} {service.lower()} takes {say_duration(minutes)}"


def _hours_problem(
    profile: BusinessProfile,
    day: date,
    start: datetime,
    end: datetime,
    minutes: int,
    service: str | None,
) -> Unavailable | None:
    """Whether [start, end) fits wholly inside one open period of `day` (an open day)."""
    tz = profile.tz
    periods = profile.hours[day.weekday()].open_periods()  # type: ignore[union-attr]
    bounds = [(_instant(day, p.start, tz), _instant(day, p.end, tz)) for p in periods]
    on = f"on {say_weekdays(day)}"
    closing = f"We close at {say_time(periods[-1].end)} {on}"
    for i, (opens, closes) in enumerate(bounds):
        if opens <= start < closes:
            if end <= closes:
                return None
            if i == len(periods) - 1:
                return Unavailable(
                    Reason.AFTER_CLOSING, f"{closing}, and {_takes(service, minutes)}."
                )
            pause = Period(periods[i].end, periods[i + 1].start)
            return Unavailable(
                Reason.DURING_BREAK,
                f"That would run into our {_break_name(pause)}, "
                f"from {say_span(pause.start, pause.end)}.",
            )
    if start < bounds[0][0]:
        return Unavailable(Reason.BEFORE_OPENING, f"We open at {say_time(periods[0].start)} {on}.")
    if start >= bounds[-1][1]:
        return Unavailable(Reason.AFTER_CLOSING, f"{closing}.")
    # Neither in a period nor outside the day: between two periods, i.e. during a break.
    # (The default only guards a break inside a DST gap, where wall times run backwards.)
    i = next((i for i in range(len(bounds) - 1) if bounds[i][1] <= start < bounds[i + 1][0]), 0)
    pause = Period(periods[i].end, periods[i + 1].start)
    return Unavailable(
        Reason.DURING_BREAK,
        f"That's during our {_break_name(pause)}, from {say_span(pause.start, pause.end)}.",
    )


def _grid_phrase(slot_minutes: int) -> str:
    phrases = {60: "on the hour", 30: "on the hour or half hour", 15: "on the quarter hour"}
    return phrases.get(slot_minutes, f"every {slot_minutes} minutes, from the hour")


def check_start(
    profile: BusinessProfile,
    start: datetime,
    duration_minutes: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
    *,
    service: str | None = None,
) -> Unavailable | None:
    """None when an appointment of `duration_minutes` can start at `start`, else why not.

    Checks run from the most to the least fundamental, so the caller hears the reason that
    matters ("we're closed on Sundays" rather than "that's too soon"). `service`, when given,
    names the service in the closing-time sentence ("a haircut takes 45 minutes").
    """
    tz = profile.tz
    # A zero or negative duration is a caller's bug, not a reason to crash: book one unit.
    minutes = duration_minutes if duration_minutes > 0 else profile.slot_minutes
    begin, current = _utc(start, tz), _utc(now, tz)
    end = begin + timedelta(minutes=minutes)
    local = begin.astimezone(tz)
    if begin < current:
        return Unavailable(Reason.PAST, "That time has already passed.")
    horizon = current.astimezone(tz).date() + timedelta(days=profile.horizon_days)
    if local.date() > horizon:
        days = "1 day" if profile.horizon_days == 1 else f"{profile.horizon_days} days"
        return Unavailable(Reason.BEYOND_HORIZON, f"We only book up to {days} ahead.")
    if closed := day_closed_reason(profile, local.date()):
        return closed
    if problem := _hours_problem(profile, local.date(), begin, end, minutes, service):
        return problem
    if (local.hour * 60 + local.minute) % profile.slot_minutes or local.second or local.microsecond:
        return Unavailable(
            Reason.OFF_GRID, f"We book appointments {_grid_phrase(profile.slot_minutes)}."
        )
    if begin < current + timedelta(minutes=profile.min_notice_minutes):
        notice = say_duration(profile.min_notice_minutes)
        return Unavailable(Reason.TOO_SOON, f"That's less than {notice} from now.")
    counts = [occupancy.get(u, 0) for u in unit_starts(begin, end, profile.slot_minutes)]
    if counts[0] >= profile.capacity:
        return Unavailable(Reason.FULL, "That time is already taken.")
    if any(count >= profile.capacity for count in counts):
        return Unavailable(Reason.FULL, "That time is already taken for part of the appointment.")
    return None


def free_starts(
    profile: BusinessProfile,
    day: date,
    duration_minutes: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
) -> list[datetime]:
    """Every bookable start on `day`, in order, as aware datetimes in the profile's timezone."""
    if day_closed_reason(profile, day):
        return []
    tz, slot = profile.tz, profile.slot_minutes
    starts = []
    for period in profile.hours[day.weekday()].open_periods():  # type: ignore[union-attr]
        # Round an off-grid opening time (09:10) up to the grid (09:15).
        late = -(period.start.hour * 60 + period.start.minute) % slot
        cursor = _instant(day, period.start, tz) + timedelta(minutes=late)
        closes = _instant(day, period.end, tz)
        # Step in UTC: in a DST gap the missing wall times are skipped, in a fold both occur.
        while cursor < closes:
            if check_start(profile, cursor, duration_minutes, now, occupancy) is None:
                starts.append(cursor.astimezone(tz))
            cursor += timedelta(minutes=slot)
    return starts


def nearest_free_starts(
    profile: BusinessProfile,
    requested: datetime,
    duration_minutes: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
    limit: int = 3,
    search_days: int = 14,
) -> list[datetime]:
    """Up to `limit` alternatives: the requested day's free starts closest to `requested` first
    (a tie goes to the earlier), then the following days' earliest. Never past the horizon; a
    request in the past searches from today."""
    if limit <= 0:
        return []
    tz = profile.tz
    wanted = _utc(requested, tz)
    day = wanted.astimezone(tz).date()
    same_day = free_starts(profile, day, duration_minutes, now, occupancy)
    found = sorted(same_day, key=lambda s: (abs(s - wanted), s.astimezone(UTC)))[:limit]
    today = _utc(now, tz).astimezone(tz).date()
    first = max(day + timedelta(days=1), today)
    last = min(
        first + timedelta(days=search_days - 1), today + timedelta(days=profile.horizon_days)
    )
    following = first
    while len(found) < limit and following <= last:
        found += free_starts(profile, following, duration_minutes, now, occupancy)[
            : limit - len(found)
        ]
        following += timedelta(days=1)
    return found


def nearest_open_days(
    profile: BusinessProfile,
    day: date,
    duration_minutes: int,
    now: datetime,
    occupancy: Mapping[datetime, int],
    limit: int = 2,
    search_days: int = 14,
) -> list[date]:
    """Up to `limit` days around `day` (before it too, never before today or past the horizon)
    with a free start for `duration_minutes`: the nearest first, a tie to the later; returned
    in calendar order."""
    today = _utc(now, profile.tz).astimezone(profile.tz).date()
    last = today + timedelta(days=profile.horizon_days)
    candidates = [
        day + timedelta(days=offset)
        for offset in sorted(range(-search_days, search_days + 1), key=lambda o: (abs(o), -o))
        if offset != 0
    ]
    found: list[date] = []
    for candidate in candidates:
        if len(found) >= limit:
            break
        if today <= candidate <= last and free_starts(
            profile, candidate, duration_minutes, now, occupancy
        ):
            found.append(candidate)
    return sorted(found)
