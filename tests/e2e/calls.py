"""Small helpers the end-to-end tests share: a bounded run, a simulated call on a pair's socket,
a server held still while a caller barges in, the confirmation code in a line."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def held(server: subprocess.Popen) -> Iterator[None]:
    """The server stopped (SIGSTOP) while the block runs, then resumed: frames sent meanwhile
    wait in its socket and arrive together, as when a caller speaks again before a reply is
    ready. A warm turn takes milliseconds, so without this the first request could be answered
    before the second is read, and a barge-in test would test the scheduler, not the channel."""
    server.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        server.send_signal(signal.SIGCONT)


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
