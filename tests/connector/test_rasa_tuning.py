"""The cached action-response validator judges every response exactly as Rasa's own does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import connector.retell  # noqa: F401  (what Rasa imports from credentials.yml)
from connector import rasa_tuning

ACTION = RemoteAction("action_book", None)

GOOD = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "service", "value": "haircut"}],
     "responses": [{"text": "What day?", "already_spoken": True}]},
    {},  # Rasa accepts an empty answer
]  # fmt: skip
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": "hello"},
]


def original_verdict(result: dict) -> str:
    try:
        rasa_tuning._original(ACTION, result)
        return "ok"
    except ValidationError as error:
        return error.message


def test_loading_the_channel_installs_it():
    assert RemoteAction._validate_action_result is rasa_tuning.validate_action_result


@pytest.mark.parametrize("result", GOOD)
def test_valid_responses_pass(result):
    assert ACTION._validate_action_result(result) is True
    assert original_verdict(result) == "ok"


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_fail_with_rasas_own_message(result):
    with pytest.raises(ValidationError) as caught:
        ACTION._validate_action_result(result)
    assert caught.value.message == original_verdict(result)
    assert "Failed to validate Action server response" in caught.value.message


def test_the_schema_is_checked_once():
    assert rasa_tuning.response_validator() is rasa_tuning.response_validator()


def test_event_classes_resolve_as_in_rasa():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is rasa_tuning.resolve_event_type
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "slot", "action", "active_loop", "bot"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is rasa_tuning._original_resolve(name)


def test_unknown_event_names_answer_as_in_rasa():
    from rasa.shared.core.events import Event, SlotSet

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_survives_the_round_trip_through_its_events():
    from rasa.shared.core.events import ActiveLoop, BotUttered, SlotSet, UserUttered, Event

    events = [UserUttered("book a haircut", {"name": "book", "confidence": 0.9}),
              ActiveLoop("booking_form"), SlotSet("service", "haircut"), BotUttered("What day?")]
    restored = [Event.from_parameters(event.as_dict()) for event in events]
    assert restored == events


def test_settling_the_heap_freezes_what_lives_now():
    import asyncio
    import gc

    gc.unfreeze()
    try:
        asyncio.run(rasa_tuning.settle_heap(None))
        assert gc.get_freeze_count() > 10_000  # Rasa, TensorFlow and this test's imports
    finally:
        gc.unfreeze()
