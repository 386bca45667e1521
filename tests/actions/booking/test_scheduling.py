"""Scheduling rules (every Reason, the edges, DST, alternatives) and the speech helpers they use.
(The slot grid they count occupancy on: test_slot_grid.py.)

The profile is written out here, not read from data/business.yml, so a business editing its own
file cannot break these tests. Dates: 2026-12-08 is a Tuesday.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
import yaml

from actions.booking.profile import DayHours, parse_profile
from actions.booking.scheduling import (
    Reason,
    Unavailable,
    check_start,
    day_closed_reason,
    free_starts,
    nearest_free_starts,
    nearest_open_days,
)
from actions.booking.slot_grid import unit_starts
from actions.spoken.render import ordinal, say_date, say_duration, say_span, say_time

SALON = parse_profile(
    yaml.safe_load("""
name: Test Salon
timezone: America/New_York
country: US
currency: USD
address: 1 Main Street
hours:
  monday: closed
  tuesday: {open: "09:00", close: "18:00", breaks: [{start: "12:30", end: "13:30"}]}
  wednesday: {open: "09:00", close: "18:00", breaks: [{start: "12:30", end: "13:30"}]}
  thursday: {open: "10:00", close: "20:00", breaks: [{start: "16:00", end: "16:15"}]}
  friday: {open: "09:00", close: "18:00", breaks: [{start: "12:30", end: "13:30"}]}
  saturday: {open: "09:00", close: "16:00"}
  sunday: closed
closures: [2026-12-24, 2026-12-25, 2026-12-26, 2027-01-01]
min_notice_minutes: 60
slot_minutes: 15
capacity: 1
horizon_days: 60
services:
  - {name: Haircut, duration_minutes: 45, price: 40}
  - {name: Colour, duration_minutes: 90, price: 85}
  - {name: Beard trim, duration_minutes: 15, price: 15}
""")
)
TZ = SALON.tz
UTC = timezone.utc
NOW = datetime(2026, 12, 8, 10, 0, tzinfo=TZ)  # Tuesday morning
HAIRCUT, COLOUR, BEARD = 45, 90, 15


def at(day: str, hhmm: str) -> datetime:
    """Business-local wall time, aware."""
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=TZ)


def booked(*starts: tuple[datetime, int], count: int = 1) -> dict[datetime, int]:
    """Occupancy for bookings given as (start, minutes), as the store would count it."""
    occupancy: dict[datetime, int] = {}
    for start, minutes in starts:
        for unit in unit_starts(start, start + timedelta(minutes=minutes), 15):
            occupancy[unit] = occupancy.get(unit, 0) + count
    return occupancy


def u(text: str) -> datetime:
    """A UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def reason(result: Unavailable | None) -> Reason | None:
    return result.reason if result else None


