"""Per-turn overhead in Rasa 3.6 that buys nothing, removed when the server loads our modules.

Action response validation: `RemoteAction._validate_action_result` validates every action server
response (the form's `validate_…` call, every custom action) against a constant schema, and
`jsonschema.validate` first re-checks that schema against the draft 2020-12 metaschema on every
call. Here the schema is checked once and its validator kept; each response is still validated
exactly as before (same validator class, same `best_match` error, same message), so a malformed
response from the action server fails the same way.

The schema also checks each returned event against a `oneOf` of all event kinds, and jsonschema
builds an error for every kind that fails. Every kind is told apart by a `const` on the `event`
key (which is required), so an event can match only the kind its `event` names: `accepts` checks
the response without the `oneOf`, then each event against its own kind, which is the `oneOf`
verdict. Whatever it does not accept goes through the full validator, so errors are Rasa's;
should a Rasa release change the schema's shape, every response takes the full validator.

Event lookup: `Event.resolve_by_type` walks every subclass of `Event` (`all_subclasses`, with an
`inspect.isabstract` per class) for each event of each tracker read from the store, hundreds per
turn. The classes are fixed once Rasa is imported, so the lookup is kept by type name; a name not
in it rebuilds it (a subclass imported later), and one still unknown is answered exactly as Rasa
does (default, `topic`, ValueError).

Garbage collection: the server holds millions of long-lived objects (TensorFlow, the model, the
domain), and each full collection walks them all with every call on hold. Once the model is
loaded, `settle_heap` collects once and moves what survives to the permanent generation
(`gc.freeze`), so later collections walk only what turns create.

Action server calls: Rasa's `EndpointConfig.request` opens a new `aiohttp.ClientSession`, and
with it a new TCP connection to the action server, for every call, and the action server accepts
a new connection each time. `EndpointConfig.session` lends one kept session per endpoint and
event loop instead, whose idle connections are kept for 2 s: under Sanic's 5 s keep-alive, so a
connection the action server has already closed is never reused. The body of each call is the
whole tracker, so the kept sessions encode it with ujson rather than `json.dumps` (Rasa's own
dependency; C; the same JSON values).

Graph runs: each turn runs Rasa's NLU graph once and its policy graph two or three times, each
through `DaskGraphRunner.run`, which hands the graph to dask's synchronous scheduler to order and
dispatch a dozen nodes that form a fixed chain, on every run. `run_graph` runs the same nodes in
a topological order worked out once per runner and targets, with dask's argument semantics (a
node's needs resolved to the outputs of the nodes or inputs they name, an unresolved name passed
as itself, inputs whose string value names a node refused) and its error mapping (a RuntimeError
becomes `GraphRunError`).

DIET's transformer: every `RandomlyConnectedDense` layer (Rasa's default `connection_density`
0.2) multiplies its kernel by its 0/1 mask and assigns the product back on every call, in
prediction too, and the feed-forward kernels' multiplications are the costliest ops of the graph.
The product is the same after the first time (a kernel times a 0/1 mask twice is the kernel
times it once, exactly), so a model loaded for prediction has its kernels masked once, before its
prediction function is traced, and those layers then skip the step: the same outputs, to the bit.
A model loaded to fine-tune (`finetune_mode`) keeps Rasa's behaviour.

Policy predictions: each replays the whole call's events, several times a turn; a call's replay
is kept and continued instead (connector/rasa_patches/past_states.py).

Importing this module changes nothing in Rasa: `registry.py` names each replacement and applies
the ones `RASA_PATCHES` selects (through `booking-rasa`, cli.py).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import gc
import graphlib
import json
import logging
import time
from typing import Any

import aiohttp
import ujson
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig
from rasa.utils.tensorflow.layers import RandomlyConnectedDense
from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)

# Rasa's own, taken at import (before any patch is applied): the replacements fall back on them.
_original = RemoteAction._validate_action_result
_original_resolve = Event.resolve_by_type
_original_session = EndpointConfig.session
_original_run = DaskGraphRunner.run
_original_load = RasaModel.load.__func__  # type: ignore[attr-defined]
_original_dense_call = RandomlyConnectedDense.call
MASKED = "_kernel_masked_for_prediction"  # set on a layer whose kernel is masked for good
_event_classes: dict[str, type[Event]] = {}
# (loop id, endpoint id) -> (loop, endpoint, session); the references keep both ids unique.
_sessions: dict[tuple[int, int], tuple[Any, Any, aiohttp.ClientSession]] = {}
KEEPALIVE_SECONDS = 2.0  # under the action server's keep-alive (Sanic: 5 s)


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, instead of once per action call
    return cls(schema)


@functools.lru_cache(maxsize=1)
def event_kind_validators() -> tuple[Any, dict[str, list[Any]]] | None:
    """(a validator of the response schema without its per-event `oneOf`, validators of the
    `oneOf` branches by the `event` const they require), or None if the schema is not shaped
    so: then `accepts` leaves every response to the full validator."""
    schema = RemoteAction.action_response_format_spec()
    if "$ref" in json.dumps(schema):
        return None  # a branch validated alone could not resolve it
    try:
        items = schema["properties"]["events"]["items"]
        kinds: dict[str, list[Any]] = {}
        for branch in items["oneOf"]:
            kinds.setdefault(branch["properties"]["event"]["const"], []).append(branch)
        if "event" not in items.get("required", ()):
            return None  # without it an event lacking the key could match any kind
    except (KeyError, TypeError):
        return None
    shell = copy.deepcopy(schema)
    del shell["properties"]["events"]["items"]["oneOf"]
    cls = validators.validator_for(schema)
    return cls(shell), {name: [cls(b) for b in branches] for name, branches in kinds.items()}


def accepts(result: Any) -> bool:
    """True only if the full validator finds no error in `result` (see the module docstring);
    False means "ask the full validator"."""
    parts = event_kind_validators()
    if parts is None:
        return False
    shell, kinds = parts
    if not shell.is_valid(result):
        return False
    # Valid against the shell: a dict whose `events`, if any, are dicts with a string `event`.
    for event in result.get("events", ()):
        if sum(kind.is_valid(event) for kind in kinds.get(event["event"], ())) != 1:
            return False  # no kind, or more than one, matches: the `oneOf` fails
    return True


def validate_action_result(_: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema checked once and each event
    checked against its own kind (see above)."""
    if accepts(result):
        return True
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )  # Rasa's own wording
        raise error
    return True


