"""connector/rasa_patches/tuning.py changes what Rasa 3.6 costs, not what it does: action
responses are judged as Rasa judges them, events resolve as in Rasa, action calls send what Rasa
sends."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from connector.rasa_patches import tuning

ACTION = RemoteAction("action_book", None)

GOOD = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "service", "value": "haircut"}],
        "responses": [{"text": "What day?", "already_spoken": True}],
    },
    {},  # Rasa accepts an empty answer
]
BAD = [
    {"events": "not a list"},
    {"events": [{"no_event_key": 1}]},
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": "hello"},
]


def original_verdict(result: dict) -> str:
    try:
        tuning._original(ACTION, result)
        return "ok"
    except ValidationError as error:
        return error.message


def test_the_registry_applies_it():
    assert RemoteAction._validate_action_result is tuning.validate_action_result


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
    assert tuning.response_validator() is tuning.response_validator()


def test_event_classes_resolve_as_in_rasa():
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is tuning.resolve_event_type
    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "slot", "action", "active_loop", "bot"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is tuning._original_resolve(name)


def test_unknown_event_names_answer_as_in_rasa():
    from rasa.shared.core.events import Event, SlotSet

    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
        Event.resolve_by_type("no_such_event")


def test_a_tracker_survives_the_round_trip_through_its_events():
    from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SlotSet, UserUttered

    events = [
        UserUttered("book a haircut", {"name": "book", "confidence": 0.9}),
        ActiveLoop("booking_form"),
        SlotSet("service", "haircut"),
        BotUttered("What day?"),
    ]
    restored = [Event.from_parameters(event.as_dict()) for event in events]
    assert restored == events


def test_settling_the_heap_freezes_what_lives_now():
    import asyncio
    import gc

    gc.unfreeze()
    try:
        asyncio.run(tuning.settle_heap(None))
        assert gc.get_freeze_count() > 10_000  # Rasa, TensorFlow and this test's imports
    finally:
        gc.unfreeze()


def sdk_events() -> list[dict]:
    """One event of every kind the action server can send, as rasa-sdk builds them."""
    from datetime import datetime

    from rasa_sdk import events as e

    return [
        e.SlotSet("service", "haircut"),
        e.AllSlotsReset(),
        e.Restarted(),
        e.ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 4, 10), name="r1"),
        e.ReminderCancelled(name="r1"),
        e.ActionReverted(),
        e.UserUtteranceReverted(),
        e.FollowupAction("action_listen"),
        e.ConversationPaused(),
        e.ConversationResumed(),
        e.StoryExported(),
        e.ActionExecuted("action_listen"),
        e.BotUttered("What day?"),
        e.UserUttered(
            "a haircut",
            {
                "intent": {"name": "book", "confidence": 0.9},
                "entities": [{"entity": "service", "value": "haircut"}],
            },
        ),
        e.SessionStarted(),
        e.ActiveLoop("booking_form"),
        e.ActiveLoop(None),
        e.LoopInterrupted(True),
        e.ActionExecutionRejected("action_x"),
        e.AgentUttered("hi"),
        e.FormValidation(False),
        e.Form("booking_form"),
    ]


def variants() -> list[dict]:
    """Valid responses of every event kind, and each with one key changed or removed."""
    oddities = (3, 2.5, "x", None, [], {}, True, [{}], {"name": 1})
    out: list[dict] = [{"events": [event]} for event in sdk_events()]
    for event in sdk_events():
        for key in list(event) + ["name", "value", "text", "parse_data", "extra"]:
            out.append({"events": [{k: v for k, v in event.items() if k != key}]})
            out.extend({"events": [{**event, key: odd}]} for odd in oddities)
        out.append({"events": [event, {**event, "event": "no_such_kind"}]})
    out += [
        {"events": [1]},
        {"events": [[]]},
        {"events": None},
        [],
        "x",
        {"responses": [3]},
        {"events": [], "responses": [{"text": "hi"}]},
        {"responses": None},
    ]
    return out


def test_the_quick_check_accepts_exactly_what_the_full_validator_accepts():
    cases = variants()
    full = tuning.response_validator()  # Rasa's validator (the tests above), built once
    verdicts = [(tuning.accepts(case), full.is_valid(case)) for case in cases]
    mismatches = [case for case, (quick, full) in zip(cases, verdicts) if quick != full]
    assert mismatches == []
    assert sum(full for _, full in verdicts) > 100  # many valid responses, not only failures
    assert sum(not full for _, full in verdicts) > 100


def test_every_event_kind_rasa_knows_has_its_own_branch():
    quick = tuning.event_kind_validators()
    assert quick is not None  # Rasa 3.6's schema has the shape the quick check relies on
    assert {event["event"] for event in sdk_events()} <= set(quick[1])


TRACKER_LIKE = {
    "tracker": {
        "sender_id": "call/1",
        "slots": {"customer_name": "Zoë", "n": 1e-07},
        "events": [
            {
                "event": "user",
                "text": "a haircut",
                "timestamp": 0.30000000000000004,
                "parse_data": {"intent": {"name": "book", "confidence": 0.9}},
            }
        ],
    },
    "domain": {"responses": {"utter_ask": [{"text": "what's your email? é/ü"}]}},
}


def test_the_json_encoder_gives_json_dumps_values():
    import json
    import math

    assert json.loads(tuning.encode_json(TRACKER_LIKE)) == TRACKER_LIKE
    assert json.loads(tuning.encode_json({1: [True, None]})) == {"1": [True, None]}
    assert math.isnan(json.loads(tuning.encode_json(float("nan"))))
    with pytest.raises(TypeError):
        tuning.encode_json({"when": object()})


def test_action_server_calls_share_one_kept_connection_per_loop():
    """Rasa's `EndpointConfig.request`, against a real local HTTP server: calls on one event
    loop reuse one connection; the session survives each call; headers and auth are Rasa's."""
    import asyncio
    import base64

    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    peers: list[tuple] = []
    seen_headers: list[dict] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        seen_headers.append(dict(request.headers))
        body = await request.json()
        return web.json_response({"events": [], "echo": body["n"], "body": body})

    async def run(endpoint_for) -> list:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            endpoint = endpoint_for(f"http://127.0.0.1:{port}/webhook")
            answers = [
                await endpoint.request(json={"n": n, **TRACKER_LIKE}, method="post")
                for n in range(3)
            ]
            kept = [
                session
                for loop, _, session in tuning._sessions.values()
                if loop is asyncio.get_running_loop()
            ]
            assert len(kept) == 1 and not kept[0].closed  # lent, not closed, by each call
            assert kept[0]._json_serialize is tuning.encode_json
            await tuning.close_kept_sessions()
            assert kept[0].closed
            return answers
        finally:
            await runner.cleanup()

    def endpoint(url: str) -> EndpointConfig:
        return EndpointConfig(
            url,
            headers={"X-Test": "1"},
            basic_auth={"username": "u", "password": "p"},
        )

    answers = asyncio.run(run(endpoint))
    assert [a["echo"] for a in answers] == [0, 1, 2]
    assert answers[0]["body"] == {"n": 0, **TRACKER_LIKE}  # what json.dumps would have sent
    assert len(set(peers)) == 1  # one connection for three calls (Rasa's own opened three)
    assert seen_headers[0]["X-Test"] == "1"
    assert seen_headers[0]["Authorization"] == "Basic " + base64.b64encode(b"u:p").decode()

    peers.clear()
    asyncio.run(run(endpoint))  # a new loop (and endpoint): a session of its own
    assert len(set(peers)) == 1


def test_a_session_kept_on_another_running_loop_is_closed_on_that_loop():
    """The turn thread's loop keeps its own session; the server's stop closes it there."""
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    from connector.retell.turn_loop import TurnLoop

    turns = TurnLoop(name="test-turns")
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def lend() -> Any:
        async with endpoint.session() as session:
            return session

    async def stop() -> Any:
        kept = asyncio.run_coroutine_threadsafe(lend(), turns.loop).result(timeout=5)
        assert not kept.closed
        await tuning.close_kept_sessions()
        return kept

    assert asyncio.run(stop()).closed
    assert not any(loop is turns.loop for loop, _, _ in tuning._sessions.values())
