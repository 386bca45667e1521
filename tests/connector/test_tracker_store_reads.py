"""The tracker store's next read of a call comes from what this process saved, exactly when the
database holds nothing newer; otherwise it reads the database as Rasa does."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from connector.tracker_store import StrictSQLTrackerStore, latest_session

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "rasa_project" / "domain.yml"))


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def store(url):
    store = StrictSQLTrackerStore(domain=DOMAIN, url=url, wait_seconds=1)
    yield store
    store.engine.dispose()


def turn(tracker: DialogueStateTracker, text: str, slot: str, value: object) -> None:
    for event in (
        UserUttered(text, {"name": "inform", "confidence": 0.9}),
        SlotSet(slot, value),
        BotUttered(f"got {value}"),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)


def dumped(tracker: DialogueStateTracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def database_read(store: StrictSQLTrackerStore, sender: str) -> DialogueStateTracker:
    return asyncio.run(SQLTrackerStore.retrieve(store, sender))


def test_the_next_read_equals_the_database_and_is_a_new_tracker(store, monkeypatch):
    tracker = DialogueStateTracker("call-1", DOMAIN.slots)
    turn(tracker, "i want a beard trim", "service", "beard trim")
    asyncio.run(store.save(tracker))

    reads = []
    monkeypatch.setattr(
        SQLTrackerStore, "retrieve", lambda self, sender: reads.append(sender) or None
    )
    again = asyncio.run(store.retrieve("call-1"))
    monkeypatch.undo()
    assert reads == []  # answered without reading the events
    assert again is not tracker
    assert dumped(again) == dumped(database_read(store, "call-1"))
    assert again.get_slot("service") == "beard trim"

    turn(again, "my name is ann", "customer_name", "Ann")  # Rasa's next turn, on the copy
    assert tracker.get_slot("customer_name") is None  # the kept tracker is untouched
    asyncio.run(store.save(again))
    third = asyncio.run(store.retrieve("call-1"))
    assert dumped(third) == dumped(database_read(store, "call-1"))
    assert third.get_slot("customer_name") == "Ann"


def test_a_write_by_another_process_is_read_from_the_database(store, url):
    tracker = DialogueStateTracker("call-2", DOMAIN.slots)
    turn(tracker, "i want a haircut", "service", "haircut")
    asyncio.run(store.save(tracker))

    other = StrictSQLTrackerStore(domain=DOMAIN, url=url, wait_seconds=1)  # another replica
    try:
        theirs = asyncio.run(other.retrieve("call-2"))
        turn(theirs, "friday please", "booking_date", "2026-12-04")
        asyncio.run(other.save(theirs))
    finally:
        other.engine.dispose()

    ours = asyncio.run(store.retrieve("call-2"))
    assert ours.get_slot("booking_date") == "2026-12-04"
    assert dumped(ours) == dumped(database_read(store, "call-2"))


def test_an_unknown_call_is_none(store):
    assert asyncio.run(store.retrieve("never-called")) is None


def test_only_the_latest_session_is_read_back(store):
    tracker = DialogueStateTracker("call-3", DOMAIN.slots)
    turn(tracker, "i want a haircut", "service", "haircut")
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    turn(tracker, "cancel my booking", "booking_reference", "BK-1")
    asyncio.run(store.save(tracker))

    again = asyncio.run(store.retrieve("call-3"))
    assert dumped(again) == dumped(database_read(store, "call-3"))
    assert [e.type_name for e in again.events][0] == "session_started"
    assert again.get_slot("service") is None


def test_latest_session_keeps_everything_without_a_session_start():
    events = [UserUttered("hi"), ActionExecuted("action_listen")]
    assert latest_session(events) == events
