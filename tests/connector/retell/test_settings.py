"""Channel options: YAML values, overridden by the environment, refused when malformed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


def test_the_greeting_is_the_projects_opening_text_and_none_by_default():
    assert RetellSettings.from_credentials({}).greeting is None
    assert RetellSettings.from_credentials(None).greeting is None
    assert RetellSettings.from_credentials({"greeting": None}).greeting is None
    assert RetellSettings.from_credentials({"greeting": "/greet"}).greeting == "/greet"
    assert RetellSettings.from_credentials({"greeting": " hello "}).greeting == "hello"


@pytest.mark.parametrize("bad", ["", "   ", 7, ["/greet"], True])
def test_a_blank_or_non_text_greeting_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="retell greeting must be the text that opens a call"):
        RetellSettings.from_credentials({"greeting": bad})


def test_the_projects_credentials_greet_with_greet_and_keep_the_booking_metric_names():
    project = Path(__file__).resolve().parents[3] / "rasa_project"
    entries = [
        yaml.safe_load((project / name).read_text())["connector.retell.channel.RetellInput"]
        for name in ("credentials.yml", "credentials.production.yml")
    ]
    assert entries[0] == entries[1]  # development and production calls behave alike
    settings = RetellSettings.from_credentials(entries[0])
    assert (settings.greeting, settings.metrics_prefix) == ("/greet", "booking")
    assert {"faq", "answered", "stream_broken"} <= set(settings.fallback_outcomes)


def test_the_metrics_prefix_names_the_metrics_and_must_be_a_metric_name():
    assert RetellSettings.from_credentials({}).metrics_prefix == "retell"
    assert RetellSettings.from_credentials({"metrics_prefix": "shop"}).metrics_prefix == "shop"
    for bad in ("", "9lives", "my-shop", "a b", "x:y", None, 7):
        with pytest.raises(ValueError, match="retell metrics_prefix must be letters"):
            RetellSettings.from_credentials({"metrics_prefix": bad})


def test_production_requires_the_channels_own_secrets_and_not_an_action_servers(monkeypatch):
    from connector.retell.channel import RetellInput

    monkeypatch.setenv("PRODUCTION", "1")
    monkeypatch.setenv("RETELL_WS_SECRET", "s" * 20)
    monkeypatch.setenv("CHANNEL_SECRET", "c" * 20)
    for name in ("ACTION_SERVER_TOKEN", "RASA_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert RetellInput.from_credentials({}).settings.ws_secret == "s" * 20
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "short")  # set, so checked: too short
    with pytest.raises(SystemExit) as stopped:
        RetellInput.from_credentials({})
    assert stopped.value.code == 2
    monkeypatch.delenv("ACTION_SERVER_TOKEN")
    monkeypatch.delenv("CHANNEL_SECRET")
    with pytest.raises(SystemExit) as stopped:
        RetellInput.from_credentials({})
    assert stopped.value.code == 2


def test_fallback_outcomes_are_a_list_of_label_names():
    assert RetellSettings.from_credentials({}).fallback_outcomes == ()
    given = {"fallback_outcomes": ["faq", "not_sure"]}
    assert RetellSettings.from_credentials(given).fallback_outcomes == ("faq", "not_sure")
    for bad in ("faq", ["faq", "not sure"], [1], ["x" * 41]):
        with pytest.raises(ValueError, match="retell fallback_outcomes must be a list of names"):
            RetellSettings.from_credentials({"fallback_outcomes": bad})
