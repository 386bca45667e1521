"""The switch: `RASA_PATCHES` selects patches, each applied only on the Rasa it was checked
against, nothing changes on import, and `booking-rasa` says in one line what is on."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
import rasa
import rasa.core.run

from connector.rasa_patches import cli, registry, tuning
from tests.e2e.servers import REPO, base_env


@pytest.fixture
def fresh() -> Iterator[None]:
    """Rasa's own functions for the test; every patch back on afterwards (this process runs
    with all of them, see conftest.py)."""
    registry.remove_all()
    try:
        yield
    finally:
        registry.remove_all()
        registry.apply(registry.NAMES)


def stored(path: str) -> object:
    owner, attribute = registry.owner_and_attribute(path)
    return vars(owner)[attribute]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, registry.NAMES),
        ("", registry.NAMES),
        (" ALL ", registry.NAMES),
        ("none", ()),
        ("past_states, graph_runner", ("graph_runner", "past_states")),
        ("masked_kernels,", ("masked_kernels",)),
    ],
)
def test_the_setting_selects_patches(value, expected):
    assert registry.selection(value) == expected


@pytest.mark.parametrize("value", ["bogus", "graph_runner,bogus", ",", "al"])
def test_an_unknown_name_is_refused_with_the_known_ones(value):
    with pytest.raises(ValueError) as error:
        registry.selection(value)
    assert "graph_runner" in str(error.value) and "none" in str(error.value)


def test_every_patch_names_rasa_attributes_that_exist_and_the_pinned_rasa():
    for patch in registry.PATCHES:
        assert rasa.__version__ in patch.rasa_versions
        assert registry.problem(patch, rasa.__version__) is None
        for path in patch.targets:
            owner, attribute = registry.owner_and_attribute(path)
            assert path.startswith("rasa.") and hasattr(owner, attribute)
        assert patch.replaces or patch.listeners, f"{patch.name} changes nothing"


def test_each_patch_replaces_its_targets_and_removal_puts_rasas_own_back(fresh):
    originals = {path: stored(path) for p in registry.PATCHES for path in p.targets}
    for patch in registry.PATCHES:
        assert registry.apply([patch.name]) == [patch.name]
        for path, replacement in patch.replaces:
            assert stored(path) is replacement
        others = [path for p in registry.PATCHES if p is not patch for path in p.targets]
        assert all(stored(path) is originals[path] for path in others)
        registry.remove_all()
        assert all(stored(path) is originals[path] for path in originals)


def test_applying_twice_changes_nothing(fresh):
    registry.apply(["event_lookup"])
    first = stored("rasa.shared.core.events.Event.resolve_by_type")
    registry.apply(["event_lookup", "event_lookup"])
    assert stored("rasa.shared.core.events.Event.resolve_by_type") is first
    registry.remove_all()
    assert rasa.shared.core.events.Event.resolve_by_type("slot").type_name == "slot"


def test_on_another_rasa_a_patch_warns_and_stays_off(fresh, caplog):
    original = stored("rasa.engine.runner.dask.DaskGraphRunner.run")
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        on = registry.apply(["graph_runner", "past_states"], version="3.7.0")
    assert on == []
    assert stored("rasa.engine.runner.dask.DaskGraphRunner.run") is original
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert "graph_runner stays off" in warnings[0] and "Rasa 3.7.0" in warnings[0]
    assert "3.6.21" in warnings[0]


def test_a_target_missing_from_rasa_keeps_the_patch_off(fresh):
    gone = registry.Patch("gone", (("rasa.core.run.no_such_function", object()),))
    assert "not in this Rasa" in registry.problem(gone, rasa.__version__)


def test_patches_with_listeners_wrap_the_app_factory_only_while_on(fresh):
    assert rasa.core.run.configure_app is registry._original_configure_app
    registry.apply(["graph_runner"])
    assert rasa.core.run.configure_app is registry._original_configure_app  # no listener
    registry.apply(["frozen_heap", "kept_sessions"])
    assert rasa.core.run.configure_app is not registry._original_configure_app
    assert registry.listeners() == [
        (tuning.close_kept_sessions, "after_server_stop"),
        (tuning.settle_heap, "after_server_start"),
    ]
    registry.remove_all()
    assert rasa.core.run.configure_app is registry._original_configure_app


def test_the_startup_line_says_what_is_on(fresh, monkeypatch, caplog):
    logger = cli.startup_logger()  # its own handler, not propagated: caplog listens on it
    logger.addHandler(caplog.handler)
    try:
        monkeypatch.setenv(registry.ENV, "none")
        assert cli.apply_from_environment() == []
        monkeypatch.setenv(registry.ENV, "past_states,kept_sessions")
        assert cli.apply_from_environment() == ["kept_sessions", "past_states"]
    finally:
        logger.removeHandler(caplog.handler)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == f"Rasa {rasa.__version__}, no patches on: stock Rasa"
    assert lines[1].startswith(f"Rasa {rasa.__version__}, patches on: kept_sessions, past_states;")
    assert "off: action_responses, event_lookup, graph_runner" in lines[1]


def test_a_bad_setting_stops_with_exit_2(fresh, monkeypatch, capsys):
    monkeypatch.setenv(registry.ENV, "graph-runner")
    with pytest.raises(SystemExit) as stop:
        cli.apply_from_environment()
    assert stop.value.code == 2
    assert "unknown patch graph-runner" in capsys.readouterr().err
    assert registry.applied() == []


def test_importing_the_channel_and_the_tracker_store_changes_nothing_in_rasa():
    """In a fresh interpreter: every attribute a patch replaces, and Rasa's app factory, are
    the same objects after importing what Rasa loads from credentials.yml and endpoints.yml."""
    paths = [path for patch in registry.PATCHES for path in patch.targets]
    script = f"""
import importlib
import rasa.core.run
paths = {paths!r}
def stored(path):
    module, owner, attribute = path.rsplit(".", 2)
    return vars(getattr(importlib.import_module(module), owner))[attribute]
def now():
    return [stored(path) for path in paths] + [rasa.core.run.configure_app]
before = now()
import connector.retell.channel, connector.tracker_store, connector.rest
import connector.rasa_patches.registry, connector.rasa_patches.cli
after = now()
changed = [p for p, b, a in zip(paths + ["configure_app"], before, after) if b is not a]
print("changed:", changed)
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "changed: []" in result.stdout