# ---- check_start: every reason and its edges ---------------------------------------------


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (at("2026-12-09", "09:00"), HAIRCUT, None),
        # closing time: exactly closing minus duration fits, one slot later does not
        (at("2026-12-09", "17:15"), HAIRCUT, None),
        (at("2026-12-09", "17:30"), HAIRCUT, Reason.AFTER_CLOSING),
        (at("2026-12-09", "17:45"), BEARD, None),
        (at("2026-12-09", "18:00"), BEARD, Reason.AFTER_CLOSING),
        (at("2026-12-09", "19:30"), BEARD, Reason.AFTER_CLOSING),
        (at("2026-12-09", "16:30"), COLOUR, None),
        (at("2026-12-09", "16:45"), COLOUR, Reason.AFTER_CLOSING),
        # opening
        (at("2026-12-09", "08:45"), BEARD, Reason.BEFORE_OPENING),
        (at("2026-12-09", "06:00"), HAIRCUT, Reason.BEFORE_OPENING),
        (at("2026-12-10", "09:30"), HAIRCUT, Reason.BEFORE_OPENING),  # Thursdays open at 10
        (at("2026-12-10", "19:15"), HAIRCUT, None),  # ...and close at 8
        # the lunch break: in it, running into it, right up to it, right after it
        (at("2026-12-09", "12:30"), BEARD, Reason.DURING_BREAK),
        (at("2026-12-09", "13:15"), BEARD, Reason.DURING_BREAK),
        (at("2026-12-09", "12:00"), HAIRCUT, Reason.DURING_BREAK),
        (at("2026-12-09", "12:15"), BEARD, None),
        (at("2026-12-09", "11:45"), HAIRCUT, None),
        (at("2026-12-09", "11:00"), COLOUR, None),
        (at("2026-12-09", "11:15"), COLOUR, Reason.DURING_BREAK),
        (at("2026-12-09", "13:30"), HAIRCUT, None),
        (at("2026-12-10", "15:30"), HAIRCUT, Reason.DURING_BREAK),  # a short afternoon break
        # closed days
        (at("2026-12-13", "10:00"), HAIRCUT, Reason.CLOSED_DAY),  # Sunday
        (at("2026-12-14", "10:00"), HAIRCUT, Reason.CLOSED_DAY),  # Monday
        (at("2026-12-24", "10:00"), HAIRCUT, Reason.CLOSURE),
        (at("2026-12-26", "10:00"), HAIRCUT, Reason.CLOSURE),  # a Saturday closure
        (at("2027-01-01", "10:00"), HAIRCUT, Reason.CLOSURE),
        # the grid
        (at("2026-12-09", "10:10"), HAIRCUT, Reason.OFF_GRID),
        (at("2026-12-09", "10:00").replace(second=30), HAIRCUT, Reason.OFF_GRID),
        # past and notice (now is Tuesday 10:00, notice 60 minutes)
        (at("2026-12-08", "09:45"), HAIRCUT, Reason.PAST),
        (at("2026-12-01", "10:00"), HAIRCUT, Reason.PAST),
        (at("2026-12-08", "10:00"), HAIRCUT, Reason.TOO_SOON),
        (at("2026-12-08", "10:45"), HAIRCUT, Reason.TOO_SOON),
        (at("2026-12-08", "11:00"), HAIRCUT, None),
        # the caller's time may come in any timezone, or naive (= business-local)
        (datetime(2026, 12, 9, 14, 0, tzinfo=UTC), HAIRCUT, None),  # 9 AM New York
        (datetime(2026, 12, 9, 13, 45, tzinfo=UTC), HAIRCUT, Reason.BEFORE_OPENING),
        (datetime(2026, 12, 9, 9, 0), HAIRCUT, None),
        (datetime(2026, 12, 9, 8, 0), HAIRCUT, Reason.BEFORE_OPENING),
        # a nonsensical duration books one unit instead of crashing
        (at("2026-12-09", "17:45"), 0, None),
    ],
)
def test_check_start(start: datetime, minutes: int, expected: Reason | None) -> None:
    assert reason(check_start(SALON, start, minutes, NOW, {})) == expected


@pytest.mark.parametrize(
    ("now", "start", "expected"),
    [
        # now Friday 2026-12-11: the horizon's last day is Tuesday 2027-02-09
        (datetime(2026, 12, 11, 10, tzinfo=TZ), at("2027-02-09", "17:15"), None),
        (datetime(2026, 12, 11, 10, tzinfo=TZ), at("2027-02-10", "09:00"), Reason.BEYOND_HORIZON),
        # the horizon counts in local dates: 11 PM local is already "tomorrow" in UTC
        (datetime(2026, 12, 11, 23, tzinfo=TZ), at("2027-02-09", "09:00"), None),
        (datetime(2026, 12, 11, 23, tzinfo=TZ), at("2027-02-10", "09:00"), Reason.BEYOND_HORIZON),
        # beyond the horizon wins over a closed day: the more useful thing to hear
        (datetime(2026, 12, 11, 10, tzinfo=TZ), at("2027-02-14", "10:00"), Reason.BEYOND_HORIZON),
    ],
)
def test_horizon(now: datetime, start: datetime, expected: Reason | None) -> None:
    assert reason(check_start(SALON, start, HAIRCUT, now, {})) == expected


