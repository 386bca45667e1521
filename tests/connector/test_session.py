"""The Retell call session against an in-memory socket and a stand-in for Rasa's turn."""

from __future__ import annotations

import asyncio
import json

from connector.retell import APOLOGY, FAILED, CallSession, RetellSettings
from connector.simulate import FakeRetell


class MemorySocket:
    def __init__(self) -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.sent: list[dict] = []

    async def recv(self):
        return await self.inbox.get()

    async def send(self, text: str) -> None:
        self.sent.append(json.loads(text))


async def talk(on_new_message, lines: list[str]) -> list[dict]:
    ws, fake = MemorySocket(), FakeRetell()
    session = CallSession(ws, fake.call_id, on_new_message, None,
                          RetellSettings(call_details_wait=0.01))  # fmt: skip
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
        await out.send_text_message(message.sender_id, "**Sure!** 😀 Putting you through.",
                                    transfer_number="+17185550143", no_interruption_allowed=True)
        await out.send_text_message(message.sender_id, "streamed", already_spoken=True)

    sent = asyncio.run(talk(answer, ["a person please"]))
    first = responses(sent, 1)[0]
    assert first["content"] == "Sure! Putting you through. "
    assert first["transfer_number"] == "+17185550143" and first["no_interruption_allowed"] is True
    assert all("streamed" not in f["content"] for f in sent if f.get("response_type") == "response")


def test_a_tool_call_flag_becomes_invocation_and_result_frames_before_the_line():
    async def booked(message):
        await message.output_channel.send_text_message(
            message.sender_id, "You're all set.",
            tool_call={"name": "book_appointment", "arguments": {"service": "Haircut"},
                       "result": "booked K7P2Q", "successful": True},
        )  # fmt: skip

    sent = asyncio.run(talk(booked, ["yes"]))
    kinds = [f["response_type"] for f in sent]
    at = kinds.index("tool_call_invocation")
    invocation, result, line = sent[at], sent[at + 1], sent[at + 2]
    assert invocation["name"] == "book_appointment"
    assert json.loads(invocation["arguments"]) == {"service": "Haircut"}
    assert result == {"response_type": "tool_call_result", "tool_call_id": invocation["tool_call_id"],
                      "content": "booked K7P2Q", "successful": True}  # fmt: skip
    assert line["content"] == "You're all set. "
