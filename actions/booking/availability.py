"""What to say about free times: "what do you have on Friday?", "your next opening?" (pure).

The calendar's occupancy is read by the caller of `availability_sentence`; this module only
decides which free starts to name (a day, a part of the day, or the nearest ones) and says them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from actions.booking import scheduling
from actions.booking.new_booking import say_start
from actions.spoken import parsing
from actions.spoken.render import say_date, say_time


def _part_of_day(text: str) -> tuple[time, time] | None:
    words = parsing.normalise(text)
    if re.search(r"\bmorning\b", words):
        return time(0), time(12)
    if re.search(r"\b(afternoon|after lunch)\b", words):
        return time(12), time(17)
    if re.search(r"\b(evening|after work|late)\b", words):
        return time(17), time(23, 59)
    return None


def availability_sentence(
    profile, text, day, found, duration, now, occupancy
) -> tuple[str, list[datetime]]:
    """What to say about free times, and the starts it names (pure; `occupancy` already read).
    The starts become the last offer, so "the first one" can pick from them."""
    if found is not None and isinstance(found.value, parsing.Failure):
        return found.value.reason, []
    window = _part_of_day(text)

    def spoken(starts: list[datetime], on_day: date | None) -> str:
        parts = [
            say_time(s.time()) if s.date() == on_day else say_start(s, now.date()) for s in starts
        ]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    if day is not None:
        closed = scheduling.day_closed_reason(profile, day)
        free = [] if closed else scheduling.free_starts(profile, day, duration, now, occupancy)
        if window:
            free = [s for s in free if window[0] <= s.time() < window[1]]
        if free:
            more = f", and {len(free) - 4} more" if len(free) > 4 else ""
            return f"On {say_date(day)} I have {spoken(free[:4], day)}{more}.", free[:4]
        start = datetime.combine(day, time(12), tzinfo=profile.tz)
        nearest = sorted(scheduling.nearest_free_starts(profile, start, duration, now, occupancy))
        lead = closed.message if closed else f"{say_date(day)} is fully booked."
        if not nearest:
            return f"{lead} I don't have anything free in the next two weeks.", []
        return f"{lead} The nearest free times are {spoken(nearest, None)}.", nearest
    nearest = scheduling.nearest_free_starts(profile, now, duration, now, occupancy)
    if window:
        nearest = [
            s
            for s in scheduling.nearest_free_starts(
                profile, now, duration, now, occupancy, limit=40
            )
            if window[0] <= s.time() < window[1]
        ][:3]
    if not nearest:
        return "I don't have anything free in the next two weeks.", []
    return f"The next openings are {spoken(nearest, None)}.", nearest
