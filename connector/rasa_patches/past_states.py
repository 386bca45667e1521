"""A call's dialogue states, replayed once instead of from the start by every policy, every turn.

Each policy prediction (two or three a turn, each by the Memoization and the Rule policy) asks
`Domain.states_for_tracker_history` for the states of the whole conversation, and Rasa answers
by working out the call's applied events (`applied_events`: a pass over every event, scanning
back at each run of a form) and replaying them into a fresh tracker
(`generate_all_prior_trackers`), describing the tracker before each action. Both grow with the
call (a booking ends past 100 events), and the replay is most of a prediction's work on a
long call.

Here each call keeps both. `applied_events` keeps the call's events it has seen and its result;
while a tracker's events begin with those same event objects (identity: the tracker store
rebuilds a call's tracker from the events it saved, and events are never changed once made) and
no loop is named for the first time (Rasa's pass depends on all loop names), it goes on from
there. The replay is kept per call and argument set: the tracker replayed up to the call's last
action, with the states and loop variables of Rasa's function at that point; the few events
after the last action are replayed on a copy, so the kept replay stays at an action. Applied
events are not append-only: a form's happy-path run removes the listen and user message before
it, a revert removes more, so the replay is kept before the last action (where such a removal
starts) and anything that no longer matches is replayed from the start, as Rasa does. The loop
bodies are Rasa 3.6's own, step for step; what is handed out is a fresh list, and fresh states
(callers edit the last one) that share sub-states where Rasa's did.

Checked against Rasa's functions after every event of the project's stories, rules and test
conversations, with every argument set, through reverts, restarts and branching trackers
(tests/connector/rasa_patches/test_past_states.py). Applied by `registry.py` as the patch
`past_states`.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

State = dict[str, dict[str, Any]]

_original = Domain.states_for_tracker_history
_original_applied = DialogueStateTracker.applied_events
MAX_REPLAYS = 1000  # calls x argument sets kept, to bound memory; the oldest go first
_replays: OrderedDict[tuple, Replay] = OrderedDict()
_applied: OrderedDict[str, Applied] = OrderedDict()
_lock = threading.Lock()  # the Retell turn thread and Sanic's loop both predict


@dataclass
class Replay:
    """Rasa's loop over `generate_all_prior_trackers`, stopped before the action at
    `len(events)`: `tracker` has had `events` applied, and `states`, `last_ml_action` and
    `turn_was_hidden` are the loop's variables after every turn before it."""

    domain: Domain
    rule_only_data: Any
    slots: tuple
    events: list[Event]
    tracker: Any
    states: list[State]
    last_ml_action: Any = None
    turn_was_hidden: bool = False


@dataclass
class Applied:
    """`applied_events` of a tracker whose events were `events`, and the loop names it saw."""

    events: list[Event]
    loop_names: set[str]
    applied: list[Event]


def begins_with(events: Any, prefix: list[Event]) -> bool:
    """Whether `events` begin with the very event objects of `prefix` (identity, not `==`)."""
    return len(prefix) <= len(events) and all(a is b for a, b in zip(prefix, events))


def applied_events(tracker: DialogueStateTracker) -> list[Event]:
    """`DialogueStateTracker.applied_events`, going on from where it was last worked out for
    the call (see above). Rasa's pass depends on the loop names of all events; while no new one
    appears, it is the same pass over the same events, stopped and resumed. A fresh list."""
    events = tracker.events
    with _lock:
        kept = _applied.pop(tracker.sender_id, None)
    if kept is None or not begins_with(events, kept.events):
        kept = Applied([], set(), [])
    new = list(itertools.islice(events, len(kept.events), None))
    names = {e.name for e in new if isinstance(e, ActiveLoop) and e.name}
    if not names <= kept.loop_names and kept.events:  # earlier events apply differently now
        kept, new = Applied([], set(), []), list(events)
        names = {e.name for e in new if isinstance(e, ActiveLoop) and e.name}
    kept.loop_names |= names
    applied = kept.applied
    for event in new:  # Rasa 3.6's loop, step for step
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in kept.loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    kept.events.extend(new)
    with _lock:
        _applied[tracker.sender_id] = kept
        while len(_applied) > MAX_REPLAYS:
            _applied.popitem(last=False)
    return list(applied)