@pytest.mark.parametrize(
    ("capacity", "occupancy", "start", "minutes", "expected"),
    [
        (
            1,
            booked((at("2026-12-09", "10:00"), HAIRCUT)),
            at("2026-12-09", "10:00"),
            HAIRCUT,
            Reason.FULL,
        ),
        (1, booked((at("2026-12-09", "10:00"), HAIRCUT)), at("2026-12-09", "09:15"), HAIRCUT, None),
        (
            1,
            booked((at("2026-12-09", "10:00"), HAIRCUT)),
            at("2026-12-09", "09:30"),
            HAIRCUT,
            Reason.FULL,
        ),  # would end at 10:15
        (
            1,
            booked((at("2026-12-09", "10:00"), HAIRCUT)),
            at("2026-12-09", "10:30"),
            HAIRCUT,
            Reason.FULL,
        ),
        (1, booked((at("2026-12-09", "10:00"), HAIRCUT)), at("2026-12-09", "10:45"), HAIRCUT, None),
        # capacity 2: one booking leaves room, two fill it
        (2, booked((at("2026-12-09", "10:00"), HAIRCUT)), at("2026-12-09", "10:00"), HAIRCUT, None),
        (
            2,
            booked((at("2026-12-09", "10:00"), HAIRCUT), count=2),
            at("2026-12-09", "10:00"),
            HAIRCUT,
            Reason.FULL,
        ),
        (
            2,
            booked((at("2026-12-09", "10:00"), HAIRCUT), (at("2026-12-09", "10:30"), BEARD)),
            at("2026-12-09", "10:15"),
            HAIRCUT,
            Reason.FULL,
        ),  # 10:30 holds two
        (
            2,
            booked((at("2026-12-09", "10:00"), HAIRCUT), (at("2026-12-09", "10:30"), BEARD)),
            at("2026-12-09", "10:45"),
            HAIRCUT,
            None,
        ),
        # a long service over partly occupied units: only its last unit is taken
        (1, booked((at("2026-12-09", "10:30"), BEARD)), at("2026-12-09", "09:00"), COLOUR, None),
        (
            1,
            booked((at("2026-12-09", "10:30"), BEARD)),
            at("2026-12-09", "09:15"),
            COLOUR,
            Reason.FULL,
        ),
        (1, booked((at("2026-12-09", "10:30"), BEARD)), at("2026-12-09", "10:45"), COLOUR, None),
        # counts on other days do not matter
        (1, booked((at("2026-12-10", "10:00"), HAIRCUT)), at("2026-12-09", "10:00"), HAIRCUT, None),
    ],
)
def test_occupancy(
    capacity: int,
    occupancy: dict[datetime, int],
    start: datetime,
    minutes: int,
    expected: Reason | None,
) -> None:
    profile = replace(SALON, capacity=capacity)
    assert reason(check_start(profile, start, minutes, NOW, occupancy)) == expected


def test_occupancy_keys_in_another_timezone_still_count() -> None:
    occupancy = {at("2026-12-09", "10:00"): 1}  # New York-aware, not UTC
    assert (
        reason(check_start(SALON, at("2026-12-09", "10:00"), BEARD, NOW, occupancy)) == Reason.FULL
    )


