"""What one turn costs: CPU per caller turn in the Rasa server and the action server, one call at
a time (no queueing), over Retell's socket and over Rasa's REST channel (the floor), same run.

    .venv/bin/python -m bench.turn_cost [--calls 5] [--rounds 3]

Capacity is set by this cost: at one turn per 5 s per call, N calls need N/5 turns a second, and
one Rasa process runs its turns' Python on one core. Each round runs `--calls` whole bookings
(the conversation of bench/load.py, the fallback question left out: it waits on the fake model)
over each channel in turn and prints per-turn wall time (p50) and CPU milliseconds per process.
The first round warms the model up and is not counted in the summary. Prints only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

from bench.load import FALLBACK_LINE, MODEL, script, start_single
from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.fakes.gemini import FakeGemini, demo_reply


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def rest_turns(url: str, calls: int, tag: str) -> list[float]:
    took = []
    async with aiohttp.ClientSession() as http:
        for call in range(calls):
            sender = f"cost-{tag}-{call}"
            for line in ["/greet"] + [line for line in script(call) if line != FALLBACK_LINE]:
                started = time.perf_counter()
                async with http.post(url, json={"sender": sender, "message": line}) as answer:
                    await answer.json()
                took.append(time.perf_counter() - started)
    return took


async def retell_turns(url: str, calls: int, tag: str) -> list[float]:
    took = []
    for call in range(calls):
        sim = SimulatedCall(url, FakeRetell(call_id=f"cost-{tag}-{call}"), ping_every=2.0)
        try:
            await sim.connect()
            started = time.perf_counter()
            await sim.greeting(timeout=30)
            took.append(time.perf_counter() - started)
            for line in script(call):
                if line == FALLBACK_LINE:
                    continue
                response = await sim.say(line, timeout=30)
                took.append(response.completed_at - response.requested_at)
        finally:
            await sim.close()
    return took


async def measure(rasa_port: int, pids: dict[str, int], calls: int, rounds: int) -> dict:
    procs = {name: psutil.Process(pid) for name, pid in pids.items()}
    runs = {
        "retell": (retell_turns, f"ws://127.0.0.1:{rasa_port}/webhooks/retell/llm-websocket"),
        "rest": (rest_turns, f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"),
    }
    totals: dict[str, dict[str, list[float]]] = {
        c: {"wall": [], "rasa": [], "actions": []} for c in runs
    }
    for round_ in range(rounds):
        for channel, (turns, url) in runs.items():
            before = {name: cpu_seconds(p) for name, p in procs.items()}
            took = await turns(url, calls, f"{round_}")
            cost = {
                name: (cpu_seconds(p) - before[name]) * 1e3 / len(took) for name, p in procs.items()
            }
            wall = statistics.median(took) * 1e3
            print(
                f"round {round_} {channel:6}: {len(took)} turns, wall p50 {wall:.1f} ms, CPU per "
                f"turn: Rasa {cost['rasa']:.1f} ms, actions {cost['actions']:.1f} ms",
                flush=True,
            )
            if round_ > 0 or rounds == 1:
                totals[channel]["wall"].append(wall)
                totals[channel]["rasa"].append(cost["rasa"])
                totals[channel]["actions"].append(cost["actions"])
    return {
        channel: {k: statistics.fmean(v) for k, v in figures.items()}
        for channel, figures in totals.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5, help="bookings per channel per round")
    parser.add_argument("--rounds", type=int, default=3, help="the first one warms up")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGemini(valid_key="bench-key", default_reply=demo_reply(0.3, 0.04)) as gemini,
    ):
        single = start_single(Path(tmp), gemini)
        try:
            pids = {name: single.processes[name].pid for name in ("rasa", "actions")}
            result = asyncio.run(measure(single.rasa_port, pids, args.calls, args.rounds))
        finally:
            single.stop_all()
    ours, floor = result["retell"], result["rest"]
    for name in ("wall", "rasa", "actions"):
        label = {"wall": "wall p50", "rasa": "Rasa CPU", "actions": "actions CPU"}[name]
        print(
            f"{label:11} per turn: Retell {ours[name]:.1f} ms, REST {floor[name]:.1f} ms, "
            f"ratio {ours[name] / floor[name]:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
