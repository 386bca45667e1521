"""Scale-out with the documented cluster configuration: two Rasa replicas and one action server on
the local Postgres (tracker store, bookings) and Redis (lock store), with
`rasa_project/endpoints.cluster.yml` as is.

A call starts on replica A; its socket drops and Retell's reconnect (same call id) lands on
replica B: the form continues where it was, a question is answered by Gemini (the fake) through
the relay of the replica that now holds the socket, and the booking completes.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.conftest import _on_ci
from tests.e2e.servers import NOW, PROJECT, Assistant, base_env, free_port
from tests.fakes.gemini import FakeGemini

REDIS_HOST = os.environ.get("TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "6379"))


@pytest.fixture
def redis_db() -> int:
    """A Redis database number for this test's locks; skip (fail on CI) without Redis."""
    import redis

    try:
        redis.StrictRedis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=2).ping()
    except redis.RedisError as error:
        message = f"Redis at {REDIS_HOST}:{REDIS_PORT} unreachable: {error}"
        if _on_ci():
            pytest.fail(f"{message} (CI=true: the cluster test must run)", pytrace=False)
        pytest.skip(f"{message}; set TEST_REDIS_HOST/TEST_REDIS_PORT to run the cluster test")
    return 7


def test_a_call_moves_to_another_replica_and_the_booking_completes(
    tmp_path, postgres_url, redis_db, model
):
    secret = secrets.token_hex(16)
    ports = {"a": free_port(), "b": free_port()}
    action_port = free_port()
    common = dict(
        ASSISTANT_NOW=NOW,
        CHANNEL_SECRET=secret,
        TRACKER_STORE_URL=postgres_url,
        BOOKING_DB_URL=postgres_url,
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
        REDIS_HOST=REDIS_HOST,
        REDIS_PORT=str(REDIS_PORT),
        REDIS_DB=str(redis_db),
        LOCK_KEY_PREFIX=f"test{secrets.token_hex(4)}",
    )
    relay_urls = ",".join(
        f"{r}=http://127.0.0.1:{p}/webhooks/retell/relay" for r, p in ports.items()
    )
    with FakeGemini(valid_key="cluster-key") as gemini:
        gemini.script(["Yes, there's free parking ", "behind the salon. ", "It's easy to find."])
        cluster_file = PROJECT / "endpoints.cluster.yml"
        replicas = {
            name: Assistant(
                tmp_path / name,
                base_env(
                    **common,
                    REPLICA_ID=name,
                    RELAY_URLS=relay_urls,
                    GEMINI_API_KEY="cluster-key",
                    GEMINI_API_ENDPOINT=gemini.endpoint,
                ),
                action_port=action_port,
                rasa_port=port,
                endpoints_file=cluster_file,
            )
            for name, port in ports.items()
        }
        a, b = replicas["a"], replicas["b"]
        try:
            a.workdir.mkdir(parents=True)
            b.workdir.mkdir(parents=True)
            a.start_actions()  # one action server for both replicas
            with ThreadPoolExecutor(2) as pool:  # each start is slow: side by side
                list(pool.map(lambda replica: replica.start_rasa(), (a, b)))
            heard, fake = asyncio.run(asyncio.wait_for(_call(ports), 180))
        finally:
            a.stop_all()
            b.stop_all()
        logs = {name: r.log("rasa").read_text(errors="replace") for name, r in replicas.items()}
        actions_log = a.log("actions").read_text(errors="replace")

    assert "email" in heard["name"]
    # Replica B took the call over from the shared tracker store: no second greeting, the form
    # continued with the email it had asked for.
    assert "day" in heard["email"].lower()
    assert heard["parking"].startswith("Yes, there's free parking behind the salon.")
    assert "time" in heard["parking"].split("salon.", 1)[1]  # then the form re-asks
    assert "You're all set for Friday, December 4th at 10 AM" in heard["yes"]
    call_id = fake.call_id
    assert f"call {call_id}: socket open (new call)" in logs["a"]
    assert f"call {call_id}: socket open (reconnect)" in logs["b"]
    assert "route=fallback" in logs["b"] and "route=fallback" not in logs["a"]
    # The Gemini answer went through the relay (to B, which holds the socket), not as a message.
    assert re.search(
        r"fallback: source=gemini outcome=answered .* relayed=[1-9]\d* unsent=0", actions_log
    ), actions_log[-2000:]
    code = re.search(r"code is ((?:[A-Z0-9] ){4}[A-Z0-9])", heard["yes"]).group(1).replace(" ", "")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT code, status FROM bookings")).all()
    finally:
        engine.dispose()
    assert rows == [(code, "confirmed")]


async def _call(ports: dict[str, int]) -> tuple[dict[str, str], FakeRetell]:
    def url(name: str) -> str:
        return f"ws://127.0.0.1:{ports[name]}/webhooks/retell/llm-websocket"

    fake = FakeRetell()
    heard: dict[str, str] = {}
    first = await SimulatedCall(url("a"), fake=fake).connect()
    try:
        await first.greeting()
        await first.say("i'd like to book a haircut")
        heard["name"] = (await first.say("dana white")).text
    finally:
        await first.close()  # the socket drops
    second = await SimulatedCall(url("b"), fake=fake).connect()  # Retell reconnects elsewhere
    try:
        heard["email"] = (await second.say("dana at example dot com")).text
        await second.say("friday")
        heard["parking"] = (await second.say("is there parking near you?")).text
        await second.say("ten am")
        heard["yes"] = (await second.say("yes")).text
    finally:
        await second.close()
    return heard, fake
