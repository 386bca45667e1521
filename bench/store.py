"""Tracker store cost per turn: Rasa's own SQL tracker store against ours, on the embedded SQLite.

    .venv/bin/python -m bench.store [--calls 40] [--rounds 3]

Every Rasa turn reads the call's tracker and saves it again. This replays the booking
conversation's turns (the events a form turn writes: user message, form, slots, bot lines,
listen) for `--calls` calls of 8 turns each, and times read + save per turn: with Rasa 3.6's
`SQLTrackerStore` as shipped (the baseline: a new SQLite connection per read or save, rollback
journal, the event class looked up by walking every `Event` subclass) and with ours
(`StrictSQLTrackerStore`: pooled connections, write-ahead log, the event class lookup kept;
see connector/tracker_store.py and connector/rasa_patches/tuning.py). The two alternate for
`--rounds`
rounds, each on a fresh database file; the median is reported. Prints JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connector.rasa_patches import tuning
from connector.tracker_store import StrictSQLTrackerStore

DOMAIN = Path(__file__).resolve().parents[1] / "rasa_project" / "domain.yml"
TURNS = [
    ("book", "service", "beard trim", "What name is the booking under?"),
    ("inform", "customer_name", "Caller Smith", "And your email?"),
    ("inform", "email", "caller@example.com", "Which day suits you?"),
    ("inform", "booking_date", "2026-12-04", "Which time?"),
    ("ask_question", "failed_value", None, "There's parking behind the salon."),
    ("inform", "booking_time", "10:00", "Shall I book it?"),
    ("affirm", "booking_confirmed", True, "You're booked."),
    ("goodbye", "booking_reference", "BK-1234", "Goodbye!"),
]


def turn_events(intent: str, slot: str, value: object, line: str) -> list:
    return [
        UserUttered(f"a caller's {intent} line", {"name": intent, "confidence": 0.95}),
        ActionExecuted("booking_form"),
        ActiveLoop("booking_form"),
        SlotSet(slot, value),
        SlotSet("requested_slot", "date"),
        BotUttered(line, {"elements": None}),
        ActionExecuted("action_listen"),
    ]


async def replay(store, domain: Domain, calls: int) -> float:
    """Milliseconds per turn (read + save), over `calls` calls of 8 turns."""
    started = time.perf_counter()
    for call in range(calls):
        sender = f"bench-{call}"
        for turn in TURNS:
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, domain.slots)
            for event in turn_events(*turn):
                tracker.update(event)
            await store.save(tracker)
    return 1000 * (time.perf_counter() - started) / (calls * len(TURNS))


def measure(kind: str, domain: Domain, calls: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/tracker.db"
        if kind == "rasa":
            tuning.uninstall()
            store = SQLTrackerStore(domain=domain, host=url)
        else:
            tuning.install()
            store = StrictSQLTrackerStore(domain=domain, url=url, wait_seconds=1)
        try:
            return asyncio.run(replay(store, domain, calls))
        finally:
            store.engine.dispose()
            tuning.install()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    domain = Domain.load(str(DOMAIN))
    times: dict[str, list[float]] = {"rasa": [], "ours": []}
    for _ in range(args.rounds):
        for kind in times:
            times[kind].append(measure(kind, domain, args.calls))
    result = {kind: round(statistics.median(values), 2) for kind, values in times.items()}
    result["speed-up"] = round(result["rasa"] / result["ours"], 2)
    print(
        f"read + save per turn: Rasa's SQLTrackerStore {result['rasa']} ms, "
        f"ours {result['ours']} ms ({result['speed-up']}x faster)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
