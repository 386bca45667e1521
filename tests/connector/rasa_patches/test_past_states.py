"""A call's dialogue states, kept and continued (connector/rasa_patches/past_states.py), are Rasa's
own: checked against `Domain.states_for_tracker_history` after every event of the project's
stories, rules and
test conversations, with every argument set, and through reverts, restarts and callers that edit
what they are given."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.training import load_data
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from connector.rasa_patches import past_states
from tests.e2e.servers import PROJECT

RASAS = past_states._original


def test_the_server_uses_it() -> None:
    assert Domain.states_for_tracker_history is past_states.states_for_tracker_history
    assert DialogueStateTracker.applied_events is past_states.applied_events


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


@pytest.fixture(scope="module")
def histories(domain: Domain) -> list[Any]:
    """The project's stories, rules and test conversations as Rasa trains and tests on them."""
    found = []
    for folder in ("data/stories", "data/rules", "tests"):
        for path in sorted((PROJECT / folder).glob("*.yml")):
            found += load_data(str(path), domain, augmentation_factor=0)
    assert len(found) > 20 and any(t.is_rule_tracker for t in found)
    return found


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    past_states.forget()
    yield
    past_states.forget()


def argument_sets(domain: Domain) -> list[dict[str, Any]]:
    rule_only = {
        "rule_only_slots": list(domain.slots[i].name for i in range(2)),
        "rule_only_loops": list(domain.form_names),
    }
    return [
        {"omit_unset_slots": omit, "ignore_rule_only_turns": ignore, "rule_only_data": data}
        for omit, ignore, data in itertools.product((False, True), (False, True), (None, rule_only))
    ]


def assert_as_rasa(domain: Domain, tracker: DialogueStateTracker, where: str) -> None:
    expected_events = past_states._original_applied(tracker)
    applied = tracker.applied_events()
    assert len(applied) == len(expected_events), where
    assert all(a is b for a, b in zip(applied, expected_events)), where
    for arguments in argument_sets(domain):
        expected = RASAS(domain, tracker, **arguments)
        assert past_states.states_for_tracker_history(domain, tracker, **arguments) == expected, (
            f"{where} {arguments}"
        )


def grow(
    domain: Domain,
    sender: str,
    events: list[Event],
    rule: bool = False,
    tracker: DialogueStateTracker | None = None,
) -> DialogueStateTracker:
    """A live tracker given `events` one at a time, checked against Rasa after each."""
    tracker = tracker or DialogueStateTracker(sender, domain.slots, is_rule_tracker=rule)
    for n, event in enumerate(events):
        tracker.update(event)
        assert_as_rasa(domain, tracker, f"{sender} after event {n} ({event!r})")
    return tracker


def test_every_prefix_of_every_story_rule_and_test_conversation(
    domain: Domain, histories: list[Any]
) -> None:
    forms = 0
    for n, history in enumerate(histories):
        grow(domain, f"history-{n}", list(history.events), rule=history.is_rule_tracker)
        forms += any(isinstance(e, ActiveLoop) and e.name for e in history.events)
    assert forms > 5  # the forms' happy path rewrites applied events: exercised


