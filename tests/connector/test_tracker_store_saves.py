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

from connector.tracker_store import Saved, StrictSQLTrackerStore, continues, event_row

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "rasa_project" / "domain.yml"))
COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")


@pytest.fixture
def stores(tmp_path):
    ours = StrictSQLTrackerStore(
        domain=DOMAIN, url=f"sqlite:///{tmp_path / 'ours.db'}", wait_seconds=1
    )
    rasas = SQLTrackerStore(domain=DOMAIN, host=f"sqlite:///{tmp_path / 'rasa.db'}")
    yield ours, rasas
    ours.engine.dispose()
    rasas.engine.dispose()


def rows(store: SQLTrackerStore) -> list[tuple]:
    with store.engine.connect() as connection:
        result = connection.execute(sa.text(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY id"))
        return [tuple(row) for row in result]


def turn(tracker: DialogueStateTracker, text: str, slot: str, value: object) -> None:
    for event in (
        UserUttered(text, {"name": "inform", "confidence": 0.9}),
        SlotSet(slot, value),
        BotUttered(f"got {value}"),
        ActionExecuted("action_listen"),
    ):
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
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ):
        tracker.update(event)
    save_both(ours, rasas, tracker)
    for text, slot, value in (
        ("a beard trim", "service", "beard trim"),
        ("my name is ann", "customer_name", "Ann"),
        ("friday", "booking_date", "2026-12-04"),
    ):
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
    for event in (
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ):
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


def save_fails(store: StrictSQLTrackerStore, sender: str, monkeypatch) -> DialogueStateTracker:
    """A call with one saved turn, then a turn (the email) whose save fails past the retries, as
    with the database down. Returns the tracker of the saved turn."""
    monkeypatch.setattr(store, "retry_seconds", 0.3)
    saved = DialogueStateTracker.from_events(
        sender, [ActionExecuted("action_listen")], slots=DOMAIN.slots
    )
    turn(saved, "my name is pia", "customer_name", "Pia")
    asyncio.run(store.save(saved))
    heard = asyncio.run(store.retrieve(sender))
    turn(heard, "pia at example dot com", "email", "pia@example.com")

    async def down(*_):
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patch:
        patch.setattr(store, "_save", down)
        with pytest.raises(sa.exc.OperationalError):
            asyncio.run(store.save(heard))
    return saved


def test_a_turn_whose_save_failed_is_written_with_the_next_save(stores, tmp_path, monkeypatch):
    """The database down past the retries at the end of a turn the caller has heard: the turn is
    kept, the next read goes on from it, and the next save writes it too (once)."""
    ours, _ = stores
    save_fails(ours, "call-gap", monkeypatch)
    after = asyncio.run(ours.retrieve("call-gap"))
    assert after.get_slot("email") == "pia@example.com"  # the unsaved turn, not the older state
    turn(after, "saturday", "booking_date", "2026-12-05")
    asyncio.run(ours.save(after))

    # What a restarted server reads: every turn, each event once.
    again = StrictSQLTrackerStore(
        domain=DOMAIN, url=f"sqlite:///{tmp_path / 'ours.db'}", wait_seconds=1
    )
    try:
        read = asyncio.run(again.retrieve("call-gap"))
    finally:
        again.engine.dispose()
    texts = [e.text for e in read.events if isinstance(e, UserUttered)]
    assert texts == ["my name is pia", "pia at example dot com", "saturday"]
    assert (
        read.get_slot("customer_name"),
        read.get_slot("email"),
        read.get_slot("booking_date"),
    ) == ("Pia", "pia@example.com", "2026-12-05")


def test_an_unsaved_turn_gives_way_to_a_newer_write(stores, monkeypatch):
    """Another process wrote the call after the failed save: the database is read, as Rasa does."""
    ours, _ = stores
    saved = save_fails(ours, "call-other", monkeypatch)
    other = DialogueStateTracker.from_events("call-other", list(saved.events), slots=DOMAIN.slots)
    turn(other, "noor at example dot com", "email", "noor@example.com")
    with ours.engine.begin() as connection:  # a replica's write, behind this process's back
        connection.execute(
            ours._events.insert(),
            [event_row("call-other", event) for event in list(other.events)[len(saved.events) :]],
        )
    assert asyncio.run(ours.retrieve("call-other")).get_slot("email") == "noor@example.com"


def test_only_a_continuation_in_the_same_session_is_kept_unsaved():
    saved = DialogueStateTracker.from_events("call-c", [ActionExecuted("action_listen")])
    turn(saved, "my name is pia", "customer_name", "Pia")
    stored = len(saved.events)
    same = DialogueStateTracker.from_events("call-c", list(saved.events))
    turn(same, "pia at example dot com", "email", "pia@example.com")
    assert continues(Saved(saved, 7, stored), same)
    assert not continues(None, same)  # nothing saved before: the database knows best
    assert not continues(Saved(saved, None, stored), same)  # the id after that save is unknown
    new_session = DialogueStateTracker.from_events("call-c", list(saved.events))
    new_session.update(SessionStarted())
    turn(new_session, "hello again", "email", "pia@example.com")
    assert not continues(Saved(saved, 7, stored), new_session)  # the stored count is another's
