"""The Retell call session against an in-memory socket and a stand-in for Rasa's turn."""

from __future__ import annotations

import asyncio
import json
import threading

from connector.retell.session import APOLOGY, FAILED, CallSession
from connector.retell.settings import RetellSettings
from connector.retell.simulator import FakeRetell


class MemorySocket:
    def __init__(self) -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.sent: list[dict] = []

    async def recv(self):
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


async def talk(on_new_message, lines: list[str], turn_thread: bool = False) -> list[dict]:
    ws, fake = MemorySocket(), FakeRetell()
    settings = RetellSettings(call_details_wait=0.01, greeting="/greet", turn_thread=turn_thread)
    session = CallSession(ws, fake.call_id, on_new_message, None, settings)
    running = asyncio.ensure_future(session.run())
    await asyncio.sleep(0.1)
    for line in lines:
        await ws.inbox.put(fake.caller_says(line)[1])
        await asyncio.sleep(0.1)
    await ws.inbox.put(None)  # the socket closes
    await asyncio.wait_for(running, 5)
    return ws.sent


def responses(sent: list[dict], rid: int) -> list[dict]:
    return [f for f in sent if f.get("response_type") == "response" and f["response_id"] == rid]


def test_a_turn_with_nothing_to_say_closes_with_an_apology():
    async def silent(message):
        return None

    sent = asyncio.run(talk(silent, ["hello"]))
    assert sent[0]["response_type"] == "config"
    frames = responses(sent, 1)
    assert frames[0]["content"] == APOLOGY and frames[-1]["content_complete"] is True
    assert [f["content_complete"] for f in responses(sent, 0)][-1] is True  # greeting closed too


def test_a_failing_turn_apologises_and_closes():
    async def broken(message):
        if message.text != "/greet":
            raise RuntimeError("the action server is down")
        await message.output_channel.send_text_message(message.sender_id, "Hi!")

    sent = asyncio.run(talk(broken, ["hello"]))
    assert responses(sent, 0)[0]["content"] == "Hi! "
    frames = responses(sent, 1)
    assert frames[0]["content"] == FAILED and frames[-1]["content_complete"] is True


def test_each_line_goes_out_as_spoken_text_with_its_flags():
    async def answer(message):
        out = message.output_channel
        await out.send_text_message(
            message.sender_id,
            "**Sure!** 😀 Putting you through.",
            transfer_number="+17185550143",
            no_interruption_allowed=True,
        )
        await out.send_text_message(message.sender_id, "streamed", already_spoken=True)

    sent = asyncio.run(talk(answer, ["a person please"]))
    first = responses(sent, 1)[0]
    assert first["content"] == "Sure! Putting you through. "
    assert first["transfer_number"] == "+17185550143" and first["no_interruption_allowed"] is True
    assert all("streamed" not in f["content"] for f in sent if f.get("response_type") == "response")


def test_a_tool_call_flag_becomes_invocation_and_result_frames_before_the_line():
    async def booked(message):
        await message.output_channel.send_text_message(
            message.sender_id,
            "You're all set.",
            tool_call={
                "name": "book_appointment",
                "arguments": {"service": "Haircut"},
                "result": "booked K7P2Q",
                "successful": True,
            },
        )

    sent = asyncio.run(talk(booked, ["yes"]))
    kinds = [f["response_type"] for f in sent]
    at = kinds.index("tool_call_invocation")
    invocation, result, line = sent[at], sent[at + 1], sent[at + 2]
    assert invocation["name"] == "book_appointment"
    assert json.loads(invocation["arguments"]) == {"service": "Haircut"}
    assert result == {
        "response_type": "tool_call_result",
        "tool_call_id": invocation["tool_call_id"],
        "content": "booked K7P2Q",
        "successful": True,
    }
    assert line["content"] == "You're all set. "


class _Store:
    """The one tracker-store call the session makes for a nudge."""

    def __init__(self, events) -> None:
        self.events = events

    async def retrieve(self, sender_id):
        from rasa.shared.core.trackers import DialogueStateTracker

        return DialogueStateTracker.from_events(sender_id, self.events)


class _Agent:
    def __init__(self, events) -> None:
        self.tracker_store = _Store(events)


async def _call(on_new_message, steps, agent=None, **settings) -> list[dict]:
    """Drive a session: each step is a caller line, "/silence" (a reminder) or a raw frame."""
    ws, fake = MemorySocket(), FakeRetell(from_number="+17185550199")
    session = CallSession(
        ws,
        fake.call_id,
        on_new_message,
        agent,
        RetellSettings(**{"call_details_wait": 0.01, "greeting": "/greet", **settings}),
    )
    running = asyncio.ensure_future(session.run())
    await ws.inbox.put(fake.call_details())
    await asyncio.sleep(0.1)
    for step in steps:
        frame = fake.reminder()[1] if step == "/silence" else fake.caller_says(step)[1]
        await ws.inbox.put(frame)
        await asyncio.sleep(0.4)
    await ws.inbox.put(None)
    await asyncio.wait_for(running, 5)
    return ws.sent


