"""Call control and trust over the real socket: reminders, noise, the watchdog, transfer without a
number, tool-call frames, the caller's phone, the socket secret, and logs without contact details.

The module takes the `guarded` pair (pairs.py): a socket secret and a channel secret are set,
the profile has no transfer number, and Rasa reaches the action server through `SlowProxy`, which
can hold one action back to make a turn slow.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest
import websockets

from common import identity
from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.calls import code_in, connect, run
from tests.e2e.pairs import CHANNEL_SECRET, WS_SECRET, ServerPairs
from tests.e2e.servers import Assistant


@pytest.fixture
def assistant(server_pairs: ServerPairs, request: pytest.FixtureRequest) -> Assistant:
    return server_pairs.get("guarded", request.module.__name__)


async def open_call(assistant, phone: str | None = None) -> SimulatedCall:
    return await connect(assistant, phone, token=WS_SECRET)


async def book(sim: SimulatedCall, name: str, email: str, day: str, time: str) -> str:
    """A whole booking in one call; returns the agent's last line."""
    assert "your name" in (await sim.say("i'd like to book a haircut")).text
    assert "email" in (await sim.say(name)).text
    await sim.say(email)
    await sim.say(day)
    assert "Shall I book it?" in (await sim.say(time)).text
    return (await sim.say("yes")).text


def slots(assistant, call_id: str) -> dict:
    return assistant.tracker(call_id)["slots"]


def tool_frames(fake: FakeRetell) -> list[dict]:
    return [f for f in fake.received if f.get("response_type", "").startswith("tool_call")]


def test_a_reminder_and_noise_mid_form_then_the_booking_completes(assistant):
    phone = "+17185550101"

    async def call():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            assert "your name" in (await sim.say("i'd like to book a haircut")).text
            reminder = await sim.remind()
            assert reminder.text == "Are you still there? Can I have your name, please?"
            assert "email" in (await sim.say("dana white")).text
            before = slots(assistant, sim.fake.call_id)
            noise = await sim.say("(unintelligible audio)")
            assert noise.text == (
                "Sorry, I didn't catch that. What email address should I send the confirmation to?"
            )
            assert slots(assistant, sim.fake.call_id) == before  # nothing stored from noise
            await sim.say("dana at example dot com")
            await sim.say("friday")
            assert "Shall I book it?" in (await sim.say("ten am")).text
            done = await sim.say("yes")
            return done, sim.fake
        finally:
            await sim.close()

    done, fake = run(call())
    assert "You're all set for Friday, December 4th at 10 AM" in done.text
    code = code_in(done.text)
    invocation, result = tool_frames(fake)
    assert invocation["response_type"] == "tool_call_invocation"
    assert invocation["name"] == "book_appointment"
    assert json.loads(invocation["arguments"]) == {
        "service": "Haircut",
        "start": "2026-12-04T10:00:00-05:00",
        "code": code,
    }
    assert result["tool_call_id"] == invocation["tool_call_id"] and result["successful"] is True
    assert code in result["content"]
    [stored] = [b for b in assistant.bookings() if b["code"] == code]
    assert stored["phone"] == phone  # the channel's caller id, in E.164


def test_a_slow_action_gets_the_holding_line_then_its_answer_under_the_same_id(assistant):
    assistant.proxy.delays["action_gemini_fallback"] = 2.5

    async def call():
        sim = await open_call(assistant)
        try:
            await sim.greeting()
            return await sim.say("where are you located?")
        finally:
            await sim.close()

    try:
        answer = run(call())
    finally:
        assistant.proxy.delays.clear()
    assert answer.chunks[0] == "One moment, please. "  # after ~1.5 s of nothing
    assert 1.2 < answer.first_frame_at - answer.requested_at < 2.4
    rest = "".join(answer.chunks[1:]).strip()
    assert rest and rest != "One moment, please.", answer.chunks  # the real answer followed


