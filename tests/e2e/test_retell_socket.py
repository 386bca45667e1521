"""Calls over the Retell WebSocket, end to end: the simulator against the real servers."""

from __future__ import annotations

import asyncio
import json
import signal
import time

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.bookings import seed
from tests.e2e.calls import code_in, connect, held, run


def test_a_whole_booking_over_the_socket(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            greeting = await sim.greeting()
            assert "Bella Hair Studio" in greeting.text
            assert sim.fake.config == {
                "auto_reconnect": True,
                "call_details": True,
                "transcript_with_tool_calls": False,
            }
            said = (await sim.say("i'd like to book a haircut")).text
            assert "your name" in said
            assert "email" in (await sim.say("dana white")).text
            await sim.say("dana at example dot com")
            await sim.say("saturday")
            said = (await sim.say("eleven am")).text
            assert "Dana White, haircut, Saturday, December 5th at 11 AM" in said
            return (await sim.say("yes")).text, sim.fake
        finally:
            await sim.close()

    said, fake = run(call())
    code = code_in(said)
    assert not fake.errors, fake.errors
    stored = [b for b in assistant.bookings() if b["code"] == code]
    assert stored and stored[0]["start"] == "2026-12-05T11:00:00-05:00"


def test_names_the_classifier_hears_as_a_person_are_not_put_through(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            heard = []
            for name in ("victor taylor", "joseph anderson", "gene page", "ray person"):
                heard.append(await sim.say(name))
            return heard
        finally:
            await sim.close()

    for response in run(call()):
        assert "transfer_number" not in response.flags, response.text
        assert response.text.endswith("What email address should I send the confirmation to?")


def test_goodbye_and_transfer_flags_reach_the_frames(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            transfer = await sim.say("can i talk to a real person")
            goodbye = await sim.say("bye")
            return transfer, goodbye
        finally:
            await sim.close()

    transfer, goodbye = run(call())
    assert transfer.flags == {"transfer_number": "+17185550143", "no_interruption_allowed": True}
    assert goodbye.flags == {"end_call": True}


def test_a_person_mid_booking_transfers_and_the_form_says_nothing_after(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            return await sim.say("actually let me talk to a person"), sim.fake.call_id
        finally:
            await sim.close()

    transfer, call_id = run(call())
    assert transfer.text == "Sure, I'll put you through to someone now."
    assert transfer.flags.get("transfer_number") == "+17185550143"
    assert assistant.tracker(call_id)["active_loop"] == {}


def test_the_fourth_miss_on_one_value_transfers(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            await sim.say("lou park")
            await sim.say("lou at example dot com")
            await sim.say("thursday")
            return [await sim.say("purple") for _ in range(4)]
        finally:
            await sim.close()

    heard = run(call())
    for answer in heard[:3]:
        assert answer.text.startswith("Sorry, I didn't catch the time."), answer.text
        assert "Which time would you like: " in answer.text  # the first ask's list again
    assert "say 'a person'" in heard[2].text and "a person" not in heard[1].text
    assert heard[3].text == "Sorry, I couldn't get the time. I'll put you through to someone now."
    assert heard[3].flags.get("transfer_number") == "+17185550143"


def test_pings_are_answered_while_a_slow_turn_runs(assistant):
    """The action server is frozen (SIGSTOP) for 2 s: the turn waits, the pong does not."""
    actions = assistant.processes["actions"]

    async def call():
        sim = await SimulatedCall(assistant.socket_url, ping_every=0).connect()
        try:
            await sim.greeting()
            actions.send_signal(signal.SIGSTOP)
            try:
                rid = await sim.send_line("i'd like to book a haircut")
                await asyncio.sleep(0.3)
                await sim.send_raw(FakeRetell.ping(12345))
                await sim._wait(lambda: sim.fake.pongs, 5)
                pong_at = time.monotonic()
                await asyncio.sleep(1.7)
            finally:
                actions.send_signal(signal.SIGCONT)
            response = await sim.response(rid)
            return sim.fake, response, pong_at
        finally:
            await sim.close()

    fake, response, pong_at = run(call())
    assert fake.pongs == [12345]
    assert response.first_frame_at > pong_at + 1.0
    assert "your name" in response.text


def test_malformed_frames_and_a_3_mb_frame_do_not_end_the_call(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            for bad in [
                "not json",
                "[1, 2]",
                b"\x00\x01binary",
                "{}",
                json.dumps({"interaction_type": "response_required"}),
                json.dumps(
                    {"interaction_type": "response_required", "response_id": "7", "transcript": []}
                ),
                json.dumps({"interaction_type": "something_new"}),
            ]:
                await sim.send_raw(bad)
            words = [{"word": "um", "start": 0.1, "end": 0.2}] * 80000
            huge = {
                "interaction_type": "update_only",
                "transcript": [{"role": "user", "content": "hello", "words": words}],
            }
            payload = json.dumps(huge)
            assert len(payload) > 3_000_000
            await sim.send_raw(payload)
            said = (await sim.say("where are you")).text
            await sim.say("i'd like to book a beard trim")
            await sim.say("ivy long")
            await sim.say("ivy at example dot com")
            await sim.say("saturday december 19th")
            await sim.say("two pm")
            booked = (await sim.say("yes")).text
            return said, booked, sim.fake
        finally:
            await sim.close()

    said, booked, fake = run(call())
    assert "Atlantic Avenue" in said
    code = code_in(booked)
    assert [b["start"] for b in assistant.bookings() if b["code"] == code] == [
        "2026-12-19T14:00:00-05:00"
    ]
    assert not fake.errors


def test_every_response_is_closed_and_only_the_newest_id_is_spoken_for(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            with held(assistant.processes["rasa"]):
                first = await sim.send_line("where are you")
                second = await sim.send_line("is there parking")
            latest = await sim.response(second)
            return sim.fake, first, latest
        finally:
            await sim.close()

    fake, first, latest = run(call())
    # Both lines reach Rasa as one turn ("where are you is there parking"): the first turn was
    # undone because its reply was never heard.
    assert "Atlantic Avenue" in latest.text
    sent_for_first = [
        f
        for f in fake.received
        if f.get("response_type") == "response" and f["response_id"] == first
    ]
    assert all(not f["content"] for f in sent_for_first), sent_for_first


def test_a_reconnect_continues_the_form_without_a_new_greeting(assistant):
    async def call():
        fake = FakeRetell()
        sim = await connect(assistant, fake=fake)
        await sim.greeting()
        await sim.say("i'd like to book a colour")
        await sim.close()
        again = await connect(assistant, fake=fake)
        try:
            await asyncio.sleep(0.5)
            greeting_frames = [f for f in fake.received if f.get("response_id") == 0]
            said = (await again.say("erin fox")).text
            return greeting_frames, said
        finally:
            await again.close()

    greeting_frames, said = run(call())
    # The second socket sent config and an empty, complete response 0: no second greeting.
    assert greeting_frames[-1] == {
        "response_type": "response",
        "response_id": 0,
        "content": "",
        "content_complete": True,
    }
    assert "email" in said


def test_a_revised_name_replaces_the_unheard_first_version(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            await sim.send_line("my name is mike")
            # The caller goes on before hearing the reply: Retell revises the line in place.
            latest = await sim.say("my name is mike trump", revise_last=True)
            return sim.fake.call_id, latest.text
        finally:
            await sim.close()

    call_id, said = run(call())
    assert "email" in said and "didn't catch" not in said
    assert assistant.tracker(call_id)["slots"]["customer_name"] == "Mike Trump"


def test_a_yes_superseded_by_yes_make_it_4_books_once_at_4(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i want a beard trim on tuesday december 15th at 3 pm")
            await sim.say("gus hale")
            said = (await sim.say("gus at example dot com")).text
            assert "at 3 PM" in said, said
            await sim.send_line("yes")
            said = (await sim.say("yes make it 4", revise_last=True)).text
            if "Shall I book it?" in said:  # the change is read back first
                said = (await sim.say("yes")).text
            return said
        finally:
            await sim.close()

    said = run(call())
    assert "code is" in said, said
    gus = [b for b in assistant.bookings() if b["email"] == "gus@example.com"]
    assert [(b["start"], b["status"]) for b in gus] == [("2026-12-15T16:00:00-05:00", "confirmed")]


def test_a_caller_hanging_up_mid_turn_does_not_lose_the_turn(assistant):
    """The turn is held inside Rasa (action server frozen) while the caller hangs up: it still
    completes and its tracker is saved; the output channel swallows the dead socket."""
    actions = assistant.processes["actions"]

    async def call():
        sim = await connect(assistant)
        await sim.greeting()
        actions.send_signal(signal.SIGSTOP)
        try:
            await sim.send_line("i'd like to book a colour")
            await asyncio.sleep(0.5)
            await sim.close()
        finally:
            actions.send_signal(signal.SIGCONT)
        await asyncio.sleep(2)
        return sim.fake.call_id

    call_id = run(call())
    tracker = assistant.tracker(call_id)
    assert tracker["slots"]["service"] == "Colour"
    assert tracker["active_loop"]["name"] == "booking_form"


def test_the_simulator_script_mode_passes_and_fails_on_what_is_heard(assistant, tmp_path):
    import subprocess

    from tests.e2e.servers import BIN

    good = tmp_path / "good.yml"
    good.write_text('- caller: "where are you"\n  expect: ["Atlantic Avenue"]\n')
    bad = tmp_path / "bad.yml"
    bad.write_text('- caller: "where are you"\n  expect: ["on the moon"]\n')
    for script, code in ((good, 0), (bad, 1)):
        result = subprocess.run(
            [str(BIN / "retell-sim"), "--url", assistant.socket_url, "--script", str(script)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == code, result.stdout + result.stderr
    assert "MISSING: 'on the moon'" in result.stdout

    typed = subprocess.run(
        [str(BIN / "retell-sim"), "--url", assistant.socket_url],
        input="where are you\nbye\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    assert "Atlantic Avenue" in typed.stdout and "ms to first frame" in typed.stdout
    assert "Goodbye!" in typed.stdout and "'end_call': True" in typed.stdout


def test_reschedule_and_cancel_over_the_socket(assistant, store):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("America/New_York")
    moving = seed(store, "Vic Stone", "vic@example.com", datetime(2026, 12, 23, 9, tzinfo=tz))
    going = seed(store, "Wes Park", "wes@example.com", datetime(2026, 12, 23, 11, tzinfo=tz))

    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i need to move my appointment")
            await sim.say("vic at example dot com")
            assert "name on the booking" in (await sim.say("wednesday december 23rd")).text
            assert "move it to" in (await sim.say("vic stone")).text
            await sim.say("tuesday december 22nd")
            assert "Shall I go ahead?" in (await sim.say("ten am")).text
            moved = (await sim.say("yes")).text
            await sim.say("yes")  # anything else? yes
            await sim.say("i want to cancel my appointment")
            await sim.say("wes at example dot com")
            # At the day question, the code: the proof of that booking, in one step.
            assert "Shall I cancel it?" in (await sim.say(" ".join(going.code))).text
            cancelled = (await sim.say("yes please")).text
            return moved, cancelled, sim.fake
        finally:
            await sim.close()

    moved, cancelled, fake = run(call())
    assert "still " + " ".join(moving.code) in moved
    assert "is cancelled" in cancelled
    # Both show in Retell's call history, each invocation followed by its result.
    tools = [f for f in fake.received if f["response_type"].startswith("tool_call")]
    assert [(f["response_type"], f.get("name")) for f in tools] == [
        ("tool_call_invocation", "reschedule_appointment"),
        ("tool_call_result", None),
        ("tool_call_invocation", "cancel_appointment"),
        ("tool_call_result", None),
    ]
    assert json.loads(tools[0]["arguments"]) == {
        "service": "Haircut",
        "start": "2026-12-22T10:00:00-05:00",
        "code": moving.code,
    }
    assert tools[1]["successful"] is True and tools[3]["successful"] is True
    rows = {b["code"]: b for b in assistant.bookings()}
    assert rows[moving.code]["start"] == "2026-12-22T10:00:00-05:00"
    assert rows[going.code]["status"] == "cancelled"


def test_a_question_mid_form_over_the_socket_is_answered_then_re_asked(assistant):
    async def call():
        sim = await connect(assistant)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")
            return await sim.say("is there parking")
        finally:
            await sim.close()

    response = run(call())
    assert "parking" in response.chunks[0].lower()
    assert response.text.endswith("Can I have your name, please?")


def test_start_up_warns_that_the_socket_is_open_without_a_secret(assistant):
    log = assistant.log("rasa").read_text(errors="replace")
    assert "RETELL_WS_SECRET is not set" in log
    assert "CHANNEL_SECRET is not set" in log
