"""The socket fuzz's driver and its oracle: sockets that send `garbage.Garbage` to the server, and
a record per socket of what went out and what came back, checked afterwards (`problems()`).

Each junk socket sends rounds: a burst of junk (well-formed requests and pings mixed in), then one
well-formed request it waits for. A canary socket only pings, twice a second: the junk sockets'
pings queue behind their own junk (the server reads one frame of a socket per turn of its event
loop), the canary's queue behind nothing, so its pongs time the event loop itself, which is what
Retell's 5 s keepalive limit is about for every other call on the server.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

import websockets

from tests.faults.garbage import Frame, Garbage

RESPONSE_TYPES = {
    "config",
    "response",
    "ping_pong",
    "agent_interrupt",
    "tool_call_invocation",
    "tool_call_result",
    "update_agent",
    "metadata",
}
PONG_LIMIT = 5.0  # Retell drops a socket after 5 s without a pong
PONG_WAIT = 15.0  # how long a junk socket waits for its last pongs before it closes
ROUND_LIMIT = 30.0  # a final request not closed by then is a failure
PACE = 0.04  # up to this many seconds between two frames of a socket (~50 frames/s each)


@dataclass
class SocketRecord:
    """What one socket sent (in order) and received, and what is wrong with it."""

    name: str
    pong_limit: float | None = None  # checked on the canary only (see the module docstring)
    sent_requests: list[int] = field(default_factory=list)  # well-formed request ids, in order
    pings: dict[int, float] = field(default_factory=dict)  # timestamp → sent at
    pongs: dict[int, float] = field(default_factory=dict)  # timestamp → received at
    frames: dict[int, list[dict]] = field(default_factory=lambda: defaultdict(list))
    finals: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def receive(self, message: str | bytes) -> None:
        if not isinstance(message, str):
            self.errors.append(f"binary frame from the server: {message[:40]!r}")
            return
        try:
            frame = json.loads(message)
        except ValueError:
            self.errors.append(f"invalid JSON from the server: {message[:80]!r}")
            return
        kind = frame.get("response_type") if isinstance(frame, dict) else None
        if kind not in RESPONSE_TYPES:
            self.errors.append(f"unknown or missing response_type: {message[:120]!r}")
        elif kind == "ping_pong":
            stamp = frame.get("timestamp")
            if stamp not in self.pings or stamp in self.pongs:
                self.errors.append(f"pong for no ping we sent (or twice): {stamp!r}")
            self.pongs[stamp] = time.monotonic()
        elif kind == "response":
            rid = frame.get("response_id")
            if (
                type(rid) is not int
                or type(frame.get("content")) is not str
                or type(frame.get("content_complete")) is not bool
            ):
                self.errors.append(f"ill-typed response frame: {message[:120]!r}")
                return
            if rid != 0 and rid not in self.sent_requests:
                self.errors.append(f"a response for id {rid}, never requested")
            self.frames[rid].append(frame)
        self.changed.set()

    def closed(self, rid: int) -> bool:
        return any(f["content_complete"] for f in self.frames.get(rid, []))

    def superseded(self, rid: int) -> bool:
        """A well-formed request with another id came after `rid`'s last request (Retell drops
        content for an older id, so nothing more may be sent for it, not even its close)."""
        requests = [0, *self.sent_requests]  # 0: the begin message, requested by the connection
        last = max(i for i, r in enumerate(requests) if r == rid)
        return any(r != rid for r in requests[last + 1 :])

    def latencies(self) -> list[float]:
        return [self.pongs[s] - self.pings[s] for s in self.pongs if s in self.pings]

    def problems(self) -> list[str]:
        found = list(self.errors)
        for rid, frames in self.frames.items():
            if not self.closed(rid) and not self.superseded(rid):
                found.append(f"response {rid} started, never closed, never superseded")
            if [0, *self.sent_requests].count(rid) == 1:
                ends = [i for i, f in enumerate(frames) if f["content_complete"]]
                if ends and frames[ends[0] + 1 :]:
                    found.append(f"response {rid}: frames after its closing frame")
        for rid in self.finals:
            text = "".join(f["content"] for f in self.frames.get(rid, [])).strip()
            if not text:
                found.append(f"final request {rid} closed with nothing to hear")
        missing = set(self.pings) - set(self.pongs)
        if missing:
            found.append(f"{len(missing)} pings never answered, e.g. {sorted(missing)[:3]}")
        if self.pong_limit is not None:
            slow = [round(d, 2) for d in self.latencies() if d > self.pong_limit]
            if slow:
                found.append(f"pongs slower than {self.pong_limit} s: {slow}")
        return [f"{self.name}: {p}" for p in found]


async def _read_into(ws, record: SocketRecord) -> None:
    try:
        async for message in ws:
            record.receive(message)
    except websockets.ConnectionClosed as closed:
        record.errors.append(f"the server closed the socket: {closed}")


async def _wait_for_pongs(record: SocketRecord, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while set(record.pings) - set(record.pongs) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


async def junk_socket(
    base: str,
    record: SocketRecord,
    rng: random.Random,
    budget: int,
    ping_base: int,
    oversized: bool,
) -> int:
    """`budget` frames of junk in rounds; returns how many were sent."""
    garbage = Garbage(rng, ping_base)
    ws = await websockets.connect(f"{base}/{record.name}", max_size=None)
    reader = asyncio.ensure_future(_read_into(ws, record))
    sent = 0

    async def send(frame: Frame) -> None:
        nonlocal sent
        if frame.request is not None:
            record.sent_requests.append(frame.request)
        if frame.ping is not None:
            record.pings[frame.ping] = time.monotonic()
        await ws.send(frame.data)
        sent += 1

    try:
        if oversized:
            await send(garbage.oversized())
        while sent < budget:
            room = budget - sent - 1  # the round's final request takes the last place
            for frame in garbage.burst(room) if room else []:
                await send(frame)
                await asyncio.sleep(rng.random() * PACE)  # a hostile Retell, not a pipe
            final = garbage.final_request()
            record.finals.append(final.request)
            await send(final)
            deadline = time.monotonic() + ROUND_LIMIT
            while not record.closed(final.request) and time.monotonic() < deadline:
                record.changed.clear()
                try:
                    await asyncio.wait_for(record.changed.wait(), 1)
                except asyncio.TimeoutError:
                    pass
            if not record.closed(final.request):
                record.errors.append(f"final request {final.request} not closed in {ROUND_LIMIT} s")
                break
        await _wait_for_pongs(record, PONG_WAIT)
    finally:
        reader.cancel()
        await ws.close()
    return sent


async def canary(base: str, record: SocketRecord, stop: asyncio.Event) -> None:
    ws = await websockets.connect(f"{base}/{record.name}", max_size=None)
    reader = asyncio.ensure_future(_read_into(ws, record))
    stamp = 0
    try:
        while not stop.is_set():
            stamp += 1
            record.pings[stamp] = time.monotonic()
            await ws.send(json.dumps({"interaction_type": "ping_pong", "timestamp": stamp}))
            await asyncio.sleep(0.5)
        await _wait_for_pongs(record, PONG_LIMIT)
    finally:
        reader.cancel()
        await ws.close()


async def fuzz(base: str, seed: int, frames: int, sockets: int) -> tuple[list[SocketRecord], int]:
    """`frames` frames over `sockets` junk sockets at once, plus the canary (last record)."""
    records, tasks = [], []
    for number in range(sockets):
        budget = frames // sockets + (frames % sockets if number == 0 else 0)
        record = SocketRecord(f"fuzz-{seed}-{number}")
        records.append(record)
        tasks.append(
            junk_socket(
                base,
                record,
                random.Random(f"{seed}/{number}"),
                budget,
                ping_base=(number + 1) * 1_000_000,
                oversized=number == 0,
            )
        )
    watch = SocketRecord(f"canary-{seed}", pong_limit=PONG_LIMIT)
    stop = asyncio.Event()
    watching = asyncio.ensure_future(canary(base, watch, stop))
    try:
        counts = await asyncio.gather(*tasks)
    finally:
        stop.set()
        await watching
    return [*records, watch], sum(counts)