@pytest.mark.parametrize(
    ("start", "minutes", "kwargs", "message"),
    [
        (at("2026-12-13", "10:00"), HAIRCUT, {}, "We're closed on Sundays."),
        (at("2026-12-25", "10:00"), HAIRCUT, {}, "We're closed on Friday, December 25th."),
        (
            at("2026-12-09", "12:45"),
            BEARD,
            {},
            "That's during our lunch break, from 12:30 to 1:30 PM.",
        ),
        (
            at("2026-12-09", "12:00"),
            HAIRCUT,
            {},
            "That would run into our lunch break, from 12:30 to 1:30 PM.",
        ),
        (at("2026-12-10", "16:00"), BEARD, {}, "That's during our break, from 4 to 4:15 PM."),
        (
            at("2026-12-09", "17:30"),
            HAIRCUT,
            {"service": "Haircut"},
            "We close at 6 PM on Wednesdays, and a haircut takes 45 minutes.",
        ),
        (
            at("2026-12-09", "17:00"),
            COLOUR,
            {"service": "Colour"},
            "We close at 6 PM on Wednesdays, and a colour takes an hour and a half.",
        ),
        (
            at("2026-12-09", "17:30"),
            HAIRCUT,
            {},
            "We close at 6 PM on Wednesdays, and that takes 45 minutes.",
        ),
        (at("2026-12-09", "18:30"), HAIRCUT, {}, "We close at 6 PM on Wednesdays."),
        (at("2026-12-10", "09:00"), HAIRCUT, {}, "We open at 10 AM on Thursdays."),
        (at("2026-12-08", "10:30"), HAIRCUT, {}, "That's less than an hour from now."),
        (at("2026-12-08", "09:00"), HAIRCUT, {}, "That time has already passed."),
        (at("2027-03-02", "10:00"), HAIRCUT, {}, "We only book up to 60 days ahead."),
        (at("2026-12-09", "10:05"), HAIRCUT, {}, "We book appointments on the quarter hour."),
    ],
)
def test_messages_are_short_spoken_sentences(
    start: datetime, minutes: int, kwargs: dict, message: str
) -> None:
    result = check_start(SALON, start, minutes, NOW, {}, **kwargs)
    assert result is not None and result.message == message


@pytest.mark.parametrize(
    ("occupancy", "message"),
    [
        (booked((at("2026-12-09", "10:00"), BEARD)), "That time is already taken."),
        (
            booked((at("2026-12-09", "10:30"), BEARD)),
            "That time is already taken for part of the appointment.",
        ),
    ],
)
def test_full_messages(occupancy: dict[datetime, int], message: str) -> None:
    result = check_start(SALON, at("2026-12-09", "10:00"), HAIRCUT, NOW, occupancy)
    assert result == Unavailable(Reason.FULL, message)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-12-13", Reason.CLOSED_DAY),
        ("2026-12-14", Reason.CLOSED_DAY),
        ("2026-12-24", Reason.CLOSURE),
        ("2026-12-25", Reason.CLOSURE),
        ("2026-12-26", Reason.CLOSURE),
        ("2027-01-01", Reason.CLOSURE),
        ("2026-12-09", None),
        ("2026-12-12", None),
        ("2027-01-02", None),
    ],
)
def test_day_closed_reason(day: str, expected: Reason | None) -> None:
    assert reason(day_closed_reason(SALON, date.fromisoformat(day))) == expected


# ---- free_starts -------------------------------------------------------------------------


def clock_times(starts: list[datetime]) -> list[str]:
    return [s.strftime("%H:%M") for s in starts]


def test_free_starts_cover_the_open_periods() -> None:
    starts = free_starts(SALON, date(2026, 12, 9), HAIRCUT, NOW, {})
    assert len(starts) == 12 + 16  # 9:00-11:45 and 13:30-17:15
    assert clock_times(starts)[:2] == ["09:00", "09:15"]
    assert clock_times(starts)[11:13] == ["11:45", "13:30"]
    assert clock_times(starts)[-1] == "17:15"
    assert all(s.tzinfo is TZ for s in starts)