def test_without_a_transfer_number_the_fourth_miss_ends_the_call(assistant):
    async def call():
        sim = await open_call(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            await sim.say("mo reyes")
            return [await sim.say("purple") for _ in range(4)]
        finally:
            await sim.close()

    heard = run(call())
    assert [a.text.startswith("Sorry, I didn't catch an email address.") for a in heard[:3]] == [
        True,
        True,
        True,
    ]
    assert "call us back" in heard[2].text and "a person" not in heard[2].text
    assert heard[3].text.startswith("Sorry, I couldn't get the email address, so please call")
    assert heard[3].flags.get("end_call") is True
    assert "transfer_number" not in heard[3].flags


def test_without_a_transfer_number_the_assistant_says_so(assistant):
    async def call():
        sim = await open_call(assistant)
        try:
            await sim.greeting()
            return await sim.say("can i talk to a real person")
        finally:
            await sim.close()

    answer = run(call())
    assert "no one I can put you through to" in answer.text
    assert "transfer_number" not in answer.flags


def test_a_known_phone_is_greeted_plainly_and_proves_its_booking(assistant):
    phone = "+17185550102"

    async def first_call():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            return await book(sim, "maria garcia", "maria at example dot com", "saturday", "noon")
        finally:
            await sim.close()

    async def second_call():
        sim = await open_call(assistant, phone)
        try:
            heard = [(await sim.greeting()).text]
            heard.append((await sim.say("i want to cancel it")).text)
            heard.append((await sim.say("saturday")).text)
            heard.append((await sim.say("maria garcia")).text)
            done = await sim.say("yes")
            return heard, done, sim.fake
        finally:
            await sim.close()

    assert "You're all set" in run(first_call())
    heard, done, fake = run(second_call())
    # The same greeting as any caller's (GREET_KNOWN_CALLER is unset): nothing of the booking.
    assert heard[0] == "Hi, thanks for calling Bella Hair Studio. How can I help you today?"
    # Found by the number, never asked for the email; proven with the day and the name.
    assert heard[1] == "Which day is your appointment on? Or you can tell me its confirmation code."
    assert heard[2] == "And the name on the booking?"
    assert heard[3] == "That's your haircut on Saturday, December 5th at noon. Shall I cancel it?"
    assert "is cancelled" in done.text
    assert [f["name"] for f in tool_frames(fake) if "name" in f] == ["cancel_appointment"]
    [stored] = [b for b in assistant.bookings() if b["phone"] == phone]
    assert stored["status"] == "cancelled"


def test_cancel_it_right_after_the_recognised_greeting_goes_to_the_cancelling(assistant):
    phone = "+17185550104"

    async def first_call():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            return await book(sim, "ola berg", "ola at example dot com", "friday", "2 pm")
        finally:
            await sim.close()

    async def second_call():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            return (await sim.say("cancel it")).text
        finally:
            await sim.close()

    assert "You're all set" in run(first_call())
    heard = run(second_call())
    assert "stopped" not in heard and "Which day is your appointment on?" in heard, heard


def test_rest_metadata_claiming_a_phone_cannot_reach_its_booking(assistant):
    phone = "+17185550103"

    async def booked():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            return await book(sim, "lee park", "lee at example dot com", "wednesday", "3 pm")
        finally:
            await sim.close()

    assert "You're all set" in run(booked())
    sender = f"rest-{secrets.token_hex(4)}"
    forged = identity.claim(b"not the secret", sender, phone)
    claims = [
        {"caller": {"phone": phone}},  # unsigned
        {"caller": forged, "retell": {"call_id": sender, "from_number": phone}},
    ]
    for metadata in claims:
        said = assistant.say(sender, "hi", metadata=metadata, input_channel="retell")
        assert not any("Lee" in line for line in said), said  # not recognised
        said = assistant.say(
            sender, "i want to cancel my appointment", metadata=metadata, input_channel="retell"
        )
        assert any("email address the booking is under" in line for line in said), said
        said = assistant.say(sender, "lee park", metadata=metadata, input_channel="retell")
        assert not any("cancel" in line.lower() and "shall" in line.lower() for line in said)
        assistant.say(sender, "never mind")
    [stored] = [b for b in assistant.bookings() if b["phone"] == phone]
    assert stored["status"] == "confirmed"


def test_the_socket_secret_is_required(assistant):
    base = assistant.socket_url

    async def refused(address: str) -> int:
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as refusal:
            await websockets.connect(address)
        return refusal.value.status_code

    async def greeted_with_path_secret() -> str:
        sim = await SimulatedCall(f"{base}/{WS_SECRET}", FakeRetell()).connect()
        try:
            return (await sim.greeting()).text
        finally:
            await sim.close()

    assert run(refused(f"{base}/call-no-token")) == 403
    assert run(refused(f"{base}/call-bad?token=wrong")) == 403
    assert run(refused(f"{base}/wrong-secret/call-bad-segment")) == 403
    assert "Bella Hair Studio" in run(greeted_with_path_secret())


def test_logs_of_whole_calls_hold_no_contact_details_or_secrets(assistant):
    phone = "+17185550104"

    async def call():
        sim = await open_call(assistant, phone)
        try:
            await sim.greeting()
            done = await book(sim, "sam lowe", "sam.lowe at example dot com", "thursday", "4 pm")
            await sim.say("bye")
            return done
        finally:
            await sim.close()

    assert "You're all set" in run(call())
    logs = "\n".join(assistant.log(n).read_text(errors="replace") for n in ("rasa", "actions"))
    assert "turn response_id=" in logs and "submit: booking" in logs  # the calls were logged
    for secret in (WS_SECRET, CHANNEL_SECRET):
        assert secret not in logs
    assert not re.search(r"[a-z.]+@example\.com", logs)  # every address used in this module
    # Every caller number of this module, however it might be written.
    assert not re.search(r"718\D{0,3}555\D?010[1-4]", logs)
