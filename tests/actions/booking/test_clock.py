"""The assistant's "now": $ASSISTANT_NOW with and without an offset, malformed, and unset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from actions.booking import clock
from actions.booking.clock import parse_now

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("value", "local", "offset_hours"),
    [
        # no offset: business-local wall time
        ("2026-12-09T10:00", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-09T10:00:30", datetime(2026, 12, 9, 10, 0, 30), -5),
        ("2026-12-09 10:00", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-07-01T10:00", datetime(2026, 7, 1, 10, 0), -4),  # summer time
        ("2026-12-09", datetime(2026, 12, 9, 0, 0), -5),
        ("  2026-12-09T10:00 ", datetime(2026, 12, 9, 10, 0), -5),
        # an offset: that instant, shown in business time
        ("2026-12-09T15:00+00:00", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-09T15:00Z", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-09T15:00z", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-09T16:00+01:00", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-09T10:00-05:00", datetime(2026, 12, 9, 10, 0), -5),
        ("2026-12-10T02:00+09:00", datetime(2026, 12, 9, 12, 0), -5),  # another local date
        ("2026-03-08T07:30Z", datetime(2026, 3, 8, 3, 30), -4),  # just after spring forward
        ("2026-11-01T05:30Z", datetime(2026, 11, 1, 1, 30), -4),  # first 1:30 of the fold
        ("2026-11-01T06:30Z", datetime(2026, 11, 1, 1, 30), -5),  # second 1:30
    ],
)
def test_parse_now(value: str, local: datetime, offset_hours: int) -> None:
    parsed = parse_now(value, NY)
    assert parsed.tzinfo is NY
    assert parsed.replace(tzinfo=None) == local
    assert parsed.utcoffset() == timedelta(hours=offset_hours)


@pytest.mark.parametrize(
    "value",
    [
        "tomorrow",
        "2026-13-01T10:00",
        "2026-12-09T25:00",
        "09/12/2026 10:00",
        "Z",
        "10:00",
        "2026-12-09T10:00+25:00",
    ],
)
def test_malformed_value_raises_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="ASSISTANT_NOW must be an ISO 8601") as caught:
        parse_now(value, NY)
    assert repr(value) in str(caught.value)


def test_now_uses_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_NOW", "2026-12-09T10:00")
    assert clock.now(NY) == datetime(2026, 12, 9, 10, 0, tzinfo=NY)
    monkeypatch.setenv("ASSISTANT_NOW", "2026-12-09T10:00Z")
    assert clock.now(NY) == datetime(2026, 12, 9, 5, 0, tzinfo=NY)


def test_now_with_a_malformed_environment_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_NOW", "next tuesday")
    with pytest.raises(ValueError, match="ASSISTANT_NOW"):
        clock.now(NY)


@pytest.mark.parametrize("unset", [None, "", "  "])
def test_now_without_the_environment_is_the_real_time(
    monkeypatch: pytest.MonkeyPatch, unset: str | None
) -> None:
    if unset is None:
        monkeypatch.delenv("ASSISTANT_NOW", raising=False)
    else:
        monkeypatch.setenv("ASSISTANT_NOW", unset)
    before = datetime.now(timezone.utc)
    got = clock.now(NY)
    after = datetime.now(timezone.utc)
    assert got.tzinfo is NY
    assert before <= got <= after
