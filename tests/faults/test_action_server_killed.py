"""The action server dies mid-call (SIGKILL, mid-form): the caller hears a short apology and the
response is closed; once the action server is back, the call picks the form up where it was and
the booking completes.

Two ways to die: between two turns (the next turn finds nobody at the action server's port), and
with a turn in flight (the action server is frozen with SIGSTOP while it holds the turn's
request, then killed, so Rasa's request dies mid-way).
"""

from __future__ import annotations

import asyncio
import signal
import time

from connector.retell.session import APOLOGY, FAILED
from tests.e2e.calls import code_in, open_call, run

APOLOGIES = (APOLOGY, FAILED)


def _apologised(response) -> None:
    assert response.complete  # closed: Retell is not left waiting on an open response
    assert response.text in APOLOGIES, response.text  # short, and nothing else was said


def test_killed_between_turns_apologises_then_the_booking_completes(assistant):
    async def call():
        sim = await open_call(assistant)
        try:
            assert "your name" in (await sim.say("i'd like to book a haircut")).text
            assistant.stop("actions", hard=True)
            started = time.monotonic()
            down = await sim.say("dana white", timeout=20)
            took = time.monotonic() - started
            assistant.start_actions()
            again = await sim.say("dana white")
            await sim.say("dana at example dot com")
            await sim.say("saturday")
            readback = (await sim.say("ten am")).text
            done = (await sim.say("yes")).text
            return down, took, again.text, readback, done, sim.fake
        finally:
            await sim.close()

    down, took, again, readback, done, fake = run(call())
    _apologised(down)
    assert took < 10, took  # refused connections fail fast: no long dead air
    assert "email" in again  # the form went on from the name question
    assert "Dana White, haircut, Saturday, December 5th at 10 AM" in readback
    code = code_in(done)
    assert [b["name"] for b in assistant.bookings() if b["code"] == code] == ["Dana White"]
    assert not fake.errors, fake.errors


def test_killed_with_a_turn_in_flight_apologises_then_the_booking_completes(assistant):
    actions = assistant.processes["actions"]

    async def call():
        sim = await open_call(assistant)
        try:
            assert "your name" in (await sim.say("i'd like to book a colour")).text
            assert "email" in (await sim.say("erin fox")).text
            actions.send_signal(signal.SIGSTOP)  # it will accept Rasa's request, never answer
            rid = await sim.send_line("erin at example dot com")
            await asyncio.sleep(0.5)
            assistant.stop("actions", hard=True)  # SIGKILL ends a stopped process too
            down = await sim.response(rid, timeout=20)
            assistant.start_actions()
            again = (await sim.say("erin at example dot com")).text
            await sim.say("friday")
            await sim.say("two pm")
            done = (await sim.say("yes")).text
            return down, again, done, sim.fake
        finally:
            await sim.close()

    try:
        down, again, done, fake = run(call())
    finally:
        if actions.poll() is None:  # never leave a frozen process behind
            actions.send_signal(signal.SIGCONT)
            actions.kill()
    # The holding line may come first (the turn waited 0.5 s + Rasa's request failing).
    assert down.complete
    assert down.text.removeprefix("One moment, please.").strip() in APOLOGIES, down.text
    assert "What day" in again, again  # the email was taken this time
    code = code_in(done)
    [row] = [b for b in assistant.bookings() if b["code"] == code]
    assert (row["name"], row["email"]) == ("Erin Fox", "erin@example.com")
    assert not fake.errors, fake.errors