def test_without_a_greeting_response_0_is_closed_empty_and_the_caller_speaks_first():
    seen: list[str] = []

    async def rasa(message):
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "Hello there.")

    sent = asyncio.run(_call(rasa, ["hi"], greeting=None))
    assert responses(sent, 0) == [
        {"response_type": "response", "response_id": 0, "content": "", "content_complete": True}
    ]
    assert seen == ["hi"]  # no opening turn: the caller's line is the first Rasa hears
    assert responses(sent, 1)[0]["content"] == "Hello there. "


def test_the_configured_greeting_opens_a_new_call():
    seen: list[str] = []

    async def rasa(message):
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "Welcome!")

    sent = asyncio.run(_call(rasa, [], greeting="/start_call"))
    assert seen == ["/start_call"]
    assert [f["content"] for f in responses(sent, 0)] == ["Welcome! ", ""]
    assert responses(sent, 0)[-1]["content_complete"] is True


def test_a_reminder_and_noise_are_answered_without_a_rasa_turn():
    from rasa.shared.core.events import BotUttered, UserUttered

    seen: list[str] = []

    async def rasa(message):
        seen.append(message.text)

    agent = _Agent([UserUttered("book a haircut"), BotUttered("What day would you like?")])
    sent = asyncio.run(_call(rasa, ["/silence", "(unintelligible audio)", "   "], agent))
    # The store already holds this call (a reconnect: no greeting), and neither the reminder nor
    # the noise reaches Rasa: no slot, no intent, no tracker event.
    assert seen == []
    assert responses(sent, 1)[0]["content"] == "Are you still there? What day would you like?"
    assert (
        responses(sent, 2)[0]["content"] == "Sorry, I didn't catch that. What day would you like?"
    )
    assert (
        responses(sent, 3)[0]["content"] == "Sorry, I didn't catch that. What day would you like?"
    )
    for rid in (1, 2, 3):
        assert responses(sent, rid)[-1]["content_complete"] is True


def test_a_slow_turn_gets_the_holding_line_then_its_answer_under_the_same_id():
    async def slow(message):
        if message.text != "/greet":
            await asyncio.sleep(0.3)
        await message.output_channel.send_text_message(message.sender_id, "Done.")

    sent = asyncio.run(_call(slow, ["book it"], holding_after=0.1))
    frames = responses(sent, 1)
    assert [f["content"] for f in frames] == ["One moment, please. ", "Done. ", ""]
    assert [f["content_complete"] for f in frames] == [False, False, True]
    assert all(f["content"] != "One moment, please. " for f in responses(sent, 0))  # fast: none


def test_a_slow_turn_that_says_nothing_still_ends_with_the_apology():
    async def slow_and_silent(message):
        if message.text != "/greet":
            await asyncio.sleep(0.3)

    sent = asyncio.run(_call(slow_and_silent, ["hello"], holding_after=0.1))
    assert [f["content"] for f in responses(sent, 1)][:2] == ["One moment, please. ", APOLOGY]


def test_the_callers_phone_reaches_rasa_only_signed(monkeypatch):
    from common import identity

    metadata: list[dict] = []

    async def rasa(message):
        metadata.append(message.metadata)

    asyncio.run(_call(rasa, ["hi"], channel_secret=b"k"))
    caller = metadata[-1][identity.METADATA_KEY]
    assert identity.verified_phone(b"k", metadata[-1]["retell"]["call_id"], metadata[-1]) == (
        "+17185550199"
    )
    assert caller["phone"] == "+17185550199"
    assert "from_number" not in metadata[-1]["retell"]  # no unsigned copy to trust by mistake
    metadata.clear()
    asyncio.run(_call(rasa, ["hi"]))  # no secret: no phone at all
    assert identity.METADATA_KEY not in metadata[-1]


def test_relayed_pieces_are_spoken_in_their_turn_and_refused_after_it():
    from connector.retell.session import LIVE_CALLS

    accepted: list[bool] = []
    late: list = []

    async def streaming(message):
        if message.text == "/greet":
            return
        session = LIVE_CALLS[message.sender_id]
        rid = message.metadata["relay"]["response_id"]
        accepted.append(session.relay(rid, "We're at "))
        accepted.append(session.relay(rid, "12 Main Street. "))
        await message.output_channel.send_text_message(
            message.sender_id, "We're at 12 Main Street.", already_spoken=True
        )
        late.append((session, rid))

    sent = asyncio.run(_call(streaming, ["where are you"], channel_secret=b"k"))
    assert accepted == [True, True]
    assert [f["content"] for f in responses(sent, 1)] == ["We're at ", "12 Main Street. ", ""]
    session, rid = late[0]
    assert session.relay(rid, "too late") is False  # closed: the action must stop
    assert session.call_id not in LIVE_CALLS  # the socket closed: no relay into it


