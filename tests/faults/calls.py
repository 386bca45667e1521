"""Small helpers the fault tests share: the socket address, a bounded run, a greeted call."""

from __future__ import annotations

import asyncio
import re

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.servers import Assistant


def url(assistant: Assistant) -> str:
    return f"ws://127.0.0.1:{assistant.rasa_port}/webhooks/retell/llm-websocket"


def run(coroutine, timeout: float = 120):
    """Every fault test's call is bounded: a hang fails the test instead of stalling the run."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def open_call(assistant: Assistant, fake: FakeRetell | None = None) -> SimulatedCall:
    sim = await SimulatedCall(url(assistant), fake or FakeRetell()).connect()
    await sim.greeting()
    return sim


def code_in(text: str) -> str:
    match = re.search(r"code is ((?:[A-Z0-9] ){4}[A-Z0-9])", text)
    assert match, f"no confirmation code in {text!r}"
    return match.group(1).replace(" ", "")