@pytest.mark.parametrize(
    ("day", "minutes", "occupancy", "first", "count"),
    [
        ("2026-12-08", HAIRCUT, {}, "11:00", 4 + 16),  # today: from now + notice
        ("2026-12-13", HAIRCUT, {}, None, 0),  # Sunday
        ("2026-12-24", HAIRCUT, {}, None, 0),  # closure
        ("2026-12-07", HAIRCUT, {}, None, 0),  # the past
        ("2027-02-09", HAIRCUT, {}, None, 0),  # beyond the horizon (last day 2027-02-06)
        ("2027-02-06", HAIRCUT, {}, "09:00", 26),  # the horizon's last day, a Saturday
        ("2026-12-09", COLOUR, booked((at("2026-12-09", "09:00"), 120)), "11:00", 1 + 13),
    ],
)
def test_free_starts(
    day: str, minutes: int, occupancy: dict, first: str | None, count: int
) -> None:
    starts = free_starts(SALON, date.fromisoformat(day), minutes, NOW, occupancy)
    assert (clock_times(starts)[0] if starts else None, len(starts)) == (first, count)


# ---- DST ---------------------------------------------------------------------------------


def test_dst_week_maps_local_hours_to_the_right_instants() -> None:
    now = datetime(2026, 3, 5, 9, tzinfo=TZ)
    saturday = free_starts(SALON, date(2026, 3, 7), HAIRCUT, now, {})  # EST, UTC-5
    tuesday = free_starts(SALON, date(2026, 3, 10), HAIRCUT, now, {})  # EDT, UTC-4
    assert saturday[0].astimezone(UTC) == u("2026-03-07 14:00")
    assert tuesday[0].astimezone(UTC) == u("2026-03-10 13:00")
    assert clock_times(saturday)[0] == clock_times(tuesday)[0] == "09:00"
    assert len(tuesday) == len(
        free_starts(SALON, date(2026, 3, 3), HAIRCUT, now - timedelta(days=7), {})
    )
    # The store keys bookings in UTC: 14:00 UTC is 9 AM on Saturday, 10 AM on Tuesday.
    occupancy = {u("2026-03-07 14:00"): 1, u("2026-03-10 14:00"): 1}
    assert (
        reason(check_start(SALON, at("2026-03-07", "09:00"), BEARD, now, occupancy)) == Reason.FULL
    )
    assert check_start(SALON, at("2026-03-10", "09:00"), BEARD, now, occupancy) is None
    assert (
        reason(check_start(SALON, at("2026-03-10", "10:00"), BEARD, now, occupancy)) == Reason.FULL
    )


# Open Sunday nights, so the change itself (2 AM) falls in opening hours.
NIGHT = replace(
    SALON,
    hours={**SALON.hours, 6: DayHours(time(0), time(6))},
    slot_minutes=60,
    min_notice_minutes=0,
)


@pytest.mark.parametrize(
    ("day", "local_times", "utc_hours"),
    [
        # spring forward: 2:00-2:59 does not exist; 00:00-06:00 local is five real hours
        ("2026-03-08", ["00:00", "01:00", "03:00", "04:00", "05:00"], [5, 6, 7, 8, 9]),
        # fall back: 1:00-1:59 happens twice; seven real hours
        (
            "2026-11-01",
            ["00:00", "01:00", "01:00", "02:00", "03:00", "04:00", "05:00"],
            [4, 5, 6, 7, 8, 9, 10],
        ),
        ("2026-03-15", ["00:00", "01:00", "02:00", "03:00", "04:00", "05:00"], [4, 5, 6, 7, 8, 9]),
    ],
)
def test_dst_change_day_itself(day: str, local_times: list[str], utc_hours: list[int]) -> None:
    now = datetime(2026, 3, 1, tzinfo=TZ) if day < "2026-06" else datetime(2026, 10, 25, tzinfo=TZ)
    starts = free_starts(NIGHT, date.fromisoformat(day), 60, now, {})
    assert clock_times(starts) == local_times
    assert [s.astimezone(UTC).hour for s in starts] == utc_hours


def test_dst_gap_appointment_lasts_real_minutes() -> None:
    now = datetime(2026, 3, 1, tzinfo=TZ)
    # 5 AM + 60 real minutes = 6 AM closing: fits; 1 AM + 60 = 3 AM EDT: fits too.
    assert check_start(NIGHT, at("2026-03-08", "05:00"), 60, now, {}) is None
    assert check_start(NIGHT, at("2026-03-08", "01:00"), 60, now, {}) is None
    assert (
        reason(check_start(NIGHT, at("2026-03-08", "05:00"), 120, now, {})) == Reason.AFTER_CLOSING
    )


