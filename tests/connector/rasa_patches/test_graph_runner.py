"""Rasa's graphs run without dask (connector/rasa_patches/tuning.py, `run_graph`) and give what
dask gives: the trained model's NLU and policy predictions, and dask's argument and error
semantics."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from connector.rasa_patches import tuning

LINES = [
    "i'd like to book a beard trim",
    "my name is caller 12 smith",
    "friday",
    "3 pm",
    "yes",
    "no",
    "is there parking near you",
    "can i move my appointment to monday",
    "cancel my booking please",
    "what are your opening hours",
    "hello",
    "uh",
]


def test_the_registry_applies_it() -> None:
    assert DaskGraphRunner.run is tuning.run_graph


def both(runner: Any, inputs: dict, targets: list[str]) -> tuple[dict, dict]:
    return (
        tuning._original_run(runner, inputs=inputs, targets=targets),
        tuning.run_graph(runner, inputs=inputs, targets=targets),
    )


def test_the_nlu_graph_parses_as_with_dask(agent: Agent) -> None:
    processor = agent.processor
    target = processor.model_metadata.nlu_target
    tracker = DialogueStateTracker("graph-test", processor.domain.slots)
    for line in LINES:
        runs = [
            runner(
                processor.graph_runner,
                inputs={"__message__": [UserMessage(line)], "__tracker__": tracker},
                targets=[target],
            )
            for runner in (tuning._original_run, tuning.run_graph)
        ]
        dask, ours = (run[target][0] for run in runs)
        assert set(runs[0]) == set(runs[1]) == {target}
        assert dask.get("intent")["name"] and ours.get("intent") == dask.get("intent"), line
        assert ours.get("intent_ranking") == dask.get("intent_ranking"), line


def test_the_policy_graph_predicts_as_with_dask(agent: Agent) -> None:
    processor = agent.processor
    target = processor.model_metadata.core_target
    domain = processor.domain
    for intent in [
        "book_appointment",
        "affirm",
        "deny",
        "inform",
        "ask_question",
        "greet",
        "cancel_appointment",
        "repeat",
    ]:
        events = [
            ActionExecuted("action_listen"),
            UserUttered("x", {"name": intent, "confidence": 0.99}),
        ]
        mid_form = (
            events
            + [
                ActionExecuted("booking_form"),
                SlotSet("requested_slot", "email"),
                ActionExecuted("action_listen"),
            ]
            + events[1:]
        )
        for history in (events, mid_form):
            tracker = DialogueStateTracker.from_events("graph-test", history, domain.slots)
            dask, ours = both(processor.graph_runner, {"__tracker__": tracker}, [target])
            assert ours.keys() == dask.keys() == {target}
            assert ours[target] == dask[target], (intent, ours[target], dask[target])


class _Node:
    """A graph node as dask calls it: outputs (name, value) built from what it was given."""

    def __init__(self, name: str, fail: Exception | None = None) -> None:
        self.name, self.fail, self.calls = name, fail, 0

    def __call__(self, *given: Any) -> tuple[str, Any]:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        return self.name, (
            self.name,
            [g[1] if isinstance(g, tuple) else f"unresolved {g}" for g in given],
        )


def toy_runner(fail: Exception | None = None) -> Any:
    """a <- input; b <- a, missing; c <- a, b (target); d unused."""
    spec = {
        "a": {"x": "__input__"},
        "b": {"x": "a", "y": "missing"},
        "c": {"x": "a", "y": "b"},
        "d": {"x": "a"},
    }
    nodes = {
        name: SchemaNode(needs, GraphComponent, "create", "run", {}, is_target=name == "c")
        for name, needs in spec.items()
    }
    runner = DaskGraphRunner.__new__(DaskGraphRunner)  # what `run` uses, without loading a model
    runner._graph_schema = GraphSchema(nodes)
    runner._instantiated_nodes = {n: _Node(n, fail if n == "b" else None) for n in nodes}
    runner._execution_context = None
    return runner


@pytest.mark.parametrize(
    "inputs",
    [{"__input__": 1}, {"__input__": [1, 2]}, {}, {"__input__": 1, "b": "given"}],
    ids=["value", "list", "no input", "an input standing in for a node"],
)
def test_arguments_reach_the_nodes_as_with_dask(inputs: dict) -> None:
    for targets in (None, ["b"], ["a", "c"]):
        dask, ours = both(toy_runner(), inputs, targets)
        assert ours == dask, (targets, ours, dask)
    runner = toy_runner()
    tuning.run_graph(runner, inputs=inputs, targets=["b"])
    assert runner._instantiated_nodes["d"].calls == 0  # what the targets do not need never runs


def test_an_input_that_names_a_node_is_refused_as_with_dask() -> None:
    for run in (tuning._original_run, tuning.run_graph):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run(toy_runner(), inputs={"__input__": "a"})


@pytest.mark.parametrize(
    ("error", "raised"), [(RuntimeError("boom"), GraphRunError), (ValueError("bad"), ValueError)]
)
def test_a_failing_node_fails_the_run_as_with_dask(error: Exception, raised: type) -> None:
    for run in (tuning._original_run, tuning.run_graph):
        with pytest.raises(raised) as caught:
            run(toy_runner(error), inputs={"__input__": 1})
        assert caught.value is error or caught.value.__cause__ is error


def test_a_turn_through_the_agent_still_parses(agent: Agent) -> None:
    parsed = asyncio.run(agent.parse_message("i'd like to book a beard trim"))
    assert parsed["intent"]["name"] == "book_appointment"
