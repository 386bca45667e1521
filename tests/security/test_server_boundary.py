"""Attacks on the servers themselves, replayed end to end: each test fails
if the attack succeeds (docs/trust.md, "Between the servers").

- A forged `/webhook` call to the action server (Rasa's `action_submit_cancel` with the proven
  booking's code and `cancel_confirmed`) cancelled that booking; now the action server answers
  only requests carrying ACTION_SERVER_TOKEN.
- The development HTTP API answered anyone on the machine; now it asks for its token.
- REST with `sender=<a Retell call id>` continued that call; now REST conversations live apart.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime

import pytest

from actions.storage.schema import CANCELLED, CONFIRMED
from connector.retell.simulator import FakeRetell
from tests.bookings import seed
from tests.e2e.calls import connect, run
from tests.security.conftest import TZ


def post(address: str, body: dict, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        address,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def forged_cancel(code: str) -> dict:
    """What Rasa would send the action server to cancel the booking `code`."""
    sender = f"forger-{uuid.uuid4().hex[:8]}"
    return {
        "next_action": "action_submit_cancel",
        "sender_id": sender,
        "tracker": {
            "sender_id": sender,
            "slots": {"proven_booking": code, "cancel_confirmed": True},
            "latest_message": {},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
        "domain": {},
        "version": "3.6.0",
    }


def status_of(store, code: str) -> str:
    return store.get(code).status


@pytest.mark.parametrize(
    ("headers", "hour"),  # a slot of its own per case
    [
        ({}, 10),
        ({"Authorization": "Bearer not-the-token"}, 11),
        ({"Authorization": "not-even-bearer"}, 12),
    ],
    ids=["no token", "wrong token", "malformed"],
)
def test_a_forged_webhook_call_cancels_nothing(assistant, store, headers, hour):
    when = datetime(2026, 12, 8, hour, tzinfo=TZ)
    booking = seed(store, "Jane Doe", "jane@example.com", when)
    logged = assistant.log_end("actions")
    status, body = post(assistant.actions_direct, forged_cancel(booking.code), headers)
    assert status == 401, body
    assert b"cancelled" not in body
    assert status_of(store, booking.code) == CONFIRMED
    # The refusal is logged, and never with what was presented or the real token.
    assert "refused POST /webhook" in assistant.log_since("actions", logged)
    log = assistant.log("actions").read_text(errors="replace")
    assert assistant.env["ACTION_SERVER_TOKEN"] not in log
    assert "not-the-token" not in log


def test_the_same_call_with_rasas_token_is_served(assistant, store):
    """The attack above is real: with the token, the same request cancels (so the 401s are the
    token check, not a malformed request)."""
    booking = seed(store, "Jane Doe", "jane@example.com", datetime(2026, 12, 10, 14, tzinfo=TZ))
    status, body = post(
        assistant.actions_direct,
        forged_cancel(booking.code),
        {"Authorization": f"Bearer {assistant.env['ACTION_SERVER_TOKEN']}"},
    )
    assert status == 200, body
    assert status_of(store, booking.code) == CANCELLED


def test_every_route_but_the_health_check_asks_for_the_token(assistant):
    base = f"http://127.0.0.1:{assistant.action_port}"
    with urllib.request.urlopen(base + "/health", timeout=30) as response:
        assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "/actions", timeout=30)
    assert refused.value.code == 401


def api(assistant, path: str, token: str | None, method: str = "GET", body=None) -> int:
    address = f"http://127.0.0.1:{assistant.rasa_port}{path}"
    if token is not None:
        address += f"?token={token}"
    request = urllib.request.Request(
        address,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_http_api_needs_its_token(assistant, caller):
    assistant.say(caller, "i'd like to cancel my appointment")
    conversation = f"rest:{caller}"
    slot = [{"event": "slot", "name": "proven_booking", "value": "ABCDE"}]
    for token in (None, "wrong-token"):
        assert api(assistant, f"/conversations/{conversation}/tracker", token) in (401, 403)
        status = api(
            assistant, f"/conversations/{conversation}/tracker/events", token, "POST", slot
        )
        assert status in (401, 403)
    assert assistant.tracker(conversation)["slots"].get("proven_booking") is None
    assert api(assistant, f"/conversations/{conversation}/tracker", None) == 401
    good = assistant.env["RASA_API_TOKEN"]
    assert api(assistant, f"/conversations/{conversation}/tracker", good) == 200


def test_a_rest_sender_equal_to_a_call_id_cannot_continue_the_call(assistant):
    fake = FakeRetell()

    async def talk() -> None:
        sim = await connect(assistant, fake=fake)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            await sim.say("dana white")
        finally:
            await sim.close()

    run(talk())
    before = assistant.tracker(fake.call_id)
    assert before["slots"]["customer_name"] == "Dana White"
    heard = " ".join(assistant.say(fake.call_id, "dana at example dot com"))
    heard += " ".join(assistant.say(fake.call_id, "what name is the booking under?"))
    after = assistant.tracker(fake.call_id)
    assert len(after["events"]) == len(before["events"])  # the call heard nothing of it
    assert after["slots"]["email"] is None
    assert "Dana" not in heard
    # The REST messages went to a conversation of their own.
    rest = assistant.rest_tracker(fake.call_id)
    assert rest["sender_id"] == f"rest:{fake.call_id}"
    assert rest["slots"].get("customer_name") is None


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints.cluster.yml"])
def test_rasas_kept_sessions_send_the_token_on_every_call(monkeypatch, name):
    """The repository's endpoints files, read by Rasa, through the kept sessions of
    connector/rasa_patches/tuning.py: every call to the action server carries the header."""
    import asyncio

    from aiohttp import web
    from rasa.core.utils import AvailableEndpoints

    from connector.rasa_patches import registry, tuning
    from tests.e2e.servers import PROJECT

    registry.apply(["kept_sessions"])  # as `booking-rasa` applies it by default

    seen: list[str | None] = []

    async def webhook(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"events": []})

    async def calls() -> None:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        monkeypatch.setenv("ACTION_ENDPOINT_URL", f"http://127.0.0.1:{port}/webhook")
        for key in ("REDIS_HOST", "REDIS_PORT", "REDIS_DB", "LOCK_KEY_PREFIX"):
            monkeypatch.setenv(key, "0")
        try:
            endpoint = AvailableEndpoints.read_endpoints(str(PROJECT / name)).action
            for n in range(3):
                await endpoint.request(json={"n": n}, method="post")
            assert any(
                loop is asyncio.get_running_loop() for loop, _, _ in tuning._sessions.values()
            )
        finally:
            await tuning.close_kept_sessions()
            await runner.cleanup()

    token = "t" * 40
    monkeypatch.setenv("ACTION_SERVER_TOKEN", token)
    assert tuning.EndpointConfig.session is tuning.kept_session
    asyncio.run(calls())
    assert seen == [f"Bearer {token}"] * 3
