"""The spoken-value corpus: tests/corpus/<parser>.yml, one case per line of caller speech.

Each file holds `cases` (input, then `expected` or `fail: true` with an optional `reason`
substring) plus what its parser needs (a fixed "now" and timezone for dates, the salon's hours
for times). Test ids are the inputs themselves.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.spoken.parsing import (
    Failure,
    find_date_time,
    find_email,
    normalise,
    parse_date,
    parse_email,
    parse_name,
    parse_time,
    parse_yes_no,
    resolve_time,
)

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILES = ["dates", "times", "date_times", "emails", "names", "yes_no"]
MIN_CASES, MIN_FAILURES = 40, 10


@cache
def load(name: str) -> dict:
    return yaml.safe_load((CORPUS / f"{name}.yml").read_text(encoding="utf-8"))


def cases(name: str) -> list:
    return [pytest.param(case, id=case["input"] or "<empty>") for case in load(name)["cases"]]


def now_of(name: str) -> datetime:
    data = load(name)
    return datetime.fromisoformat(data["now"]).replace(tzinfo=ZoneInfo(data["timezone"]))


def hours_of(name: str):
    data = load(name)
    opening, closing = time.fromisoformat(data["open"]), time.fromisoformat(data["close"])
    return opening, lambda t: opening <= t < closing


def check_failure(value, case: dict) -> None:
    assert isinstance(value, Failure), f"expected a failure, got {value!r}"
    assert case.get("reason", "").lower() in value.reason.lower()


# ---------------------------------------------------------------------------- the corpus itself


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_is_big_enough_and_well_formed(name):
    all_cases = load(name)["cases"]
    assert len(all_cases) >= MIN_CASES
    assert sum(1 for c in all_cases if c.get("fail")) >= MIN_FAILURES
    for case in all_cases:
        assert isinstance(case["input"], str), case  # unquoted yes/no/15:00 turn into non-strings
        assert ("expected" in case) != bool(case.get("fail")), case
        assert case["input"] == case["input"].lower(), "speech recognition sends lowercase"


@pytest.mark.parametrize("name", FILES)
def test_no_input_appears_twice_in_a_file(name):
    counts = Counter(" ".join(c["input"].split()) for c in load(name)["cases"])
    assert [text for text, n in counts.items() if n > 1] == []


# ---------------------------------------------------------------------------- the parsers


@pytest.mark.parametrize("case", cases("dates"))
def test_dates(case):
    now = now_of("dates")
    value = parse_date(case["input"], now.date(), now)
    if case.get("fail"):
        check_failure(value, case)
    else:
        assert value == date.fromisoformat(case["expected"])


@pytest.mark.parametrize("case", cases("times"))
def test_times(case):
    opening, is_open = hours_of("times")
    value = parse_time(case["input"], is_open, opening)
    if case.get("fail"):
        check_failure(value, case)
    else:
        assert value == time.fromisoformat(case["expected"])


@pytest.mark.parametrize("case", cases("date_times"))
def test_date_times(case):
    now = now_of("date_times")
    opening, is_open = hours_of("date_times")
    found_date, found_time = find_date_time(case["input"], now.date())
    if case.get("fail"):
        failed = found_date is not None and isinstance(found_date.value, Failure)
        if not failed:
            assert (found_date, found_time) == (None, None)
        else:
            check_failure(found_date.value, case)
        return
    assert found_date is None or isinstance(found_date.value, date), found_date
    parts = [found_date.value.isoformat()] if found_date else []
    if found_time is not None:
        parts.append(resolve_time(found_time, is_open, opening).strftime("%H:%M"))
    assert "T".join(parts) == case["expected"]


@pytest.mark.parametrize("case", cases("emails"))
def test_emails(case):
    text = case["input"]
    value = parse_email(text)
    if case.get("fail"):
        check_failure(value, case)
        assert find_email(text, answer=True) is None
        assert find_email(text) is None
        return
    assert value == case["expected"]
    address, (start, end) = find_email(text, answer=True)
    assert address == value
    if "span" in case:
        assert normalise(text)[start:end] == case["span"]
    in_passing = find_email(text)
    assert (in_passing and in_passing[0]) == case.get("in_passing", value)


@pytest.mark.parametrize("case", cases("names"))
def test_names(case):
    value = parse_name(case["input"])
    if case.get("fail"):
        check_failure(value, case)
    else:
        assert value == case["expected"]


@pytest.mark.parametrize("case", cases("yes_no"))
def test_yes_no(case):
    expected = None if case.get("fail") else case["expected"]
    assert parse_yes_no(case["input"]) is expected
