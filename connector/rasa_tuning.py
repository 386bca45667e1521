"""Per-turn overhead in Rasa 3.6 that buys nothing, removed when the server loads our modules.

Measured with py-spy on the Rasa server under `make bench` (20 calls): half of the main thread's
CPU went to `jsonschema.validate` in `RemoteAction._validate_action_result`. That function
validates every action server response (the form's `validate_…` call, every custom action)
against a constant schema, and `jsonschema.validate` first re-checks that schema against the
draft 2020-12 metaschema — on every call. Here the schema is checked once and its validator kept;
each response is still validated exactly as before (same validator class, same `best_match`
error, same message), so a malformed response from the action server fails the same way.

At 200 calls (py-spy on the turn thread), another 7 % went to `Event.resolve_by_type`, which
walks every subclass of `Event` (`all_subclasses`, with an `inspect.isabstract` per class) for
each event of each tracker read from the store — hundreds per turn. The classes are fixed once
Rasa is imported, so the lookup is kept by type name; a name not in it rebuilds it (a subclass
imported later), and one still unknown is answered exactly as Rasa does (default, `topic`,
ValueError).

Garbage collection: the server holds millions of long-lived objects (TensorFlow, the model, the
domain), and each full collection walked them all — up to 365 ms with every call on hold, eleven
times in a minute at 100 calls (gc.callbacks in the Rasa server): the first-frame p99. Once the
model is loaded, `settle_heap` collects once and moves what survives to the permanent generation
(`gc.freeze`), so later collections walk only what turns create.

Imported for its effect by `connector.retell` and `connector.tracker_store`, the modules Rasa
loads from credentials.yml and endpoints.yml; `install()` is idempotent.
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

logger = logging.getLogger(__name__)

_original = RemoteAction._validate_action_result
_original_resolve = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


@functools.lru_cache(maxsize=1)
def response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, instead of once per action call
    return cls(schema)


def validate_action_result(_: RemoteAction, result: dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the schema checked once (see above)."""
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


async def settle_heap(*_: Any) -> None:
    """A Sanic `after_server_start` listener: by then Rasa has loaded the model (its loader is a
    `before_server_start` listener). See the module docstring."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info("%d objects moved out of the garbage collector's way in %.0f ms",
                gc.get_freeze_count(), (time.perf_counter() - started) * 1000)  # fmt: skip


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[assignment]


def uninstall() -> None:
    RemoteAction._validate_action_result = _original  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_original_resolve)  # type: ignore[assignment]


install()