def event_classes() -> dict[str, type[Event]]:
    """Event classes by type name; the first in `all_subclasses` order wins, as in Rasa."""
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)
    return classes


def resolve_event_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """`Event.resolve_by_type` with the subclass walk done once (see above)."""
    cls = _event_classes.get(type_name)
    if cls is None:
        _event_classes.clear()
        _event_classes.update(event_classes())
        cls = _event_classes.get(type_name)
    if cls is not None:
        return cls
    return _original_resolve(type_name, default)  # Rasa's answer for names it doesn't know


class _Lent:
    """`async with` over a kept session: Rasa's `request` closes what `session()` gives it."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *_: Any) -> None:
        return None


def kept_session(endpoint: EndpointConfig) -> Any:
    """`EndpointConfig.session`, kept per endpoint and event loop (see above). Rasa's headers,
    basic auth and timeout; outside a running loop, Rasa's own (a new session)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return _original_session(endpoint)
    key = (id(loop), id(endpoint))
    kept = _sessions.get(key)
    if kept is None or kept[2].closed:
        for gone in [k for k, (other, _, _) in _sessions.items() if other.is_closed()]:
            del _sessions[gone]  # a finished loop (tests run many): its session went with it
        auth = None
        if endpoint.basic_auth:
            auth = aiohttp.BasicAuth(
                endpoint.basic_auth["username"], endpoint.basic_auth["password"]
            )
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
            json_serialize=encode_json,
        )
        kept = _sessions[key] = (loop, endpoint, session)
    return _Lent(kept[2])


def encode_json(value: Any) -> str:
    """`json.dumps(value)`, in C: for plain data (what Rasa sends) the same JSON values, NaN
    included, and a TypeError for an object JSON cannot hold; numbers ujson cannot encode (ints
    past 64 bits) are left to `json.dumps`."""
    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (OverflowError, ValueError):
        return json.dumps(value)


