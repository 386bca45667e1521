"""Relay latency: the fake Gemini writes a chunk → the frame reaches the caller's socket.

    .venv/bin/python -m bench.relay [--questions 100]

Starts the real action server and Rasa server (as the end-to-end tests do) with the fake Gemini
(a real gRPC server) and one simulated Retell call, asks `--questions` questions whose answers
are three sentences each, one sentence per chunk (so the speech cleaner passes each chunk on as
soon as it arrives and the figure is the relay's, not the sentence buffering's), and prints p50,
p90, p99 and max of chunk → frame. Both timestamps are time.monotonic() (CLOCK_MONOTONIC, one
clock for every process on the machine). The baseline, measured in the same run on the same
socket: the ping round trip (simulator → Rasa → simulator). Prints JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.servers import MODEL, Assistant, base_env
from tests.fakes.gemini import FakeGemini

SENTENCES = (
    "Yes, there's free parking behind the salon. ",
    "The entrance is on Elm Street. ",
    "It's rarely full before noon. ",
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50": round(percentile(values_ms, 50), 2),
        "p90": round(percentile(values_ms, 90), 2),
        "p99": round(percentile(values_ms, 99), 2),
        "max": round(max(values_ms), 2),
        "mean": round(statistics.fmean(values_ms), 2),
    }


async def measure(assistant: Assistant, fake: FakeGemini, questions: int) -> dict:
    url = f"ws://127.0.0.1:{assistant.rasa_port}/webhooks/retell/llm-websocket"
    sim = await SimulatedCall(url, FakeRetell(), ping_every=0).connect()
    relay_ms: list[float] = []
    ping_ms: list[float] = []
    try:
        await sim.greeting()
        for n in range(questions):
            fake.script(SENTENCES, first_chunk_delay=0.0, gap=0.03)
            before = len(fake.emitted)
            response = await sim.say("is there parking near you?")
            emitted = [e for e in fake.emitted[before:]]
            if len(emitted) != len(SENTENCES):
                raise RuntimeError(f"question {n}: the fake emitted {len(emitted)} chunks")
            for chunk in emitted:
                at = next(
                    t
                    for c, t in zip(response.chunks, response.frame_times)
                    if c.strip() == chunk.text.strip()
                )
                relay_ms.append((at - chunk.at) * 1000)
            # The baseline on the same socket, between turns: a ping's round trip.
            stamp = int(time.time() * 1000) + n
            sent = time.monotonic()
            await sim.ws.send(sim.fake.ping(stamp))
            await sim._wait(lambda stamp=stamp: stamp in sim.fake.pongs, 10)
            ping_ms.append((time.monotonic() - sent) * 1000)
    finally:
        await sim.close()
    return {"relay_chunk_to_frame_ms": summary(relay_ms), "baseline_ping_rtt_ms": summary(ping_ms)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp, FakeGemini(valid_key="bench-key") as fake:
        work = Path(tmp)
        env = base_env(
            BOOKING_DB_URL=f"sqlite:///{work / 'b.db'}",
            TRACKER_STORE_URL=f"sqlite:///{work / 't.db'}",
            CHANNEL_SECRET=secrets.token_hex(16),
            GEMINI_API_KEY="bench-key",
            GEMINI_API_ENDPOINT=fake.endpoint,
        )
        env.pop("BUSINESS_PROFILE", None)
        assistant = Assistant(work, env)
        try:
            assistant.start()
            result = asyncio.run(measure(assistant, fake, args.questions))
        finally:
            assistant.stop_all()
    relay, ping = result["relay_chunk_to_frame_ms"], result["baseline_ping_rtt_ms"]
    result["p50_ratio_to_ping"] = round(relay["p50"] / ping["p50"], 2)
    result["p99_ratio_to_ping"] = round(relay["p99"] / ping["p99"], 2)
    result["target_p99_under_ms"] = 10
    print(
        f"relay, fake Gemini chunk → caller frame, {relay['n']} chunks: p50 {relay['p50']} ms, "
        f"p90 {relay['p90']} ms, p99 {relay['p99']} ms, max {relay['max']} ms"
    )
    print(
        f"baseline, ping round trip on the same socket, {ping['n']} pings: p50 {ping['p50']} ms,"
        f" p99 {ping['p99']} ms; relay/ping p50 {result['p50_ratio_to_ping']}x,"
        f" p99 {result['p99_ratio_to_ping']}x"
    )
    print(json.dumps(result))
    return 0 if relay["p99"] < 10 else 1


if __name__ == "__main__":
    sys.exit(main())