def test_reverts_restarts_and_loop_events(domain: Domain, histories: list[Any]) -> None:
    booking = max((h for h in histories if not h.is_rule_tracker), key=lambda h: len(h.events))
    form = domain.form_names[0]
    tracker = grow(domain, "reverts", list(booking.events)[:12])
    grow(
        domain,
        "reverts",
        [
            ActionExecuted("action_listen"),
            UserUttered("hm", {"name": "affirm", "confidence": 1.0}),
            UserUtteranceReverted(),
            ActionExecuted("action_listen"),
            UserUttered("book", {"name": "book_appointment", "confidence": 1.0}),
            ActionExecuted(form),
            ActiveLoop(form),
            SlotSet("requested_slot", "name"),
            ActionExecuted("action_listen"),
            UserUttered("x", {"name": "inform", "confidence": 1.0}),
            ActionExecutionRejected(form),
            LoopInterrupted(True),
            ActionExecuted("utter_default"),
            ActionReverted(),
            FollowupAction(form),
            ActionExecuted(form),
            ActionExecuted("action_listen"),
            AllSlotsReset(),
            Restarted(),
            ActionExecuted("action_listen"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("hi", {"name": "greet", "confidence": 1.0}),
        ],
        tracker=tracker,
    )


def test_a_loop_run_before_its_loop_is_named(domain: Domain) -> None:
    """Rasa's applied events depend on every loop name in the call: a loop named only later
    changes how its earlier runs apply."""
    form = domain.form_names[0]
    turn = [ActionExecuted("action_listen"), UserUttered("x", {"name": "inform", "confidence": 1})]
    grow(
        domain,
        "named-late",
        turn
        + [ActionExecuted(form)]
        + turn
        + [ActionExecuted(form), ActiveLoop(form), ActionExecuted("action_listen")],
    )


def test_a_tracker_that_branches_off_is_replayed_afresh(
    domain: Domain, histories: list[Any]
) -> None:
    """Same sender, other events (a rebuilt tracker, another test), as long as the kept replay
    or longer, or the same beginning and then others: not the kept replay's."""
    stories = sorted((h for h in histories if not h.is_rule_tracker), key=lambda h: len(h.events))
    assert len(stories) > 6
    for history in stories:
        tracker = DialogueStateTracker("same-sender", domain.slots)
        for event in history.events:
            tracker.update(event)
        assert_as_rasa(domain, tracker, f"whole {history.sender_id}")
    first, other = stories[-1], stories[-2]
    half = len(first.events) // 2
    for tail in (list(other.events)[half:], list(first.events)[half + 1 :]):
        tracker = DialogueStateTracker("same-sender", domain.slots)
        for event in list(first.events)[:half] + tail:
            tracker.update(event)
        assert_as_rasa(domain, tracker, "branched")


def test_what_callers_edit_is_not_kept(domain: Domain, histories: list[Any]) -> None:
    story = max(histories, key=lambda h: len(h.events))
    tracker = DialogueStateTracker("edits", domain.slots)
    for event in story.events:
        tracker.update(event)
        for arguments in argument_sets(domain):
            for state in past_states.states_for_tracker_history(domain, tracker, **arguments):
                for sub in state.values():
                    sub.clear()  # as `_choose_last_user_input` deletes keys of the last one
                state.clear()
        tracker.applied_events().clear()
    assert_as_rasa(domain, tracker, "after callers edited every state")


def test_a_call_is_replayed_once_not_once_per_request(
    domain: Domain, histories: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked after every event, Rasa replays the whole call each time (quadratic); here each
    event is applied to the kept replay once, plus the few after the last action."""
    story = max((h for h in histories if not h.is_rule_tracker), key=lambda h: len(h.events))
    applied = 0
    update = DialogueStateTracker.update

    def counting(self: DialogueStateTracker, event: Event, *rest: Any) -> None:
        nonlocal applied
        applied += 1
        update(self, event, *rest)

    tracker = DialogueStateTracker("counted", domain.slots)
    for event in story.events:
        tracker.update(event)
        monkeypatch.setattr(DialogueStateTracker, "update", counting)
        past_states.states_for_tracker_history(domain, tracker)
        monkeypatch.setattr(DialogueStateTracker, "update", update)
    events = len(story.events)
    assert events > 20
    rasas = sum(len(tracker.applied_events()[:n]) for n in range(1, events + 1))
    assert applied < 4 * events < rasas / 3, (applied, events, rasas)


def test_kept_replays_are_bounded(domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(past_states, "MAX_REPLAYS", 5)
    for n in range(12):
        tracker = DialogueStateTracker(f"bounded-{n}", domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        past_states.states_for_tracker_history(domain, tracker)
    assert [key[0] for key in past_states._replays] == [f"bounded-{n}" for n in range(7, 12)]