class _PongWatcher(MemorySocket):
    """Notes, across threads, when a pong has gone out."""

    def __init__(self) -> None:
        super().__init__()
        self.pong_sent = threading.Event()

    async def send(self, text: str) -> None:
        await super().send(text)
        if self.sent[-1].get("response_type") == "ping_pong":
            self.pong_sent.set()


async def ping_during_a_busy_turn(turn_thread: bool) -> tuple[bool, list[dict]]:
    """A turn that computes without yielding (as Rasa's NLU and policies do) until a ping it
    triggers has been answered, or 1.5 s have passed. True if the pong got out meanwhile."""
    ws, fake = _PongWatcher(), FakeRetell()
    answered: list[bool] = []
    socket_loop = asyncio.get_running_loop()

    async def busy(message):
        if message.text == "/greet":
            return
        # Retell's ping arrives now (on the socket's loop, whichever thread this turn is on).
        socket_loop.call_soon_threadsafe(ws.inbox.put_nowait, fake.ping(1234))
        answered.append(ws.pong_sent.wait(timeout=1.5))  # blocks this thread, like NLU
        await message.output_channel.send_text_message(message.sender_id, "Done.")

    session = CallSession(
        ws,
        fake.call_id,
        busy,
        None,
        RetellSettings(call_details_wait=0.01, greeting="/greet", turn_thread=turn_thread),
    )
    running = asyncio.ensure_future(session.run())
    await asyncio.sleep(0.1)
    await ws.inbox.put(fake.caller_says("hello")[1])
    for _ in range(100):
        await asyncio.sleep(0.05)
        if responses(ws.sent, 1) and responses(ws.sent, 1)[-1]["content_complete"]:
            break
    await ws.inbox.put(None)
    await asyncio.wait_for(running, 5)
    return answered == [True], ws.sent


def test_pings_are_answered_while_a_turn_computes():
    pong_in_time, sent = asyncio.run(ping_during_a_busy_turn(turn_thread=True))
    assert pong_in_time
    kinds = [f["response_type"] for f in sent]
    assert kinds.index("ping_pong") < max(
        i for i, f in enumerate(sent) if f.get("response_id") == 1
    )
    assert responses(sent, 1)[0]["content"] == "Done. "


def test_on_sanics_loop_a_computing_turn_holds_up_the_pings():
    # Why the turn thread exists (RETELL_TURN_THREAD=1): the same turn on the socket's own loop
    # starves the pong. Off by default: at loads below the knee its GIL hand-overs cost more
    # than they save (docs/benchmarks.md).
    pong_in_time, sent = asyncio.run(ping_during_a_busy_turn(turn_thread=False))
    assert not pong_in_time
    assert responses(sent, 1)[0]["content"] == "Done. "  # the turn itself still completes


def test_lines_from_the_turn_thread_arrive_in_order_before_the_close():
    # The turn thread hands lines over without waiting for the socket's loop; the loop must
    # still send them in order, every one before the response's closing frame.
    lines = [f"Line {n}." for n in range(30)]
    threads: list[str] = []

    async def chatty(message):
        threads.append(threading.current_thread().name)
        if message.text == "/greet":
            return
        for line in lines:
            await message.output_channel.send_text_message(message.sender_id, line)

    sent = asyncio.run(talk(chatty, ["tell me everything"], turn_thread=True))
    assert set(threads) == {"rasa-turns"}
    frames = responses(sent, 1)
    assert [f["content"] for f in frames[:-1]] == [line + " " for line in lines]
    assert frames[-1]["content"] == "" and frames[-1]["content_complete"] is True


def test_an_undo_that_fails_still_answers_the_repeat():
    """The caller goes on before hearing our reply, so the older turn is undone first; when that
    cannot be done (the lock store is down), the newer request is still answered and closed."""

    class DownLockStore:
        def lock(self, *_, **__):
            raise ConnectionError("lock store unreachable")

    class Agent:
        processor = object()
        lock_store = DownLockStore()
        tracker_store = None

    heard: list[str] = []

    async def answer(message):
        heard.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, f"got {message.text}")

    async def call() -> list[dict]:
        ws, fake = MemorySocket(), FakeRetell()
        session = CallSession(
            ws,
            fake.call_id,
            answer,
            Agent(),
            RetellSettings(call_details_wait=0.01, greeting="/greet"),
        )
        running = asyncio.ensure_future(session.run())
        await asyncio.sleep(0.1)
        await ws.inbox.put(fake.caller_says("my name is mike")[1])
        await asyncio.sleep(0.1)
        await ws.inbox.put(fake.caller_says("my name is mike trump", revise_last=True)[1])
        await asyncio.sleep(0.2)
        await ws.inbox.put(None)
        await asyncio.wait_for(running, 5)
        return ws.sent

    sent = asyncio.run(call())
    assert heard[-1] == "my name is mike trump", heard
    frames = responses(sent, 2)
    assert frames[0]["content"].startswith("got my name is mike trump")
    assert frames[-1]["content_complete"] is True