async def close_kept_sessions(*_: Any) -> None:
    """A Sanic `after_server_stop` listener: closes the kept sessions, each on its own loop
    (the turn thread's still runs), so none is reported unclosed at exit. A loop too busy to
    close its session within 2 s does not hold up the stop."""
    here = asyncio.get_running_loop()
    for key, (loop, _, session) in list(_sessions.items()):
        del _sessions[key]
        if loop is here:
            await session.close()
        elif loop.is_running():
            done = asyncio.run_coroutine_threadsafe(session.close(), loop)
            try:
                await asyncio.wait_for(asyncio.wrap_future(done), timeout=2)
            except asyncio.TimeoutError:
                logger.warning("an action server session was left open at stop")


async def settle_heap(*_: Any) -> None:
    """A Sanic `after_server_start` listener: by then Rasa has loaded the model (its loader is a
    `before_server_start` listener). See the module docstring."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info(
        "%d objects moved out of the garbage collector's way in %.0f ms",
        gc.get_freeze_count(),
        (time.perf_counter() - started) * 1000,
    )


def graph_plan(runner: DaskGraphRunner, targets: tuple[str, ...]) -> list[tuple[str, Any, tuple]]:
    """(node name, node, names of what it needs) for the nodes `targets` depend on, each after
    all it needs; worked out once per runner and targets (the schema is fixed once loaded)."""
    plans = runner.__dict__.setdefault("_sequential_plans", {})
    plan = plans.get(targets)
    if plan is None:
        schema = runner._graph_schema.minimal_graph_schema(list(targets))
        order = graphlib.TopologicalSorter(
            {
                name: [n for n in node.needs.values() if n in schema.nodes]
                for name, node in schema.nodes.items()
            }
        ).static_order()
        plan = plans[targets] = [
            (name, runner._instantiated_nodes[name], tuple(schema.nodes[name].needs.values()))
            for name in order
        ]
    return plan


def run_graph(
    runner: DaskGraphRunner, inputs: dict[str, Any] | None = None, targets: list[str] | None = None
) -> dict[str, Any]:
    """`DaskGraphRunner.run` without dask (see the module docstring)."""
    run_targets = targets if targets else runner._graph_schema.target_names
    plan = graph_plan(runner, tuple(run_targets))
    done: dict[str, Any] = {}
    if inputs:
        names = {name for name, _, _ in plan}
        for name, value in inputs.items():
            if isinstance(value, str) and value in names:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )  # Rasa's own check and wording
            done[name] = (name, value)
    try:
        for name, node, needs in plan:
            if name not in done:  # an input named as a node stands in for it, as with dask
                done[name] = node(*[done.get(need, need) for need in needs])
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    return dict(done[target] for target in run_targets)  # each is (name, output), as with dask


def masked_dense_call(layer: RandomlyConnectedDense, inputs: Any) -> Any:
    """`RandomlyConnectedDense.call`, without re-masking a kernel masked for good (see above)."""
    if getattr(layer, MASKED, False):
        return super(RandomlyConnectedDense, layer).call(inputs)  # Keras's Dense
    return _original_dense_call(layer, inputs)


def randomly_connected_layers(model: RasaModel) -> list[RandomlyConnectedDense]:
    """The layers of `model` whose kernels carry a mask (density under 1)."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, RandomlyConnectedDense) and layer.kernel_mask is not None
    ]


def mask_kernels_once(model: RasaModel) -> None:
    """Masks each randomly connected kernel of `model` as its call would, and marks the layer so
    its call skips that step from now on."""
    for layer in randomly_connected_layers(model):
        layer.kernel.assign(layer.kernel * layer.kernel_mask)
        setattr(layer, MASKED, True)


def load_model(
    cls: type[RasaModel],
    model_file_name: str,
    model_data_example: Any,
    predict_data_example: Any = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """`RasaModel.load`, the kernels of a model loaded for prediction masked once before its
    warm-up prediction traces the prediction function (see above)."""
    model = _original_load(
        cls, model_file_name, model_data_example, None, finetune_mode, *args, **kwargs
    )
    if not finetune_mode:
        mask_kernels_once(model)
        if predict_data_example:
            model.run_inference(predict_data_example)  # Rasa's warm-up, as in its `load`
    return model
