"""The business profile: `data/business.yml` read, validated and turned into frozen values.

`parse_profile(raw)` is pure: a dict (as YAML gives it) in, a `BusinessProfile` out, or a
`ProfileError` whose `.field` is the dotted path of the first bad value ("services[2].price",
"hours.tuesday.breaks[0].end"), so a business owner editing the file learns exactly what to fix.
`load_profile()` adds the file reading and a cache keyed on the file's modification time, so an
edit is picked up without a restart. `python -m actions.booking.profile [path]` checks a file.

Not here: what the hours mean for a booking (scheduling.py) or how anything is spoken
(spoken/render.py).

Optional keys and their defaults: phone, transfer_number (none), closures, faq (empty),
min_notice_minutes 60, slot_minutes 15, capacity 1, horizon_days 60.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

ENV_PATH = "BUSINESS_PROFILE"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "business.yml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REQUIRED = ("name", "timezone", "country", "currency", "address", "hours", "services")
DEFAULTS: dict[str, Any] = {
    "phone": None,
    "transfer_number": None,
    "closures": [],
    "faq": [],
    "min_notice_minutes": 60,
    "slot_minutes": 15,
    "capacity": 1,
    "horizon_days": 60,
}
_E164 = r"\+[1-9]\d{7,14}"
_HHMM = r"([01]?\d|2[0-3]):([0-5]\d)"


class ProfileError(ValueError):
    """An invalid profile. `field` is a dotted path ("" when the whole file is the problem)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class Period:
    start: time
    end: time


@dataclass(frozen=True)
class DayHours:
    open: time
    close: time
    breaks: tuple[Period, ...] = ()

    def open_periods(self) -> tuple[Period, ...]:
        """The opening hours minus the breaks, in order; touching breaks leave no empty period."""
        periods, cursor = [], self.open
        for pause in sorted(self.breaks, key=lambda b: b.start):
            if pause.start > cursor:
                periods.append(Period(cursor, pause.start))
            cursor = max(cursor, pause.end)
        if cursor < self.close:
            periods.append(Period(cursor, self.close))
        return tuple(periods)


@dataclass(frozen=True)
class Service:
    name: str
    duration_minutes: int
    price: Decimal
    description: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True)
