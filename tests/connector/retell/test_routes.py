"""A turn's route from its events: fallback, the active loop, else the predicting policy."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.core.policies.memoization import MemoizationPolicy
from rasa.core.policies.rule_policy import RulePolicy
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.engine.graph import SchemaNode
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SlotSet,
    UserUttered,
)

from connector.retell import routes
from connector.retell.routes import fallback_action_name, policy_route, turn_route

FALLBACK = "action_my_fallback"


def route(before: list, turn: list) -> str:
    events = [*before, UserUttered("something"), *turn]
    return turn_route(events, len(before), FALLBACK)


OPENING = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("RulePolicy", "rule"),
        ("MemoizationPolicy", "memoization"),
        ("TEDPolicy", "ted"),
        ("AugmentedMemoizationPolicy", "augmentedmemoization"),
        ("UnexpecTEDIntentPolicy", "unexpectedintent"),
        ("policy_1_RulePolicy", "rule"),
        ("MyCustom", "mycustom"),
        (None, "rule"),
        ("", "rule"),
    ],
)
def test_a_policy_name_becomes_its_route(policy, expected):
    assert policy_route(policy) == expected


def test_the_route_is_the_policy_of_the_turns_first_action():
    turn = [
        ActionExecuted("utter_greet", policy="MemoizationPolicy", confidence=1.0),
        BotUttered("Hey!"),
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0),
    ]
    assert route(OPENING, turn) == "memoization"
    turn[0] = ActionExecuted("utter_greet", policy="TEDPolicy", confidence=0.8)
    assert route(OPENING, turn) == "ted"


def test_an_action_without_a_policy_and_a_turn_without_actions_are_rule():
    assert route(OPENING, [ActionExecuted("utter_greet"), ActionExecuted("action_listen")]) == (
        "rule"
    )
    assert route(OPENING, []) == "rule"


def test_the_models_fallback_action_anywhere_in_the_turn_is_fallback():
    turn = [
        ActionExecuted(FALLBACK, policy="RulePolicy"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(OPENING, turn) == "fallback"
    # Another project's fallback action is just an action.
    assert turn_route([*OPENING, UserUttered("x"), *turn], 2, "action_default_fallback") == "rule"


def test_a_form_asked_again_after_a_fallback_answer_is_still_the_fallback_turn():
    before = [*OPENING, ActiveLoop("booking")]
    turn = [
        ActionExecuted(FALLBACK, policy="RulePolicy"),
        ActionExecuted("booking", policy="RulePolicy"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(before, turn) == "fallback"


def test_a_turn_that_runs_the_active_loop_is_form_whatever_the_loops_name():
    before = [*OPENING, ActionExecuted("order", policy="RulePolicy"), ActiveLoop("order")]
    turn = [
        ActionExecuted("order", policy="RulePolicy"),
        SlotSet("size", "large"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(before, turn) == "form"


def test_the_turn_that_starts_a_loop_is_form():
    turn = [
        ActionExecuted("order", policy="RulePolicy"),
        ActiveLoop("order"),
        SlotSet("requested_slot", "size"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(OPENING, turn) == "form"


def test_the_turn_that_completes_the_loop_is_form():
    before = [*OPENING, ActiveLoop("order")]
    turn = [
        ActionExecuted("order", policy="RulePolicy"),
        ActiveLoop(None),
        ActionExecuted("utter_done", policy="RulePolicy"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(before, turn) == "form"


def test_an_action_named_like_a_form_is_not_a_form_unless_it_is_the_active_loop():
    turn = [
        ActionExecuted("booking_form", policy="MemoizationPolicy"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(OPENING, turn) == "memoization"
    ended = [*OPENING, ActiveLoop("order"), ActiveLoop(None)]
    assert route(ended, [ActionExecuted("order", policy="TEDPolicy")]) == "ted"


def test_an_action_that_activates_another_loop_is_not_that_loop():
    turn = [
        ActionExecuted("action_switch", policy="RulePolicy"),
        ActiveLoop("order"),
        ActionExecuted("action_listen", policy="RulePolicy"),
    ]
    assert route(OPENING, turn) == "rule"


def node(uses: type, config: dict) -> SchemaNode:
    return SchemaNode(needs={}, uses=uses, constructor_name="load", fn="predict", config=config)


def test_the_fallback_action_comes_from_the_models_rule_policy():
    nodes = {
        "policy_0_MemoizationPolicy": node(MemoizationPolicy, {}),
        "policy_1_RulePolicy": node(RulePolicy, {"core_fallback_action_name": "action_mine"}),
    }
    assert fallback_action_name(nodes) == "action_mine"


def test_without_the_option_or_a_rule_policy_the_fallback_action_is_rasas_default():
    assert fallback_action_name({"rule": node(RulePolicy, {})}) == "action_default_fallback"
    assert fallback_action_name({"ted": node(TEDPolicy, {})}) == "action_default_fallback"

    class MyRulePolicy(RulePolicy):
        pass

    assert (
        fallback_action_name({"mine": node(MyRulePolicy, {"core_fallback_action_name": "a_b"})})
        == "a_b"
    )


def test_the_agents_fallback_action_is_read_once_per_model(monkeypatch):
    reads: list[str] = []

    def counted(nodes):
        reads.append("read")
        return fallback_action_name(nodes)

    monkeypatch.setattr(routes, "fallback_action_name", counted)
    monkeypatch.setattr(routes, "_FALLBACK_BY_MODEL", {})

    def agent(model_id: str, action: str):
        schema = SimpleNamespace(
            nodes={"p": node(RulePolicy, {"core_fallback_action_name": action})}
        )
        metadata = SimpleNamespace(model_id=model_id, predict_schema=schema)
        return SimpleNamespace(processor=SimpleNamespace(model_metadata=metadata))

    first = agent("model-1", "action_one")
    assert routes.model_fallback_action(first) == "action_one"
    assert routes.model_fallback_action(first) == "action_one"
    assert reads == ["read"]
    assert routes.model_fallback_action(agent("model-2", "action_two")) == "action_two"
    assert reads == ["read", "read"]
    assert routes.model_fallback_action(SimpleNamespace(processor=None)) == (
        "action_default_fallback"
    )
