"""Business profile: the shipped file loads; each validation rule names the bad field."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.booking.profile import (
    DEFAULT_PATH,
    DayHours,
    Period,
    ProfileError,
    load_profile,
    main,
    parse_profile,
)

REPO = Path(__file__).resolve().parents[3]
DELETE = object()

VALID: dict[str, Any] = {
    "name": "Test Salon",
    "timezone": "America/New_York",
    "country": "US",
    "currency": "USD",
    "phone": "+12125550100",
    "address": "1 Main Street",
    "transfer_number": "+12125550101",
    "hours": {
        "monday": "closed",
        "tuesday": {
            "open": "09:00",
            "close": "18:00",
            "breaks": [{"start": "12:30", "end": "13:30"}],
        },
        "wednesday": {"open": "09:00", "close": "18:00"},
        "thursday": {"open": "09:00", "close": "18:00"},
        "friday": {"open": "09:00", "close": "18:00"},
        "saturday": {"open": "09:00", "close": "16:00"},
        "sunday": "closed",
    },
    "closures": [date(2026, 12, 25)],
    "min_notice_minutes": 60,
    "slot_minutes": 15,
    "capacity": 1,
    "horizon_days": 60,
    "services": [
        {
            "name": "Haircut",
            "duration_minutes": 45,
            "price": 40,
            "description": "Cut.",
            "aliases": ["hair cut", "trim"],
        },
        {"name": "Colour", "duration_minutes": 90, "price": "85.50", "aliases": ["color"]},
        {"name": "Beard trim", "duration_minutes": 15, "price": 15},
    ],
    "faq": [{"question": "Parking?", "answer": "On the street."}],
}


def changed(path: str, value: Any) -> dict[str, Any]:
    """A deep copy of VALID with the value at a dotted path ("services[2].price") replaced."""
    raw = copy.deepcopy(VALID)
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", path)]
    target: Any = raw
    for key in keys[:-1]:
        target = target[key]
    if value is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return raw


def test_valid_profile_parses() -> None:
    profile = parse_profile(copy.deepcopy(VALID))
    assert profile.name == "Test Salon"
    assert profile.hours[0] is None and profile.hours[6] is None
    assert profile.hours[1] == DayHours(time(9), time(18), (Period(time(12, 30), time(13, 30)),))
    assert profile.services[1].price == Decimal("85.50")
    assert profile.closures == frozenset({date(2026, 12, 25)})
    assert profile.tz.key == "America/New_York"


def test_optional_keys_take_defaults() -> None:
    raw = copy.deepcopy(VALID)
    for key in (
        "phone",
        "transfer_number",
        "closures",
        "faq",
        "min_notice_minutes",
        "slot_minutes",
        "capacity",
        "horizon_days",
    ):
        del raw[key]
    profile = parse_profile(raw)
    assert (profile.phone, profile.transfer_number, profile.closures, profile.faq) == (
        None,
        None,
        frozenset(),
        (),
    )
    assert (
        profile.min_notice_minutes,
        profile.slot_minutes,
        profile.capacity,
        profile.horizon_days,
    ) == (60, 15, 1, 60)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        # required fields and types
        ("name", DELETE, "name"),
        ("name", 42, "name"),
        ("name", "  ", "name"),
        ("address", DELETE, "address"),
        ("services", DELETE, "services"),
        ("hours", DELETE, "hours"),
        ("country", "USA", "country"),
        ("currency", "dollars", "currency"),
        # unknown keys anywhere are typos
        ("opening_hours", {}, "opening_hours"),
        ("services[0].durration", 45, "services[0].durration"),
        ("hours.tuesday.breaks[0].finish", "13:00", "hours.tuesday.breaks[0].finish"),
        ("faq[0].answr", "x", "faq[0].answr"),
        # timezone
        ("timezone", "Mars/Olympus_Mons", "timezone"),
        ("timezone", "EST5EDT-ish", "timezone"),
        ("timezone", 5, "timezone"),
        # hours
        ("hours.funday", "closed", "hours.funday"),
        ("hours.wednesday", DELETE, "hours.wednesday"),
        ("hours.monday", "shut", "hours.monday"),
        ("hours.monday", None, "hours.monday"),
        ("hours.tuesday.open", "9am", "hours.tuesday.open"),
        ("hours.tuesday.open", "25:00", "hours.tuesday.open"),
        ("hours.tuesday.open", 540, "hours.tuesday.open"),  # YAML's unquoted 09:00
        ("hours.tuesday.close", DELETE, "hours.tuesday.close"),
        ("hours.tuesday.close", "08:00", "hours.tuesday.close"),
        ("hours.tuesday.close", "09:00", "hours.tuesday.close"),
        ("hours.tuesday.breaks", "12:30-13:30", "hours.tuesday.breaks"),
        ("hours.tuesday.breaks[0].end", "12:00", "hours.tuesday.breaks[0].end"),
        ("hours.tuesday.breaks[0].end", "12:30", "hours.tuesday.breaks[0].end"),
        ("hours.tuesday.breaks[0].start", "08:30", "hours.tuesday.breaks[0].start"),
        ("hours.tuesday.breaks[0].end", "18:30", "hours.tuesday.breaks[0].end"),
        (
            "hours.tuesday.breaks",
            [{"start": "12:30", "end": "13:30"}, {"start": "13:00", "end": "14:00"}],
            "hours.tuesday.breaks[1].start",
        ),
        (
            "hours",
            {
                d: "closed"
                for d in (
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                )
            },
            "hours",
        ),
        # booking rules
        ("slot_minutes", 7, "slot_minutes"),
        ("slot_minutes", 0, "slot_minutes"),
        ("slot_minutes", "15", "slot_minutes"),
        ("capacity", 0, "capacity"),
        ("capacity", True, "capacity"),
        ("horizon_days", 0, "horizon_days"),
        ("min_notice_minutes", -5, "min_notice_minutes"),
        ("min_notice_minutes", 1.5, "min_notice_minutes"),
        # services
        ("services", [], "services"),
        ("services", {"name": "Haircut"}, "services"),
        ("services[0]", "Haircut", "services[0]"),
        ("services[0].name", DELETE, "services[0].name"),
        ("services[2].duration_minutes", 40, "services[2].duration_minutes"),
        ("services[0].duration_minutes", 0, "services[0].duration_minutes"),
        ("services[0].duration_minutes", "45", "services[0].duration_minutes"),
        ("services[0].price", -1, "services[0].price"),
        ("services[0].price", "forty", "services[0].price"),
        ("services[0].price", DELETE, "services[0].price"),
        ("services[0].description", ["Cut."], "services[0].description"),
        ("services[0].aliases", "trim", "services[0].aliases"),
        ("services[0].aliases[1]", "", "services[0].aliases[1]"),
        ("services[1].name", "haircut", "services[1].name"),
        ("services[1].aliases[0]", "Trim", "services[1].aliases[0]"),
        ("services[2].name", "Hair  Cut", "services[2].name"),
        # closures
        ("closures[0]", "next tuesday", "closures[0]"),
        ("closures[0]", 20261225, "closures[0]"),
        ("closures", "2026-12-25", "closures"),
        # phones
        ("transfer_number", "555-0143", "transfer_number"),
        ("transfer_number", 12125550143, "transfer_number"),  # YAML's unquoted +1...
        ("transfer_number", "+1 212 555 0143", "transfer_number"),
        ("phone", "+1", "phone"),
        ("phone", "+0123456789", "phone"),
        ("phone", "+1234567890123456", "phone"),
        # faq
        ("faq[0].answer", DELETE, "faq[0].answer"),
        ("faq[0].question", "", "faq[0].question"),
        ("faq", {"q": "a"}, "faq"),
    ],
)
def test_invalid_field_is_named(path: str, value: Any, field: str) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(changed(path, value))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("timezone", "slot", "ok"),
    [
        ("America/New_York", 60, True),
        ("Asia/Kolkata", 30, True),
        ("Asia/Kolkata", 60, False),  # +5:30: the UTC grid would not be the local grid
        ("Asia/Kathmandu", 15, True),
        ("Asia/Kathmandu", 30, False),
    ],
)
def test_slot_must_fit_the_timezone_offsets(timezone: str, slot: int, ok: bool) -> None:
    raw = changed("timezone", timezone)
    raw["slot_minutes"] = slot
    raw["services"] = [{"name": "Cut", "duration_minutes": 60, "price": 1}]
    if ok:
        assert parse_profile(raw).slot_minutes == slot
    else:
        with pytest.raises(ProfileError) as caught:
            parse_profile(raw)
        assert caught.value.field == "slot_minutes"


@pytest.mark.parametrize("raw", [None, [], "name: x"])
def test_a_profile_that_is_not_a_mapping_is_refused(raw: Any) -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(raw)
    assert caught.value.field == ""


@pytest.mark.parametrize(
    ("breaks", "periods"),
    [
        ([], [("09:00", "18:00")]),
        ([("12:30", "13:30")], [("09:00", "12:30"), ("13:30", "18:00")]),
        (
            [("15:00", "15:30"), ("11:00", "11:15")],
            [("09:00", "11:00"), ("11:15", "15:00"), ("15:30", "18:00")],
        ),
        ([("12:00", "13:00"), ("13:00", "14:00")], [("09:00", "12:00"), ("14:00", "18:00")]),
        ([("09:00", "10:00"), ("17:00", "18:00")], [("10:00", "17:00")]),
    ],
)
def test_open_periods_are_the_hours_minus_the_breaks(breaks: list, periods: list) -> None:
    def t(text: str) -> time:
        return time.fromisoformat(text)

    hours = DayHours(t("09:00"), t("18:00"), tuple(Period(t(a), t(b)) for a, b in breaks))
    assert hours.open_periods() == tuple(Period(t(a), t(b)) for a, b in periods)


# ---- the shipped profile -------------------------------------------------------------------


def test_shipped_profile_loads() -> None:
    profile = load_profile(REPO / "data" / "business.yml")
    assert profile.name == "Bella Hair Studio"
    assert profile.timezone == "America/New_York" and profile.country == "US"
    assert profile.hours[0] is None and profile.hours[6] is None  # Monday, Sunday
    assert any(h and h.breaks for h in profile.hours.values())
    assert {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)} <= (
        profile.closures
    )
    assert (
        profile.min_notice_minutes,
        profile.slot_minutes,
        profile.capacity,
        profile.horizon_days,
    ) == (60, 15, 1, 60)
    assert [(s.name, s.duration_minutes, s.price) for s in profile.services] == [
        ("Haircut", 45, Decimal(40)),
        ("Colour", 90, Decimal(85)),
        ("Blow-dry", 30, Decimal(30)),
        ("Beard trim", 15, Decimal(15)),
    ]
    assert profile.transfer_number and profile.transfer_number.startswith("+1")
    assert 5 <= len(profile.faq) <= 8
    assert DEFAULT_PATH == REPO / "data" / "business.yml"


@pytest.mark.parametrize(
    ("spoken", "service"),
    [
        ("haircut", "Haircut"),
        ("HAIRCUT", "Haircut"),
        ("hair cut", "Haircut"),
        ("trim", "Haircut"),
        ("color", "Colour"),
        ("Colour", "Colour"),
        ("dye", "Colour"),
        ("blow dry", "Blow-dry"),
        ("blowout", "Blow-dry"),
        ("  Blow-Dry ", "Blow-dry"),
        ("beard  trim", "Beard trim"),
        ("perm", None),
        ("", None),
    ],
)
def test_service_by_name_or_alias(spoken: str, service: str | None) -> None:
    found = load_profile(DEFAULT_PATH).service(spoken)
    assert (found.name if found else None) == service


# ---- loading -------------------------------------------------------------------------------


def write(path: Path, raw: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_business_profile_env_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "other.yml", changed("name", "Other Place"))
    monkeypatch.setenv("BUSINESS_PROFILE", str(path))
    assert load_profile().name == "Other Place"
    # An explicit path still wins over the environment.
    assert load_profile(DEFAULT_PATH).name == "Bella Hair Studio"


def test_without_env_the_default_file_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUSINESS_PROFILE", raising=False)
    assert load_profile().name == "Bella Hair Studio"


def test_cache_is_refreshed_when_the_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yml", VALID)
    first = load_profile(path)
    assert load_profile(str(path)) is first
    write(path, changed("name", "Renamed"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_profile(path).name == "Renamed"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (None, "cannot read"),
        ("name: [unclosed", "not valid YAML"),
        ("- a list", "expected a mapping"),
    ],
)
def test_unreadable_or_invalid_files_are_profile_errors(
    tmp_path: Path, content: str | None, needle: str
) -> None:
    path = tmp_path / "broken.yml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match=needle):
        load_profile(path)


def test_unquoted_yaml_times_are_explained(tmp_path: Path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(yaml.safe_dump(VALID).replace("'12:30'", "12:30"), encoding="utf-8")
    with pytest.raises(ProfileError, match="quote") as caught:
        load_profile(path)
    assert caught.value.field == "hours.tuesday.breaks[0].start"


# ---- the command line ----------------------------------------------------------------------


def test_main_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DEFAULT_PATH)]) == 0
    assert "Bella Hair Studio" in capsys.readouterr().out


def test_main_names_the_bad_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "bad.yml", changed("services[1].duration_minutes", 50))
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "services[1].duration_minutes" in captured.err


def test_module_runs_from_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yml", changed("capacity", 0))
    env = {k: v for k, v in os.environ.items() if k != "BUSINESS_PROFILE"}
    env["PYTHONPATH"] = str(REPO)
    bad = subprocess.run(
        [sys.executable, "-m", "actions.booking.profile", str(path)],
        cwd=REPO,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "capacity" in bad.stderr
    good = subprocess.run(
        [sys.executable, "-m", "actions.booking.profile"],
        cwd=REPO,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0 and "Bella Hair Studio" in good.stdout