def slots_signature(tracker: Any) -> tuple:
    """What the replay's fresh tracker takes from `tracker` (`init_copy`) that its states
    depend on: its slots' kinds and settings, and whether it is a rule's tracker."""
    return (tracker.is_rule_tracker,) + tuple(
        (
            name,
            type(slot),
            repr(slot.initial_value),
            slot.influence_conversation,
            repr(getattr(slot, "values", None)),
            getattr(slot, "min_value", None),
            getattr(slot, "max_value", None),
        )
        for name, slot in tracker.slots.items()
    )


def fork(tracker: Any) -> Any:
    """A copy of a replay tracker that replaying more events into leaves `tracker` as it is:
    the containers and slots its events change in place are copied, the events shared."""
    twin = copy.copy(tracker)
    for name, value in vars(tracker).items():
        if isinstance(value, (dict, list, set)) or hasattr(value, "appendleft"):
            setattr(twin, name, copy.copy(value))
    slots = tracker.slots
    twin.slots = type(slots)((name, copy.copy(slot)) for name, slot in slots.items())
    twin.active_loop = copy.copy(tracker.active_loop)
    return twin


def run_turn(
    domain: Domain,
    replay: Replay,
    tracker: Any,
    hide_rule_turn: bool,
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: Any,
) -> None:
    """One pass of the loop body of Rasa 3.6's `Domain.states_for_tracker_history`."""
    if ignore_rule_only_turns:
        if not replay.turn_was_hidden:
            replay.last_ml_action = domain._get_prev_action_sub_state(tracker)
        # followup action or happy path loop prediction: hidden or not, as before
        if not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if replay.states:
            domain._substitute_rule_only_user_input(state, replay.states[-1])
        if replay.last_ml_action:
            state[PREVIOUS_ACTION] = replay.last_ml_action
    replay.states.append(domain._clean_state(state))


def replay_events(
    domain: Domain, replay: Replay, tracker: Any, events: list[Event], *flags: Any
) -> None:
    """Rasa's loop over `events`: the turn before each action, then the event."""
    for event in events:
        if isinstance(event, ActionExecuted):
            run_turn(domain, replay, tracker, event.hide_rule_turn, *flags)
        tracker.update(event)


def copy_states(states: list[State]) -> list[State]:
    """`states` with every state and sub-state copied, sub-states shared where Rasa's were."""
    copies: dict[int, dict] = {}
    out = []
    for state in states:
        fresh = {}
        for key, sub in state.items():
            twin = copies.get(id(sub))
            if twin is None:
                twin = copies[id(sub)] = dict(sub)
            fresh[key] = twin
        out.append(fresh)
    return out


def resumable(
    replay: Replay | None, domain: Domain, rule_only_data: Any, slots: tuple, applied: list[Event]
) -> bool:
    if replay is None or replay.domain is not domain or replay.slots != slots:
        return False
    if replay.rule_only_data is not rule_only_data and replay.rule_only_data != rule_only_data:
        return False
    return begins_with(applied, replay.events)


def states_for_tracker_history(
    domain: Domain,
    tracker: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[State]:
    """`Domain.states_for_tracker_history`, going on from the call's kept replay (see above)."""
    flags = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    key = (
        tracker.sender_id,
        bool(omit_unset_slots),
        bool(ignore_rule_only_turns),
        rule_only_data is None,
    )
    applied = tracker.applied_events()
    slots = slots_signature(tracker)
    with _lock:
        replay = _replays.pop(key, None)  # this request's own until put back
    if not resumable(replay, domain, rule_only_data, slots, applied):
        replay = Replay(domain, rule_only_data, slots, [], tracker.init_copy(), [])
    assert replay is not None
    last_action = next(
        (
            i
            for i in range(len(applied) - 1, len(replay.events) - 1, -1)
            if isinstance(applied[i], ActionExecuted)
        ),
        None,
    )
    if last_action is not None:  # move the kept replay up to the call's last action
        replay_events(
            domain, replay, replay.tracker, applied[len(replay.events) : last_action], *flags
        )
        replay.events = applied[:last_action]
    ending = Replay(
        domain,
        rule_only_data,
        slots,
        [],
        fork(replay.tracker),
        list(replay.states),
        replay.last_ml_action,
        replay.turn_was_hidden,
    )
    replay_events(domain, ending, ending.tracker, applied[len(replay.events) :], *flags)
    run_turn(domain, ending, ending.tracker, False, *flags)  # Rasa's last `yield tracker, False`
    with _lock:
        _replays[key] = replay
        while len(_replays) > MAX_REPLAYS:
            _replays.popitem(last=False)
    return copy_states(ending.states)


def forget() -> None:
    """Drops every kept replay (tests)."""
    with _lock:
        _replays.clear()
        _applied.clear()
