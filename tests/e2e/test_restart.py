"""Conversations live in the tracker store, not in the Rasa process: a restart loses nothing."""

from __future__ import annotations

import re


def test_a_booking_continues_after_the_rasa_server_restarts(assistant, caller):
    assistant.say(caller, "i'd like to book a haircut")
    assert "email" in " ".join(assistant.say(caller, "jane roe"))

    assistant.stop("rasa")
    assistant.start_rasa()

    said = " ".join(assistant.say(caller, "jane dot roe at example dot com"))
    assert "What day would you like to come in?" in said, said
    assistant.say(caller, "saturday")
    said = " ".join(assistant.say(caller, "ten am"))
    assert "Jane Roe, haircut, Saturday, December 5th at 10 AM" in said
    code = re.search(r"code is ((?:[A-Z0-9] ){4}[A-Z0-9])", " ".join(assistant.say(caller, "yes")))
    assert code, "no confirmation code"
    stored = [b for b in assistant.bookings() if b["code"] == code.group(1).replace(" ", "")]
    assert stored and stored[0]["email"] == "jane.roe@example.com"


def test_a_call_reconnects_after_a_rasa_restart_and_continues_the_form(assistant):
    import asyncio

    from connector.retell.simulator import FakeRetell
    from tests.e2e.calls import connect

    fake = FakeRetell()

    async def before():
        sim = await connect(assistant, fake=fake)
        await sim.greeting()
        await sim.say("i'd like to book a blow dry")
        await sim.close()

    async def after():
        sim = await connect(assistant, fake=fake)
        try:
            return (await sim.say("hal jones")).text
        finally:
            await sim.close()

    asyncio.run(before())
    assistant.stop("rasa", hard=True)
    assistant.start_rasa()
    said = asyncio.run(after())
    assert "email" in said, said
    assert [f for f in fake.received if f.get("response_id") == 0][-1]["content"] == ""
