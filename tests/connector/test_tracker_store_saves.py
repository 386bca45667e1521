"""A save writes the rows Rasa's own SQLTrackerStore writes, turn after turn; it skips Rasa's
count query exactly when this process made the call's last write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connector.tracker_store import StrictSQLTrackerStore, event_row

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "rasa_project" / "domain.yml"))
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


@pytest.fixture
def stores(tmp_path):
    ours = StrictSQLTrackerStore(domain=DOMAIN, url=f"sqlite:///{tmp_path / 'ours.db'}",
                                 wait_seconds=1)  # fmt: skip
    rasas = SQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}")
    yield ours, rasas
    ours.engine.dispose()
    rasas.engine.dispose()


def rows(store: SQLTrackerStore) -> list[tuple]:
    with store.engine.connect() as connection:
        result = connection.execute(sa.text(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY id"))
        return [tuple(row) for row in result]


def turn(tracker: DialogueStateTracker, text: str, slot: str, value: object) -> None:
    for event in (UserUttered(text, {"name": "inform", "confidence": 0.9}),
                  SlotSet(slot, value), BotUttered(f"got {value}"),
                  ActionExecuted("action_listen")):  # fmt: skip
        tracker.update(event)


def counted(store: SQLTrackerStore, monkeypatch) -> list[str]:
    """Records each time Rasa's count of stored events runs."""
    calls: list[str] = []
    original = SQLTrackerStore._additional_events

    def spy(self, session, tracker):
        if self is store:
            calls.append(tracker.sender_id)
        return original(self, session, tracker)

    monkeypatch.setattr(SQLTrackerStore, "_additional_events", spy)
    return calls


def save_both(ours, rasas, tracker) -> None:
    asyncio.run(ours.save(tracker))
    asyncio.run(rasas.save(tracker))


def test_turn_after_turn_the_rows_are_rasas_and_the_count_query_runs_once(stores, monkeypatch):
    ours, rasas = stores
    counts = counted(ours, monkeypatch)
    tracker = DialogueStateTracker("call-1", DOMAIN.slots)
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")):  # fmt: skip
        tracker.update(event)
    save_both(ours, rasas, tracker)
    for text, slot, value in (("a beard trim", "service", "beard trim"),
                              ("my name is ann", "customer_name", "Ann"),
                              ("friday", "booking_date", "2026-12-04")):  # fmt: skip
        tracker = asyncio.run(ours.retrieve("call-1"))
        turn(tracker, text, slot, value)
        save_both(ours, rasas, tracker)
    tracker = asyncio.run(ours.retrieve("call-1"))
    save_both(ours, rasas, tracker)  # a save with nothing new writes nothing

    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) == 3 + 3 * 4
    assert counts == ["call-1"]  # the first save only: later ones knew the count


def test_a_new_session_within_a_call_is_saved_as_rasa_saves_it(stores):
    ours, rasas = stores
    tracker = DialogueStateTracker("call-2", DOMAIN.slots)
    turn(tracker, "a haircut", "service", "haircut")
    save_both(ours, rasas, tracker)
    tracker = asyncio.run(ours.retrieve("call-2"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(),
                  ActionExecuted("action_listen")):  # fmt: skip
        tracker.update(event)
    turn(tracker, "cancel my booking", "booking_reference", "BK-1")
    save_both(ours, rasas, tracker)
    tracker = asyncio.run(ours.retrieve("call-2"))  # the new session only
    assert [e.type_name for e in tracker.events][0] == "session_started"
    turn(tracker, "yes", "confirmed", True)
    save_both(ours, rasas, tracker)

    assert rows(ours) == rows(rasas)
    assert len(rows(ours)) == 4 + 3 + 4 + 4


def test_after_another_process_wrote_the_save_counts_again(stores, tmp_path, monkeypatch):
    ours, rasas = stores
    tracker = DialogueStateTracker("call-3", DOMAIN.slots)
    turn(tracker, "a haircut", "service", "haircut")
    save_both(ours, rasas, tracker)

    other = StrictSQLTrackerStore(domain=DOMAIN, url=str(ours.engine.url), wait_seconds=1)
    try:
        theirs = asyncio.run(other.retrieve("call-3"))
        turn(theirs, "friday please", "booking_date", "2026-12-04")
        asyncio.run(other.save(theirs))
        asyncio.run(rasas.save(theirs))
    finally:
        other.engine.dispose()

    counts = counted(ours, monkeypatch)
    tracker = asyncio.run(ours.retrieve("call-3"))
    turn(tracker, "at 3 pm", "booking_time", "15:00")
    save_both(ours, rasas, tracker)
    assert counts == ["call-3"]  # the kept count was stale: Rasa's own save ran
    assert rows(ours) == rows(rasas)
    assert asyncio.run(ours.retrieve("call-3")).get_slot("booking_date") == "2026-12-04"


def test_a_row_is_rasas_row_for_the_event():
    user = UserUttered("hi", {"name": "greet", "confidence": 0.99})
    action = ActionExecuted("action_listen")
    assert event_row("c", user)["intent_name"] == "greet"
    assert event_row("c", user)["action_name"] is None
    assert event_row("c", action)["action_name"] == "action_listen"
    assert event_row("c", action)["type_name"] == "action"
