"""A fake Retell: hold a call with the assistant without a Retell account.

`FakeRetell` is pure (text frames in and out, no socket): it keeps the call's transcript the way
Retell does (whole transcript on every request, increasing response ids, the agent's line added
once its response is complete), builds the frames Retell sends and reads ours. `SimulatedCall`
drives it over a real WebSocket (pings every 2 s when our config asks for them, barge-in,
reconnect). The CLI (`retell-sim`, `python -m connector.retell.simulator`) has an interactive mode
and a scripted mode (a YAML list of caller lines with phrases the agent must say; exit 0 only if all
hold).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


@dataclass
class AgentResponse:
    response_id: int
    chunks: list[str] = field(default_factory=list)
    complete: bool = False
    flags: dict[str, Any] = field(default_factory=dict)
    requested_at: float = field(default_factory=time.monotonic)
    first_frame_at: float | None = None
    frame_times: list[float] = field(default_factory=list)  # time.monotonic() per chunk
    completed_at: float | None = None

    @property
    def text(self) -> str:
        return "".join(self.chunks).strip()


class FakeRetell:
    """Retell's side of one call, sans-IO."""

    def __init__(self, call_id: str | None = None, from_number: str | None = None) -> None:
        self.call_id = call_id or f"sim-{uuid.uuid4().hex[:12]}"
        self.from_number = from_number
        self.transcript: list[dict[str, str]] = []
        self.responses: dict[int, AgentResponse] = {0: AgentResponse(0)}
        self.next_id = 1
        self.config: dict[str, Any] | None = None
        self.pongs: list[int] = []
        self.pong_at: dict[int, float] = {}  # timestamp echoed → time.monotonic() of the pong
        self.received: list[dict[str, Any]] = []
        self.errors: list[str] = []

    # -- frames Retell sends

    def call_details(self) -> str:
        call = {
            "call_id": self.call_id,
            "agent_id": "sim-agent",
            "call_type": "phone_call",
            "from_number": self.from_number,
            "to_number": "+17185550142",
            "direction": "inbound",
            "metadata": {},
        }
        return json.dumps({"interaction_type": "call_details", "call": call})

    def caller_says(self, text: str, revise_last: bool = False) -> tuple[int, str]:
        """A caller line → (response_id, response_required frame). `revise_last` rewrites the
        caller's last line in place, as speech recognition does when the caller goes on."""
        if revise_last and self.transcript and self.transcript[-1]["role"] == "user":
            self.transcript[-1] = {"role": "user", "content": text}
        else:
            self.transcript.append({"role": "user", "content": text})
        return self._request("response_required")

    def reminder(self) -> tuple[int, str]:
        return self._request("reminder_required")

    def _request(self, kind: str) -> tuple[int, str]:
        rid = self.next_id
        self.next_id += 1
        self.responses[rid] = AgentResponse(rid)
        frame = {"interaction_type": kind, "response_id": rid, "transcript": list(self.transcript)}
        return rid, json.dumps(frame)

    def update_only(self) -> str:
        return json.dumps({"interaction_type": "update_only", "transcript": self.transcript})

    @staticmethod
    def ping(timestamp: int) -> str:
        return json.dumps({"interaction_type": "ping_pong", "timestamp": timestamp})

    # -- frames we send

    def receive(self, text: str) -> AgentResponse | None:
        """One frame from the assistant; returns the response it completed, if any."""
        try:
            frame = json.loads(text)
        except ValueError:
            self.errors.append(f"invalid JSON from the assistant: {text[:80]!r}")
            return None
        self.received.append(frame)
        kind = frame.get("response_type")
        if kind == "config":
            self.config = frame.get("config")
        elif kind == "ping_pong":
            self.pongs.append(frame["timestamp"])
            self.pong_at[frame["timestamp"]] = time.monotonic()
        elif kind == "response":
            return self._response(frame)
        elif kind is None:
            self.errors.append(f"frame without response_type: {frame}")
        return None

    def _response(self, frame: dict[str, Any]) -> AgentResponse | None:
        rid = frame.get("response_id")
        if not isinstance(frame.get("content_complete"), bool) or not isinstance(rid, int):
            self.errors.append(f"ill-typed response frame: {frame}")
            return None
        newest = max(self.responses)
        response = self.responses.get(rid)
        if response is None or rid != newest or response.complete:
            return None  # Retell silently drops content for old or completed ids
        if response.first_frame_at is None:
            response.first_frame_at = time.monotonic()
        response.chunks.append(frame.get("content", ""))
        response.frame_times.append(time.monotonic())
        for flag in ("end_call", "transfer_number", "no_interruption_allowed"):
            if frame.get(flag):
                response.flags[flag] = frame[flag]
        if frame["content_complete"]:
            response.complete = True
            response.completed_at = time.monotonic()
            if response.text:
                self.transcript.append({"role": "agent", "content": response.text})
            return response
        return None


