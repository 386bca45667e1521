"""Small helpers the end-to-end tests share: a bounded run, a simulated call on a pair's socket,
the confirmation code in a line."""

from __future__ import annotations

import asyncio
import re

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.servers import Assistant


def run(coroutine, timeout: float = 120):
    """Every call a test holds is bounded: a hang fails the test instead of stalling the run."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def connect(
    assistant: Assistant,
    phone: str | None = None,
    *,
    fake: FakeRetell | None = None,
    token: str | None = None,
) -> SimulatedCall:
    """A simulated call on the pair's socket, not yet greeted: from `phone` (None: no number)
    unless `fake` is given, with the socket secret `token` where the pair asks for one."""
    return await SimulatedCall(
        assistant.socket_url, fake or FakeRetell(from_number=phone), token=token
    ).connect()


async def open_call(
    assistant: Assistant, phone: str | None = None, *, fake: FakeRetell | None = None
) -> SimulatedCall:
    """A simulated call past its greeting."""
    sim = await connect(assistant, phone, fake=fake)
    await sim.greeting()
    return sim


def code_in(text: str) -> str:
    """The confirmation code the assistant said in `text` ("code is K 7 P 2 Q"), written."""
    match = re.search(r"code is (?:still )?((?:[A-Z0-9] ){4}[A-Z0-9])", text)
    assert match, f"no confirmation code in {text!r}"
    return match.group(1).replace(" ", "")
