"""Callers' own words, end to end: the conversations of `tests/e2e/phrasings/*.yml`, each held
over REST and over the Retell socket against real servers, asserting what the caller hears and
what lands in the database.

A file holds a list of conversations:

    - name: books a haircut in one line               # unique within the file
      seed:                                           # optional: bookings made before the call
        - {name: Nora Quinn, email: nora@example.com, service: Haircut, start: "2026-12-09 10:00"}
      turns:
        - caller: "i want a haircut tomorrow at 3 my name is jane doe"
          says: ["What email address"]                # phrases that must be heard (any case)
          not: ["Goodbye"]                            # phrases that must not
          ends: "the confirmation to?"                # optional: how the turn ends
          socket: {end_call: true}                    # optional: flags on the socket's frames
        - caller: "jane at example dot com"
      expect:                                         # the database afterwards
        booked: [{name: Jane Doe, service: Haircut, start: "2026-12-02 15:00"}]
        nothing_booked: true                          # no row but the seeded ones
        seeds: [{status: cancelled}, {start: "2026-12-10 11:00"}]   # per seeded booking, by code
      known: the done line breaks the turn rule    # optional: a known failure, marked xfail

`{code}` (`{code1}`, ...) in a caller line or an expected phrase is the first (second, ...)
seeded booking's code, spelled as the assistant says it ("K 7 P 2 Q"). Times are business-local
("2026-12-02 15:00"); the clock is fixed at Tuesday, December 1st 2026, 9 AM. `status` defaults
to confirmed; a seed's row is found by its code, so finding it proves the code unchanged.

Each run starts from an empty bookings database holding only its seeds, so the REST and the
socket runs of one conversation (which book the same times) never meet. The module shares the
`plain` pair (pairs.py; the repository's profile, transfer number included): the factory empties
the bookings database for whichever module takes the pair next, so what these runs leave behind
reaches no other module. `socket` flags are checked on the socket only: `{flag: value}` must be
there, `{flag: null}` must not. `known` marks a conversation that fails today for a reason being
fixed elsewhere (expected to fail, reported as xfail, and as XPASS once fixed).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.storage.bookings import BookingStore
from tests.bookings import seed
from tests.e2e.calls import connect, run
from tests.e2e.pairs import empty_bookings

TZ = ZoneInfo("America/New_York")
PHRASINGS = Path(__file__).parent / "phrasings"
DURATIONS = {"Haircut": 45, "Colour": 90, "Blow-dry": 30, "Beard trim": 15}
TURN_KEYS = {"caller", "says", "not", "ends", "socket"}
EXPECT_KEYS = {"booked", "nothing_booked", "seeds"}


@dataclass
class Conversation:
    source: str
    name: str
    turns: list[dict[str, Any]]
    seed: list[dict[str, Any]]
    expect: dict[str, Any]
    known: str | None = None


def load(path: Path) -> list[Conversation]:
    found = []
    for item in yaml.safe_load(path.read_text()) or []:
        unknown = set(item) - {"name", "seed", "turns", "expect", "known"}
        assert not unknown, f"{path.name}: {item.get('name')}: unknown keys {unknown}"
        for turn in item["turns"]:
            assert set(turn) <= TURN_KEYS, f"{path.name}: {item['name']}: {turn}"
        assert set(item.get("expect") or {}) <= EXPECT_KEYS, f"{path.name}: {item['name']}"
        found.append(
            Conversation(
                path.name,
                item["name"],
                item["turns"],
                item.get("seed") or [],
                item.get("expect") or {},
                item.get("known"),
            )
        )
    names = [c.name for c in found]
    assert len(names) == len(set(names)), f"{path.name}: two conversations share a name"
    return found


def cases() -> list[Any]:
    params = []
    for path in sorted(PHRASINGS.glob("*.yml")):
        for conversation in load(path):
            known = []
            if conversation.known:
                known = [pytest.mark.xfail(reason=conversation.known, raises=AssertionError)]
            for channel in ("rest", "socket"):
                params.append(
                    pytest.param(
                        conversation,
                        channel,
                        id=f"{path.stem}: {conversation.name} [{channel}]",
                        marks=known,
                    )
                )
    return params


def local(text: str) -> datetime:
    return datetime.strptime(str(text), "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def fresh(store: BookingStore, seeds: list[dict[str, Any]]) -> list[Any]:
    """An empty bookings database (bookings, their units, the outbox, failed proofs), then the
    seeded bookings."""
    empty_bookings(store)
    made = []
    for wanted in seeds:
        service = wanted.get("service", "Haircut")
        made.append(
            seed(
                store,
                wanted["name"],
                wanted["email"],
                local(wanted["start"]),
                service,
                DURATIONS[service],
                wanted.get("phone"),
            )
        )
    return made


def filled(text: str, seeded: list[Any]) -> str:
    for index, booking in enumerate(seeded):
        spelled = " ".join(booking.code)
        if index == 0:
            text = text.replace("{code}", spelled)
        text = text.replace(f"{{code{index + 1}}}", spelled)
    return text


def check_turn_heard(
    conversation: Conversation, turn: dict, heard: str, flags: dict | None, seeded: list
) -> None:
    where = f"{conversation.name}: caller {turn['caller']!r} heard {heard!r}"
    lowered = heard.casefold()
    for phrase in turn.get("says") or []:
        assert filled(phrase, seeded).casefold() in lowered, f"missing {phrase!r}; {where}"
    for phrase in turn.get("not") or []:
        assert filled(phrase, seeded).casefold() not in lowered, f"unwanted {phrase!r}; {where}"
    if "ends" in turn:
        assert heard.endswith(filled(turn["ends"], seeded)), f"not ending {turn['ends']!r}; {where}"
    if flags is not None:
        for flag, value in (turn.get("socket") or {}).items():
            if value is None:
                assert flag not in flags, f"unwanted flag {flag}; {where} {flags}"
            else:
                assert flags.get(flag) == value, f"flag {flag}={value!r} wanted; {where} {flags}"


def hold_rest(assistant, conversation: Conversation, seeded: list) -> None:
    sender = f"phrasing-{uuid.uuid4().hex[:10]}"
    for turn in conversation.turns:
        heard = " ".join(assistant.say(sender, filled(str(turn["caller"]), seeded)))
        check_turn_heard(conversation, turn, heard, None, seeded)


def hold_socket(assistant, conversation: Conversation, seeded: list) -> None:
    async def call() -> None:
        sim = await connect(assistant)
        try:
            await sim.greeting()
            for turn in conversation.turns:
                response = await sim.say(filled(str(turn["caller"]), seeded))
                check_turn_heard(conversation, turn, response.text, response.flags, seeded)
                if response.flags.get("end_call") or response.flags.get("transfer_number"):
                    break  # the call is over; Retell sends nothing more
            assert not sim.fake.errors, sim.fake.errors
        finally:
            await sim.close()

    run(call(), 180)


def check_database(store: BookingStore, conversation: Conversation, seeded: list) -> None:
    expect = conversation.expect
    rows = store.list_bookings()
    seeded_codes = {b.code for b in seeded}
    new = [b for b in rows if b.code not in seeded_codes]
    summary = [(b.name, b.service, b.start.astimezone(TZ).isoformat(), b.status) for b in rows]
    for wanted in expect.get("booked") or []:
        matching = [
            b
            for b in new
            if b.name.casefold() == wanted["name"].casefold()
            and b.service == wanted.get("service", b.service)
            and b.start.astimezone(TZ) == local(wanted["start"])
            and b.status == wanted.get("status", "confirmed")
            and b.email.casefold() == wanted.get("email", b.email).casefold()
        ]
        assert len(matching) == 1, f"{conversation.name}: no booking {wanted} in {summary}"
    if expect.get("nothing_booked"):
        assert not new, f"{conversation.name}: nothing should be booked: {summary}"
    for booking, wanted in zip(seeded, expect.get("seeds") or []):
        row = store.get(booking.code)
        assert row is not None and row.reference == booking.reference, conversation.name
        assert row.status == wanted.get("status", "confirmed"), f"{conversation.name}: {summary}"
        start = local(wanted["start"]) if "start" in wanted else booking.start
        assert row.start == start, f"{conversation.name}: seed {booking.code} at {row.start}"


@pytest.mark.parametrize("conversation, channel", cases())
def test_conversation(assistant, store, conversation: Conversation, channel: str):
    seeded = fresh(store, conversation.seed)
    if channel == "rest":
        hold_rest(assistant, conversation, seeded)
    else:
        hold_socket(assistant, conversation, seeded)
    check_database(store, conversation, seeded)


def test_every_file_loads_and_names_are_unique():
    files = sorted(PHRASINGS.glob("*.yml"))
    passing = [c for f in files for c in load(f) if not c.known]
    assert len(passing) >= 60, len(passing)