def test_dst_notice_counts_real_minutes() -> None:
    # 1 AM EST to 3 AM EDT reads as two hours on the wall clock but is one real hour.
    two_hours = replace(NIGHT, min_notice_minutes=120)
    now = at("2026-03-08", "01:00")
    assert reason(check_start(two_hours, at("2026-03-08", "03:00"), 60, now, {})) == Reason.TOO_SOON
    assert check_start(two_hours, at("2026-03-08", "04:00"), 60, now, {}) is None


# ---- nearest_free_starts -----------------------------------------------------------------


def full_day(day: str) -> dict[datetime, int]:
    return booked((at(day, "00:00"), 24 * 60))


def spoken(starts: list[datetime]) -> list[str]:
    return [s.strftime("%a %m-%d %H:%M") for s in starts]


@pytest.mark.parametrize(
    ("requested", "occupancy", "limit", "expected"),
    [
        # same day, closest first, a tie goes to the earlier
        (
            at("2026-12-09", "12:45"),
            {},
            3,
            ["Wed 12-09 13:30", "Wed 12-09 11:45", "Wed 12-09 13:45"],
        ),
        (
            at("2026-12-09", "10:00"),
            booked((at("2026-12-09", "10:00"), HAIRCUT)),
            4,
            ["Wed 12-09 09:15", "Wed 12-09 10:45", "Wed 12-09 09:00", "Wed 12-09 11:00"],
        ),
        (at("2026-12-09", "17:45"), {}, 2, ["Wed 12-09 17:15", "Wed 12-09 17:00"]),
        # the rest of the day is full: then the next open days, earliest first
        (
            at("2026-12-12", "10:00"),
            full_day("2026-12-12"),
            3,
            ["Tue 12-15 09:00", "Tue 12-15 09:15", "Tue 12-15 09:30"],
        ),
        (
            at("2026-12-23", "10:00"),
            full_day("2026-12-23"),
            2,
            ["Tue 12-29 09:00", "Tue 12-29 09:15"],
        ),  # skips the closures and Sunday-Monday
        (
            at("2026-12-11", "17:00"),
            booked((at("2026-12-11", "09:00"), 16 * 60)),
            2,
            ["Sat 12-12 09:00", "Sat 12-12 09:15"],
        ),
        # a closed requested day
        (at("2026-12-13", "10:00"), {}, 1, ["Tue 12-15 09:00"]),
        # a request in the past searches from today (now + notice)
        (at("2026-12-01", "10:00"), {}, 2, ["Tue 12-08 11:00", "Tue 12-08 11:15"]),
        # never past the horizon (last day Saturday 2027-02-06)
        (at("2027-02-06", "15:00"), full_day("2027-02-06"), 3, []),
        (at("2027-02-06", "15:30"), {}, 2, ["Sat 02-06 15:15", "Sat 02-06 15:00"]),
        (at("2026-12-09", "12:45"), {}, 0, []),
    ],
)
def test_nearest_free_starts(
    requested: datetime, occupancy: dict, limit: int, expected: list[str]
) -> None:
    found = nearest_free_starts(SALON, requested, HAIRCUT, NOW, occupancy, limit=limit)
    assert spoken(found) == expected
    assert all(s.tzinfo is TZ for s in found)


def test_nearest_free_starts_search_window() -> None:
    occupancy: dict[datetime, int] = {}
    for offset in range(15):
        occupancy |= full_day((date(2026, 12, 9) + timedelta(days=offset)).isoformat())
    requested = at("2026-12-09", "10:00")
    assert nearest_free_starts(SALON, requested, HAIRCUT, NOW, occupancy, search_days=14) == []
    found = nearest_free_starts(SALON, requested, HAIRCUT, NOW, occupancy, search_days=20)
    assert spoken(found)[0] == "Tue 12-29 09:00"  # 12-24..12-28 closed


