"""Channel options: YAML values, overridden by the environment, refused when malformed."""

from __future__ import annotations

import pytest

from connector.retell.settings import RetellSettings


def test_turns_run_on_sanics_loop_unless_given_their_own_thread(monkeypatch):
    monkeypatch.delenv("RETELL_TURN_THREAD", raising=False)
    assert RetellSettings.from_credentials({}).turn_thread is False
    assert RetellSettings.from_credentials({"turn_thread": True}).turn_thread is True
    assert RetellSettings.from_credentials({"turn_thread": False}).turn_thread is False
    monkeypatch.setenv("RETELL_TURN_THREAD", "0")
    assert RetellSettings.from_credentials({"turn_thread": True}).turn_thread is False
    monkeypatch.setenv("RETELL_TURN_THREAD", "yes")
    assert RetellSettings.from_credentials({}).turn_thread is True


def test_a_malformed_switch_is_refused_by_name(monkeypatch):
    monkeypatch.setenv("RETELL_TURN_THREAD", "maybe")
    with pytest.raises(ValueError, match="turn_thread must be true or false, got 'maybe'"):
        RetellSettings.from_credentials({})