class BusinessProfile:
    name: str
    timezone: str
    country: str
    currency: str
    phone: str | None
    address: str
    transfer_number: str | None
    hours: dict[int, DayHours | None] = field(hash=False)  # 0 = Monday; a dict cannot be hashed
    closures: frozenset[date] = frozenset()
    min_notice_minutes: int = 60
    slot_minutes: int = 15
    capacity: int = 1
    horizon_days: int = 60
    services: tuple[Service, ...] = ()
    faq: tuple[FaqEntry, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def service(self, name_or_alias: str) -> Service | None:
        """The service named or aliased `name_or_alias`, ignoring case and extra spaces."""
        wanted = _norm(name_or_alias)
        for service in self.services:
            if wanted == _norm(service.name) or wanted in map(_norm, service.aliases):
                return service
        return None


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _got(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _mapping(
    value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> dict:
    if not isinstance(value, dict):
        raise ProfileError(path, f"expected a mapping, got {_got(value)}")
    prefix = f"{path}." if path else ""
    for key in value:
        if key not in required and key not in optional:
            known = ", ".join((*required, *optional))
            raise ProfileError(f"{prefix}{key}", f"unknown key (a typo?); expected one of {known}")
    for key in required:
        if key not in value:
            raise ProfileError(f"{prefix}{key}", "missing")
    return value


def _list(value: Any, path: str) -> list:
    if value is None:  # an empty YAML key (`breaks:`) means an empty list
        return []
    if not isinstance(value, list):
        raise ProfileError(path, f"expected a list, got {_got(value)}")
    return value


def _text(value: Any, path: str, pattern: str | None = None, like: str = "") -> str:
    if not isinstance(value, str) or not value.strip():
        hint = " (quote it in YAML)" if isinstance(value, (int, float)) else ""
        raise ProfileError(path, f"expected a non-empty string{hint}, got {_got(value)}")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ProfileError(path, f"expected {like}, got {value!r}")
    return value.strip()


def _int(value: Any, path: str, minimum: int) -> int:
    # bool is an int in Python; `capacity: yes` is a typo, not 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProfileError(path, f"expected a whole number, got {_got(value)}")
    if value < minimum:
        raise ProfileError(path, f"must be at least {minimum}, got {value}")
    return value


def _time(value: Any, path: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 12:30 as the sexagesimal number 750.
        raise ProfileError(
            path, f'expected a quoted "HH:MM" time, got the number {value}; quote it'
        )
    hour, minute = _text(value, path, _HHMM, 'a "HH:MM" time like "09:00"').split(":")
    return time(int(hour), int(minute))


def _price(value: Any, path: str) -> Decimal:
    try:  # str() first: Decimal(40.1) would carry the float's binary error
        price = Decimal("nan" if isinstance(value, bool) else str(value))
    except InvalidOperation:
        price = Decimal("nan")
    if not price.is_finite() or price < 0:
        raise ProfileError(path, f"expected a price of 0 or more, got {_got(value)}")
    return price


def _day(value: Any, path: str) -> DayHours | None:
    if isinstance(value, str) and value.strip().lower() == "closed":
        return None
    if not isinstance(value, dict):
        raise ProfileError(path, f'expected "closed" or {{open, close, breaks}}, got {_got(value)}')
    raw = _mapping(value, path, ("open", "close"), ("breaks",))
    opens, closes = _time(raw["open"], f"{path}.open"), _time(raw["close"], f"{path}.close")
    if closes <= opens:
        raise ProfileError(f"{path}.close", f"must be after open ({opens:%H:%M})")
    breaks: list[Period] = []
    for i, item in enumerate(_list(raw.get("breaks"), f"{path}.breaks")):
        at = f"{path}.breaks[{i}]"
        pause = _mapping(item, at, ("start", "end"))
        start, end = _time(pause["start"], f"{at}.start"), _time(pause["end"], f"{at}.end")
        if start < opens:
            raise ProfileError(f"{at}.start", f"is before opening ({opens:%H:%M})")
        if end <= start:
            raise ProfileError(f"{at}.end", f"must be after the break's start ({start:%H:%M})")
        if end > closes:
            raise ProfileError(f"{at}.end", f"is after closing ({closes:%H:%M})")
        for j, other in enumerate(breaks):
            if start < other.end and other.start < end:
                raise ProfileError(f"{at}.start", f"overlaps breaks[{j}]")
        breaks.append(Period(start, end))
    return DayHours(opens, closes, tuple(sorted(breaks, key=lambda b: b.start)))


def _hours(value: Any) -> dict[int, DayHours | None]:
    raw = _mapping(value, "hours", WEEKDAYS)
    hours = {i: _day(raw[day], f"hours.{day}") for i, day in enumerate(WEEKDAYS)}
    if all(h is None for h in hours.values()):
        raise ProfileError("hours", "closed every day of the week")
    return hours


def _services(value: Any, slot: int) -> tuple[Service, ...]:
    if not (items := _list(value, "services")):
        raise ProfileError("services", "at least one service is needed")
    seen: dict[str, str] = {}  # normalised name or alias -> the field that used it first
    services = []
    for i, item in enumerate(items):
        at = f"services[{i}]"
        raw = _mapping(item, at, ("name", "duration_minutes", "price"), ("description", "aliases"))
        minutes = _int(raw["duration_minutes"], f"{at}.duration_minutes", 1)
        if minutes % slot:
            raise ProfileError(
                f"{at}.duration_minutes",
                f"must be a multiple of slot_minutes ({slot}), got {minutes}",
            )
        words = {f"{at}.name": _text(raw["name"], f"{at}.name")}
        for j, alias in enumerate(_list(raw.get("aliases"), f"{at}.aliases")):
            words[f"{at}.aliases[{j}]"] = _text(alias, f"{at}.aliases[{j}]")
        # Names and aliases share one namespace: "trim" may not mean two services.
        for where, word in words.items():
            if _norm(word) in seen:
                raise ProfileError(where, f"{word!r} is already used by {seen[_norm(word)]}")
            seen[_norm(word)] = where
        description = raw.get("description") or ""
        if not isinstance(description, str):
            raise ProfileError(f"{at}.description", f"expected a string, got {_got(description)}")
        name, *aliases = words.values()
        price = _price(raw["price"], f"{at}.price")
        services.append(Service(name, minutes, price, description.strip(), tuple(aliases)))
    return tuple(services)


def _closures(value: Any) -> frozenset[date]:
    days = set()
    for i, item in enumerate(_list(value, "closures")):
        if isinstance(item, str):  # a quoted date, or a profile built from JSON
            try:
                item = date.fromisoformat(item.strip())
            except ValueError:
                pass
        if not isinstance(item, date) or isinstance(item, datetime):
            raise ProfileError(
                f"closures[{i}]", f"expected a date like 2026-12-25, got {_got(item)}"
            )
        days.add(item)
    return frozenset(days)


def _faq(value: Any) -> tuple[FaqEntry, ...]:
    raws = [
        _mapping(item, f"faq[{i}]", ("question", "answer"))
        for i, item in enumerate(_list(value, "faq"))
    ]
    return tuple(
        FaqEntry(*(_text(raw[key], f"faq[{i}].{key}") for key in ("question", "answer")))
        for i, raw in enumerate(raws)
    )


def _timezone(value: Any, slot: int) -> str:
    name = _text(value, "timezone")
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(
            "timezone", f"unknown IANA timezone {name!r} (e.g. America/New_York)"
        ) from None
    # Occupancy is counted on a UTC grid (scheduling.unit_starts); it matches the local grid only
    # when every UTC offset is a multiple of the slot (not so for India's +5:30 with 60 minutes).
    offsets = {tz.utcoffset(datetime(y, m, 15)) for y in range(2020, 2031) for m in (1, 7)}
    if any(o is None or o.total_seconds() % (slot * 60) for o in offsets):
        raise ProfileError("slot_minutes", f"{slot} does not fit the UTC offsets of {name}")
    return name


def parse_profile(raw: Any) -> BusinessProfile:
    """Validate a profile as loaded from YAML; raise ProfileError naming the first bad field."""
    value = {**DEFAULTS, **_mapping(raw, "", REQUIRED, tuple(DEFAULTS))}
    slot = _int(value["slot_minutes"], "slot_minutes", 1)
    if 60 % slot:
        raise ProfileError("slot_minutes", f"must divide 60 (5, 10, 15, 20, 30 or 60), got {slot}")
    phones = {
        key: None
        if value[key] is None
        else _text(value[key], key, _E164, 'E.164 like "+12125550143"')
        for key in ("phone", "transfer_number")
    }
    return BusinessProfile(
        name=_text(value["name"], "name"),
        timezone=_timezone(value["timezone"], slot),
        country=_text(value["country"], "country", "[A-Z]{2}", "a 2-letter code like US"),
        currency=_text(value["currency"], "currency", "[A-Z]{3}", "a 3-letter code like USD"),
        phone=phones["phone"],
        address=_text(value["address"], "address"),
        transfer_number=phones["transfer_number"],
        hours=_hours(value["hours"]),
        closures=_closures(value["closures"]),
        min_notice_minutes=_int(value["min_notice_minutes"], "min_notice_minutes", 0),
        slot_minutes=slot,
        capacity=_int(value["capacity"], "capacity", 1),
        horizon_days=_int(value["horizon_days"], "horizon_days", 1),
        services=_services(value["services"], slot),
        faq=_faq(value["faq"]),
    )


def profile_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The file `load_profile(path)` reads: `path`, else $BUSINESS_PROFILE, else the default."""
    return Path(path or os.environ.get(ENV_PATH) or DEFAULT_PATH).expanduser().resolve()


_cache: dict[Path, tuple[int, BusinessProfile]] = {}


def load_profile(path: str | os.PathLike[str] | None = None) -> BusinessProfile:
    """Read and validate the profile; re-read only when the file's mtime changes."""
    resolved = profile_path(path)
    try:
        mtime = resolved.stat().st_mtime_ns
        cached = _cache.get(resolved)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        text = resolved.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileError("", f"cannot read the business profile {resolved}: {error}") from error
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ProfileError("", f"{resolved} is not valid YAML: {error}") from error
    profile = parse_profile(raw)
    _cache[resolved] = (mtime, profile)
    return profile


def main(argv: list[str] | None = None) -> int:
    """`python -m actions.booking.profile [path]`: 0 and a summary, or 2 and the bad field on
    stderr."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        print("usage: python -m actions.booking.profile [path]", file=sys.stderr)
        return 2
    path = args[0] if args else None
    try:
        profile = load_profile(path)
    except ProfileError as error:
        print(f"invalid business profile {profile_path(path)}: {error}", file=sys.stderr)
        return 2
    days = sum(h is not None for h in profile.hours.values())
    print(
        f"{profile.name} ({profile.timezone}): open {days} days a week, "
        f"{len(profile.services)} services, {len(profile.closures)} closures, "
        f"{len(profile.faq)} FAQ entries, {profile.slot_minutes}-minute slots"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