class SimulatedCall:
    """A FakeRetell on a real WebSocket to the assistant."""

    def __init__(
        self,
        url: str,
        fake: FakeRetell | None = None,
        ping_every: float = 2.0,
        token: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.fake = fake or FakeRetell()
        self.ping_every = ping_every
        self.token = token  # the socket secret, sent as ?token= (or put it in `url` as a segment)
        self.ws: Any = None
        self._reader: asyncio.Task | None = None
        self._pinger: asyncio.Task | None = None
        self._changed = asyncio.Condition()
        self.ping_sent: dict[int, float] = {}  # timestamp → time.monotonic() when sent

    async def connect(self, send_call_details: bool = True) -> SimulatedCall:
        import websockets

        query = f"?token={quote(self.token)}" if self.token else ""
        self.ws = await websockets.connect(f"{self.url}/{self.fake.call_id}{query}", max_size=None)
        self._reader = asyncio.ensure_future(self._read())
        if send_call_details:
            await self.ws.send(self.fake.call_details())
        await self._wait(lambda: self.fake.config is not None, 10)
        if self.fake.config.get("auto_reconnect") and self.ping_every:
            self._pinger = asyncio.ensure_future(self._ping())
        return self

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                if self.fake.receive(text) is not None:
                    # Retell sends the transcript again once the agent's turn is spoken.
                    await self.ws.send(self.fake.update_only())
                async with self._changed:
                    self._changed.notify_all()
        except Exception:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_every)
            stamp = int(time.time() * 1000)
            self.ping_sent[stamp] = time.monotonic()
            await self.ws.send(self.fake.ping(stamp))

    def ping_round_trips(self) -> list[float]:
        """Seconds from each answered ping to its pong."""
        return [
            self.fake.pong_at[t] - sent
            for t, sent in self.ping_sent.items()
            if t in self.fake.pong_at
        ]

    async def _wait(self, predicate, timeout: float) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def greeting(self, timeout: float = 30) -> AgentResponse:
        await self._wait(lambda: self.fake.responses[0].complete, timeout)
        return self.fake.responses[0]

    async def say(self, text: str, timeout: float = 30, revise_last: bool = False) -> AgentResponse:
        rid = await self.send_line(text, revise_last)
        return await self.response(rid, timeout)

    async def send_line(self, text: str, revise_last: bool = False) -> int:
        rid, frame = self.fake.caller_says(text, revise_last)
        await self.ws.send(frame)
        return rid

    async def response(self, rid: int, timeout: float = 30) -> AgentResponse:
        await self._wait(lambda: self.fake.responses[rid].complete, timeout)
        return self.fake.responses[rid]

    async def remind(self, timeout: float = 30) -> AgentResponse:
        """Retell's reminder_required: the caller has been silent since the agent's last line."""
        rid, frame = self.fake.reminder()
        await self.ws.send(frame)
        return await self.response(rid, timeout)

    async def send_raw(self, data: str | bytes) -> None:
        await self.ws.send(data)

    async def close(self) -> None:
        for task in (self._pinger, self._reader):
            if task:
                task.cancel()
        if self.ws is not None:
            await self.ws.close()


# ---------------------------------------------------------------------------- CLI


NOISE = "(unintelligible audio)"  # what Retell's transcript holds for noise without words


async def _request(call: SimulatedCall, line: str) -> int:
    """A caller line, or "/silence" (a reminder_required) or "/noise" (unintelligible audio)."""
    if line == "/silence":
        rid, frame = call.fake.reminder()
        await call.ws.send(frame)
        return rid
    return await call.send_line(NOISE if line == "/noise" else line)


async def _interactive(url: str, token: str | None, caller: str | None) -> int:
    call = await SimulatedCall(url, FakeRetell(from_number=caller), token=token).connect()
    print("(type the caller's lines; /silence = the caller stays silent, /noise = no words)")
    print(f"agent: {(await call.greeting()).text}")
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return 0
            rid = await _request(call, line.strip())
            response = call.fake.responses[rid]
            shown = 0
            print("agent: ", end="", flush=True)
            while not response.complete:  # the agent's words as they arrive
                await call._wait(lambda r=response, n=shown: len(r.chunks) > n or r.complete, 30)
                print("".join(response.chunks[shown:]), end="", flush=True)
                shown = len(response.chunks)
            print("".join(response.chunks[shown:]), end="")
            ms = int(((response.first_frame_at or time.monotonic()) - response.requested_at) * 1000)
            print(f"  [{ms} ms to first frame] {response.flags or ''}")
            if response.flags.get("end_call"):
                return 0
    finally:
        await call.close()


async def _scripted(url: str, path: str, token: str | None, caller: str | None) -> int:
    import yaml

    steps = yaml.safe_load(open(path))
    call = await SimulatedCall(url, FakeRetell(from_number=caller), token=token).connect()
    failures = 0
    try:
        print(f"agent: {(await call.greeting()).text}")
        for step in steps:
            response = await call.response(await _request(call, str(step["caller"])))
            print(f"caller: {step['caller']}\nagent: {response.text}")
            for phrase in step.get("expect", []):
                if phrase.lower() not in response.text.lower():
                    failures += 1
                    print(f"  MISSING: {phrase!r}")
    finally:
        await call.close()
    print(f"{len(steps)} lines, {failures} expectations missed")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="retell-sim", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:5005/webhooks/retell/llm-websocket")
    parser.add_argument("--script", help="YAML list of {caller: ..., expect: [...]}")
    parser.add_argument(
        "--token",
        default=os.environ.get("RETELL_WS_SECRET") or None,
        help="the socket secret (default: RETELL_WS_SECRET)",
    )
    parser.add_argument(
        "--from",
        dest="caller",
        metavar="E164",
        help="the caller's phone number in call_details, e.g. +17185550199",
    )
    args = parser.parse_args(argv)
    if args.script:
        return asyncio.run(_scripted(args.url, args.script, args.token, args.caller))
    return asyncio.run(_interactive(args.url, args.token, args.caller))


if __name__ == "__main__":
    sys.exit(main())
