"""A turn's route, read from its events: which part of the assistant answered it.

The route names the turn in its log line and labels the turn metrics (metrics.py). It is worked
out from what any Rasa 3.6 project writes to its tracker, never from a project's action names:

- `fallback`: an action the turn ran is the model's core fallback action (`fallback_action`,
  from the RulePolicy of the loaded model: `model_fallback_action`);
- `form`: the turn ran the active loop: an action executed under its own name while it was the
  active loop, or that made itself the active loop (a form's first turn);
- otherwise the policy that predicted the turn's first action, lowercase without its trailing
  "Policy" (`RulePolicy` → `rule`, `TEDPolicy` → `ted`); `rule` when no policy is named.

Pure functions over Rasa events (anything with `type_name` and the fields of its kind), but
`model_fallback_action`, which reads the agent's model once per model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import ACTION_DEFAULT_FALLBACK_NAME

FALLBACK = "fallback"
FORM = "form"
NO_POLICY = "rule"  # an action logged without a policy: a default or forced action, not a model's

_NODE_PREFIX = re.compile(r"^policy_\d+_")
_FALLBACK_OPTION = "core_fallback_action_name"
# The fallback action of each model loaded in this process, by model id.
_FALLBACK_BY_MODEL: dict[str, str] = {}


def policy_route(policy: str | None) -> str:
    """`RulePolicy` → `rule`, `MemoizationPolicy` → `memoization`, None → `rule`. A graph node's
    name (`policy_1_RulePolicy`, as Rasa names a policy's node) counts as its class's."""
    name = _NODE_PREFIX.sub("", (policy or "").strip()).lower()
    if name.endswith("policy"):
        name = name[: -len("policy")]
    return name or NO_POLICY


def turn_route(events: Sequence[Any], user_index: int, fallback_action: str) -> str:
    """The route of the turn opened by the user message at `user_index` of `events` (the whole
    tracker, from its start: the active loop at the turn's start is followed from there)."""
    turn = events[user_index + 1 :]
    actions = [e for e in turn if e.type_name == "action"]
    if any(a.action_name == fallback_action for a in actions):
        return FALLBACK
    if _ran_the_active_loop(events[:user_index], turn):
        return FORM
    return policy_route(actions[0].policy if actions else None)


def _ran_the_active_loop(before: Sequence[Any], turn: Sequence[Any]) -> bool:
    active = None
    for event in before:
        if event.type_name == "active_loop":
            active = event.name
    running = None  # the action whose events follow
    for event in turn:
        if event.type_name == "action":
            running = event.action_name
            if running is not None and running == active:
                return True
        elif event.type_name == "active_loop":
            active = event.name
            if active is not None and active == running:
                return True  # the action activated itself: a loop's first run
    return False


def fallback_action_name(nodes: dict[str, Any]) -> str:
    """The core fallback action of a model's predict schema (`{name: SchemaNode}`): its
    RulePolicy's `core_fallback_action_name`, RulePolicy's default when unset or without one."""
    for node in nodes.values():
        uses = getattr(node, "uses", None)
        if isinstance(uses, type) and issubclass(uses, RulePolicy):
            config = {**uses.get_default_config(), **(node.config or {})}
            return str(config.get(_FALLBACK_OPTION) or ACTION_DEFAULT_FALLBACK_NAME)
    return ACTION_DEFAULT_FALLBACK_NAME


def model_fallback_action(agent: Any) -> str:
    """The core fallback action of the model `agent` holds now, read once per loaded model."""
    metadata = getattr(getattr(agent, "processor", None), "model_metadata", None)
    if metadata is None:
        return ACTION_DEFAULT_FALLBACK_NAME
    name = _FALLBACK_BY_MODEL.get(metadata.model_id)
    if name is None:
        name = fallback_action_name(metadata.predict_schema.nodes)
        _FALLBACK_BY_MODEL[metadata.model_id] = name
    return name
