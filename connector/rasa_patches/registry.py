"""The Rasa patches by name, and the one switch that applies them: `RASA_PATCHES`.

Each `Patch` names the Rasa attributes it replaces and the Rasa versions it was checked against
(its equivalence tests ran on them). `apply` replaces them only on one of those versions: on any
other it logs a warning and the patch stays off, since a changed Rasa function could make a
replacement silently wrong (different features from a changed `applied_events`, a skipped step
in a changed layer call, arguments in the wrong place of a changed `load`). Nothing here runs on
import: `booking-rasa` (cli.py) applies the selection before Rasa parses its command line, so
before any model is loaded, and the tests apply it in their own process.

Two patches need Sanic listeners on the Rasa server (the heap settled once the model is loaded;
kept sessions closed on stop). Rasa builds its app in `rasa.core.run.configure_app`, so while
any patch with listeners is on, that function is wrapped to register them on the app it returns.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import rasa
import rasa.core.run

from connector.rasa_patches import past_states, tuning

logger = logging.getLogger(__name__)

ENV = "RASA_PATCHES"
CHECKED_WITH = ("3.6.21",)  # the pinned Rasa (constraints.txt): every patch's tests ran on it


@dataclass(frozen=True)
class Patch:
    """Rasa attributes (dotted paths: module, class, attribute) and what replaces each."""

    name: str
    replaces: tuple[tuple[str, Any], ...]  # (dotted path, replacement as stored on the owner)
    listeners: tuple[tuple[Callable[..., Any], str], ...] = ()  # (Sanic listener, event)
    rasa_versions: tuple[str, ...] = CHECKED_WITH

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(path for path, _ in self.replaces)


PATCHES: tuple[Patch, ...] = (
    Patch(
        "action_responses",
        (
            (
                "rasa.core.actions.action.RemoteAction._validate_action_result",
                tuning.validate_action_result,
            ),
        ),
    ),
    Patch(
        "event_lookup",
        (
            (
                "rasa.shared.core.events.Event.resolve_by_type",
                staticmethod(tuning.resolve_event_type),
            ),
        ),
    ),
    Patch(
        "kept_sessions",
        (("rasa.utils.endpoints.EndpointConfig.session", tuning.kept_session),),
        listeners=((tuning.close_kept_sessions, "after_server_stop"),),
    ),
    Patch(
        "graph_runner",
        (("rasa.engine.runner.dask.DaskGraphRunner.run", tuning.run_graph),),
    ),
    Patch(
        "masked_kernels",
        (
            ("rasa.utils.tensorflow.models.RasaModel.load", classmethod(tuning.load_model)),
            (
                "rasa.utils.tensorflow.layers.RandomlyConnectedDense.call",
                tuning.masked_dense_call,
            ),
        ),
    ),
    Patch(
        "frozen_heap",
        (),  # an addition: one collection and a freeze once the model is loaded
        listeners=((tuning.settle_heap, "after_server_start"),),
    ),
    Patch(
        "past_states",
        (
            (
                "rasa.shared.core.domain.Domain.states_for_tracker_history",
                past_states.states_for_tracker_history,
            ),
            (
                "rasa.shared.core.trackers.DialogueStateTracker.applied_events",
                past_states.applied_events,
            ),
        ),
    ),
)
NAMES = tuple(patch.name for patch in PATCHES)
_BY_NAME = {patch.name: patch for patch in PATCHES}

# What `apply` replaced, to put back: (owner, attribute) -> Rasa's own value, as stored on it.
_originals: dict[tuple[Any, str], Any] = {}
_on: list[str] = []  # names applied, in PATCHES order
_original_configure_app = rasa.core.run.configure_app


def selection(value: str | None) -> tuple[str, ...]:
    """The patch names `RASA_PATCHES` selects: unset, empty or `all` → every patch; `none` →
    none; otherwise a comma list of names. An unknown name is a ValueError naming the known."""
    text = (value or "").strip().lower()
    if text in ("", "all"):
        return NAMES
    if text == "none":
        return ()
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in chosen if name not in _BY_NAME]
    if unknown or not chosen:
        raise ValueError(
            f"{ENV}={value!r}: unknown patch {', '.join(unknown) or '(none named)'}; "
            f"use all, none, or a comma list of: {', '.join(NAMES)}"
        )
    return tuple(name for name in NAMES if name in chosen)


def owner_and_attribute(path: str) -> tuple[Any, str]:
    """`"rasa.a.b.Class.attr"` → (the class, "attr"): the longest importable module prefix,
    then attributes down to the owner."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise ImportError(f"no module in {path}")


def _stored(owner: Any, attribute: str) -> Any:
    """The attribute as stored on `owner` (a staticmethod or classmethod object, not the
    function it binds), so putting it back restores exactly what was there."""
    return vars(owner)[attribute] if attribute in vars(owner) else getattr(owner, attribute)


def problem(patch: Patch, version: str) -> str | None:
    """Why `patch` must stay off on this Rasa, or None."""
    if version not in patch.rasa_versions:
        return f"checked against Rasa {', '.join(patch.rasa_versions)}, this is Rasa {version}"
    for path in patch.targets:
        try:
            owner, attribute = owner_and_attribute(path)
        except (ImportError, AttributeError):
            return f"{path} is not in this Rasa"
        if not hasattr(owner, attribute):
            return f"{path} is not in this Rasa"
    return None


def apply(names: Iterable[str], version: str | None = None) -> list[str]:
    """Applies the named patches that fit this Rasa (each once) and returns the names on."""
    version = version or rasa.__version__
    for name in names:
        patch = _BY_NAME[name]
        if name in _on:
            continue
        why = problem(patch, version)
        if why is not None:
            logger.warning("Rasa patch %s stays off: %s", name, why)
            continue
        for path, replacement in patch.replaces:
            owner, attribute = owner_and_attribute(path)
            _originals.setdefault((owner, attribute), _stored(owner, attribute))
            setattr(owner, attribute, replacement)
        _on.append(name)
    _on.sort(key=NAMES.index)
    _wrap_configure_app()
    return list(_on)


def remove_all() -> None:
    """Puts every replaced attribute back (the tests compare with Rasa's own behaviour)."""
    for (owner, attribute), original in _originals.items():
        setattr(owner, attribute, original)
    _originals.clear()
    _on.clear()
    past_states.forget()
    rasa.core.run.configure_app = _original_configure_app


def applied() -> list[str]:
    return list(_on)


def listeners() -> list[tuple[Callable[..., Any], str]]:
    """The Sanic listeners of the patches that are on."""
    return [pair for name in _on for pair in _BY_NAME[name].listeners]


def _wrap_configure_app() -> None:
    if not listeners() or rasa.core.run.configure_app is not _original_configure_app:
        return

    @functools.wraps(_original_configure_app)
    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = _original_configure_app(*args, **kwargs)
        for listener, event in listeners():
            app.register_listener(listener, event)
        return app

    rasa.core.run.configure_app = configure_app


def summary(version: str | None = None) -> str:
    """The start-up line: which patches are on."""
    version = version or rasa.__version__
    off = [name for name in NAMES if name not in _on]
    if not _on:
        return f"Rasa {version}, no patches on: stock Rasa"
    line = f"Rasa {version}, patches on: {', '.join(_on)}"
    return f"{line}; off: {', '.join(off)}" if off else line
