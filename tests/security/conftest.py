"""The attacks on bookings and on the servers, replayed end to end against real servers: each
test fails if the attack succeeds (docs/trust.md).

One assistant serves the package: a channel secret is set, so the numbers of simulated calls are
vouched for (as on a real Retell call); the business profile is a copy the tests may edit (the
action server re-reads it when it changes); the clock is fixed, like every end-to-end test's.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.storage.bookings import Booking, BookingStore
from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.conftest import NOW
from tests.e2e.servers import MODEL, REPO, Assistant, serving, sqlite_env

TZ = ZoneInfo("America/New_York")
CHANNEL_SECRET = secrets.token_hex(16)
GREETING = "Hi, thanks for calling Bella Hair Studio. How can I help you today?"
ASK_EMAIL = "What's the email address the booking is under?"
ASK_DAY = "Which day is your appointment on? Or you can tell me its confirmation code."
ASK_NAME = "And the name on the booking?"
NO_MATCH = "Sorry, I couldn't match that to a booking."


@pytest.fixture(scope="package")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("security")
    (workdir / "business.yml").write_text((REPO / "data" / "business.yml").read_text())
    running = Assistant(
        workdir,
        sqlite_env(
            workdir,
            ASSISTANT_NOW=NOW,
            BUSINESS_PROFILE=str(workdir / "business.yml"),
            CHANNEL_SECRET=CHANNEL_SECRET,
        ),
    )
    with serving(running):
        yield running


@pytest.fixture
def store(assistant: Assistant) -> Iterator[BookingStore]:
    store = BookingStore(assistant.env["BOOKING_DB_URL"])
    yield store
    store.dispose()


@pytest.fixture
def caller() -> str:
    return f"caller-{uuid.uuid4().hex[:10]}"


def seed(
    store: BookingStore,
    name: str,
    email: str,
    when: datetime,
    service: str = "Haircut",
    minutes: int = 45,
    phone: str | None = None,
) -> Booking:
    return store.book(
        reference=uuid.uuid4().hex,
        name=name,
        email=email,
        phone=phone,
        service=service,
        start=when,
        end=when + timedelta(minutes=minutes),
        slot_minutes=15,
        capacity=1,
    )


def spelled(code: str) -> str:
    return " ".join(code)


def leaks(heard: str, booking: Booking) -> list[str]:
    """What of `booking` a caller heard: its code (as said or as written), its service or its
    day. (Not the name: the caller's own read-back may spell an email that holds it.)"""
    start = booking.start.astimezone(TZ)
    day = f"{start:%B} {start.day}"
    marks = {
        "code": spelled(booking.code),
        "code written": booking.code,
        "service": booking.service.lower(),
        "day": day,
        "weekday": f"{start:%A}",
    }
    return [what for what, mark in marks.items() if mark.lower() in heard.lower()]


def code_in(text: str) -> str:
    match = re.search(r"code is (?:still )?((?:[A-Z0-9] ){4}[A-Z0-9])", text)
    assert match, text
    return match.group(1).replace(" ", "")


# -- calls over the socket ------------------------------------------------------------------------


def url(assistant: Assistant) -> str:
    return f"ws://127.0.0.1:{assistant.rasa_port}/webhooks/retell/llm-websocket"


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 180))


async def open_call(assistant: Assistant, phone: str | None = None) -> SimulatedCall:
    return await SimulatedCall(url(assistant), FakeRetell(from_number=phone)).connect()


def call(assistant: Assistant, lines: list[str], phone: str | None = None) -> list:
    """One simulated call: the greeting, then each line; returns the agent's responses."""

    async def talk():
        sim = await open_call(assistant, phone)
        try:
            heard = [await sim.greeting()]
            for line in lines:
                heard.append(await sim.say(line))
            return heard
        finally:
            await sim.close()

    return run(talk())


# -- changing the action server's settings --------------------------------------------------------


@contextmanager
def profile_changed(assistant: Assistant, **changes) -> Iterator[None]:
    """The business profile with `changes` (a value of None removes the key), restored after."""
    path = Path(assistant.env["BUSINESS_PROFILE"])
    original = path.read_text()
    profile = yaml.safe_load(original)
    for key, value in changes.items():
        if value is None:
            profile.pop(key, None)
        else:
            profile[key] = value
    try:
        path.write_text(yaml.safe_dump(profile))
        os.utime(path)
        yield
    finally:
        path.write_text(original)
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def restart_actions(assistant: Assistant, **env: str | None) -> None:
    """Restart the action server with `env` changed (None removes a variable)."""
    assistant.stop("actions")
    for key, value in env.items():
        if value is None:
            assistant.env.pop(key, None)
        else:
            assistant.env[key] = value
    assistant.start_actions()
