"""The Rasa server is killed hard (SIGKILL) with a call's socket open and a turn in flight, in the
middle of a booking, and started again: the call reconnects (same call id, new socket), is not
greeted again, and the form goes on from where the tracker store left it until the booking is
made.

tests/e2e/test_restart.py covers the gentle version (the socket closed before the kill, one turn
after). Here the socket dies under the caller (an abnormal close, as Retell sees a crash) and the
turn Rasa was running is lost with it: the action server is frozen while it holds that turn's
request, so the kill lands mid-turn, and the tracker keeps only what was saved before. Retell
then asks again on the new socket with the same transcript; we model that as the last caller
line re-sent (`revise_last` with the same words, a new response id).
"""

from __future__ import annotations

import asyncio
import signal

from connector.retell.simulator import FakeRetell
from tests.e2e.calls import code_in, connect, open_call, run


def test_a_call_reconnects_after_a_hard_kill_mid_turn_and_finishes_its_booking(assistant):
    fake = FakeRetell()
    actions = assistant.processes["actions"]

    async def before_the_crash():
        sim = await open_call(assistant, fake=fake)
        assert "your name" in (await sim.say("i'd like to book a blow dry")).text
        assert "email" in (await sim.say("hal jones")).text
        actions.send_signal(signal.SIGSTOP)
        try:
            lost = await sim.send_line("hal at example dot com")
            await asyncio.sleep(0.5)  # Rasa is inside the turn, waiting on the action server
            assistant.stop("rasa", hard=True)
            await asyncio.wait_for(sim.ws.wait_closed(), 10)
        finally:
            actions.send_signal(signal.SIGCONT)
        close_code = sim.ws.close_code
        await sim.close()
        return lost, close_code

    async def after_the_restart():
        sim = await connect(assistant, fake=fake)
        try:
            await asyncio.sleep(0.3)  # time for a (wrong) second greeting to show up
            opening = [f for f in fake.received if f.get("response_id") == 0][-1]
            again = (await sim.say("hal at example dot com", revise_last=True)).text
            readback = ""
            for line in ("saturday", "eleven am"):
                readback = (await sim.say(line)).text
            done = (await sim.say("yes")).text
            return opening, again, readback, done
        finally:
            await sim.close()

    lost, close_code = run(before_the_crash())
    assert close_code == 1006  # no close frame: the server died
    assert not fake.responses[lost].complete  # the turn in flight was never answered
    assistant.start_rasa()
    opening, again, readback, done = run(after_the_restart())
    # A reconnect: config, then an empty and complete response 0, no second greeting.
    assert opening == {
        "response_type": "response",
        "response_id": 0,
        "content": "",
        "content_complete": True,
    }
    assert "What day would you like to come in?" in again, again  # name kept, email taken
    assert "Hal Jones, blow-dry, Saturday, December 5th at 11 AM" in readback, readback
    code = code_in(done)
    [row] = [b for b in assistant.bookings() if b["code"] == code]
    assert (row["name"], row["email"], row["service"]) == (
        "Hal Jones",
        "hal@example.com",
        "Blow-dry",
    )
    assert not fake.errors, fake.errors
