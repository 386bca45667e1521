"""The attacks on bookings and on the servers, replayed end to end against real servers: each
test fails if the attack succeeds (docs/trust.md).

The package takes the `gemini` pair (tests/e2e/pairs.py): a channel secret is set, so the numbers
of simulated calls are vouched for (as on a real Retell call); the business profile is a copy the
tests may edit (the action server re-reads it when it changes); the clock is fixed, like every
end-to-end test's; questions outside the forms go to the fake Gemini.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from actions.storage.bookings import Booking
from tests.e2e.calls import connect, run
from tests.e2e.pairs import ServerPairs
from tests.e2e.servers import Assistant

TZ = ZoneInfo("America/New_York")
GREETING = "Hi, thanks for calling Bella Hair Studio. How can I help you today?"
ASK_EMAIL = "What's the email address the booking is under?"
ASK_DAY = "Which day is your appointment on? Or you can tell me its confirmation code."
ASK_NAME = "And the name on the booking?"
NO_MATCH = "Sorry, I couldn't match that to a booking."


@pytest.fixture
def assistant(server_pairs: ServerPairs, request: pytest.FixtureRequest) -> Assistant:
    return server_pairs.get("gemini", request.module.__name__)


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


# -- calls over the socket ------------------------------------------------------------------------


def call(assistant: Assistant, lines: list[str], phone: str | None = None) -> list:
    """One simulated call: the greeting, then each line; returns the agent's responses."""

    async def talk():
        sim = await connect(assistant, phone)
        try:
            heard = [await sim.greeting()]
            for line in lines:
                heard.append(await sim.say(line))
            return heard
        finally:
            await sim.close()

    return run(talk(), 180)


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