# ---- speech helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (time(14), "2 PM"),
        (time(14, 30), "2:30 PM"),
        (time(12), "noon"),
        (time(0), "midnight"),
        (time(12, 30), "12:30 PM"),
        (time(0, 30), "12:30 AM"),
        (time(9, 5), "9:05 AM"),
        (time(11, 59), "11:59 AM"),
        (time(13), "1 PM"),
        (time(23, 45), "11:45 PM"),
        (datetime(2026, 12, 9, 15, 15, tzinfo=TZ), "3:15 PM"),
        (datetime(2026, 12, 9, 12, 0), "noon"),
    ],
)
def test_say_time(value: datetime | time, text: str) -> None:
    assert say_time(value) == text


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2026, 12, 1), "Tuesday, December 1st"),
        (date(2026, 12, 2), "Wednesday, December 2nd"),
        (date(2026, 12, 3), "Thursday, December 3rd"),
        (date(2026, 12, 4), "Friday, December 4th"),
        (date(2026, 12, 9), "Wednesday, December 9th"),
        (date(2026, 12, 11), "Friday, December 11th"),
        (date(2026, 12, 12), "Saturday, December 12th"),
        (date(2026, 12, 13), "Sunday, December 13th"),
        (date(2026, 12, 21), "Monday, December 21st"),
        (date(2026, 12, 22), "Tuesday, December 22nd"),
        (date(2026, 12, 23), "Wednesday, December 23rd"),
        (date(2026, 12, 31), "Thursday, December 31st"),
        (date(2027, 1, 30), "Saturday, January 30th"),
    ],
)
def test_say_date(day: date, text: str) -> None:
    assert say_date(day) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
    ],
)
def test_ordinal(n: int, text: str) -> None:
    assert ordinal(n) == text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "1 minute"),
        (15, "15 minutes"),
        (45, "45 minutes"),
        (60, "an hour"),
        (75, "an hour and 15 minutes"),
        (90, "an hour and a half"),
        (120, "2 hours"),
        (150, "2 and a half hours"),
        (135, "2 hours and 15 minutes"),
    ],
)
def test_say_duration(minutes: int, text: str) -> None:
    assert say_duration(minutes) == text


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        (time(12, 30), time(13, 30), "12:30 to 1:30 PM"),
        (time(9), time(11), "9 to 11 AM"),
        (time(11, 30), time(12, 30), "11:30 AM to 12:30 PM"),
        (time(12), time(13), "noon to 1 PM"),
        (time(16), time(16, 15), "4 to 4:15 PM"),
    ],
)
def test_say_span(start: time, end: time, text: str) -> None:
    assert say_span(start, end) == text


def test_the_nearest_open_days_around_a_closed_or_full_one():
    sunday = date(2026, 12, 13)
    # Saturday is one day off, Tuesday two (Monday is closed); a tie goes to the later day.
    assert nearest_open_days(SALON, sunday, HAIRCUT, NOW, {}) == [
        date(2026, 12, 12),
        date(2026, 12, 15),
    ]
    christmas = date(2026, 12, 25)
    # Closed the 24th to the 28th: the two days before, not the 29th, four days after.
    assert nearest_open_days(SALON, christmas, HAIRCUT, NOW, {}) == [
        date(2026, 12, 22),
        date(2026, 12, 23),
    ]
    # Never before today: around today the days after it.
    assert nearest_open_days(SALON, date(2026, 12, 7), HAIRCUT, NOW, {}, limit=3) == [
        date(2026, 12, 8),
        date(2026, 12, 9),
        date(2026, 12, 10),
    ]
    saturday = date(2026, 12, 12)
    day = datetime.combine(saturday, time(0), tzinfo=TZ)
    full = {u: 1 for u in unit_starts(day, day + timedelta(days=1), SALON.slot_minutes)}
    assert saturday not in nearest_open_days(SALON, date(2026, 12, 11), HAIRCUT, NOW, full)
