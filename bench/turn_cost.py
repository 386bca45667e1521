"""What one turn costs: CPU per caller turn in the Rasa server and the action server, one call at
a time (no queueing), over Retell's socket and over Rasa's REST channel (the floor), on stock Rasa
(`RASA_PATCHES=none`) and with the Rasa patches (all), same run.

    .venv/bin/python -m bench.turn_cost [--calls 5] [--rounds 3]

Capacity is set by this cost: at one turn per 5 s per call, N calls need N/5 turns a second, and
one Rasa process runs its turns' Python on one core. Two server pairs run side by side, one per
patch setting, each with its own databases. Each round runs `--calls` whole bookings (the
conversation of bench/load.py, the fallback question left out: it waits on the fake model) over
each channel of each pair in turn, the pairs' order swapped every round so that drift falls on
both, and prints per-turn wall time (p50) and CPU milliseconds per process. The first round warms
the models up and is not counted in the summary. Prints only.
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


PAIRS = {"stock": "none", "patched": "all"}  # label -> RASA_PATCHES


async def measure(
    servers: dict[str, tuple[int, dict[str, int]]], calls: int, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """label -> channel -> mean per-turn figures over the counted rounds."""
    totals = {
        label: {c: {"wall": [], "rasa": [], "actions": []} for c in ("retell", "rest")}
        for label in servers
    }
    for round_ in range(rounds):
        order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
        for label in order:
            rasa_port, pids = servers[label]
            procs = {name: psutil.Process(pid) for name, pid in pids.items()}
            runs = {
                "retell": (
                    retell_turns,
                    f"ws://127.0.0.1:{rasa_port}/webhooks/retell/llm-websocket",
                ),
                "rest": (rest_turns, f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"),
            }
            for channel, (turns, url) in runs.items():
                before = {name: cpu_seconds(p) for name, p in procs.items()}
                took = await turns(url, calls, f"{label}-{round_}")
                cost = {
                    name: (cpu_seconds(p) - before[name]) * 1e3 / len(took)
                    for name, p in procs.items()
                }
                wall = statistics.median(took) * 1e3
                print(
                    f"round {round_} {label:7} {channel:6}: {len(took)} turns, wall p50 "
                    f"{wall:.1f} ms, CPU per turn: Rasa {cost['rasa']:.1f} ms, actions "
                    f"{cost['actions']:.1f} ms",
                    flush=True,
                )
                if round_ > 0 or rounds == 1:
                    figures = totals[label][channel]
                    figures["wall"].append(wall)
                    figures["rasa"].append(cost["rasa"])
                    figures["actions"].append(cost["actions"])
    return {
        label: {
            channel: {k: statistics.fmean(v) for k, v in figures.items()}
            for channel, figures in channels.items()
        }
        for label, channels in totals.items()
    }


LABELS = {"wall": "wall p50", "rasa": "Rasa CPU", "actions": "actions CPU"}


def report(result: dict[str, dict[str, dict[str, float]]]) -> None:
    stock, patched = result["stock"], result["patched"]
    for channel in ("retell", "rest"):
        for name, label in LABELS.items():
            before, after = stock[channel][name], patched[channel][name]
            print(
                f"{channel:6} {label:11} per turn: stock Rasa {before:.1f} ms, patched "
                f"{after:.1f} ms, ratio {after / before:.2f}x"
            )
    ours, floor = patched["retell"], patched["rest"]
    for name, label in LABELS.items():
        print(
            f"patched {label:11} per turn: Retell {ours[name]:.1f} ms, REST {floor[name]:.1f} ms, "
            f"ratio {ours[name] / floor[name]:.2f}x"
        )


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
        pairs = {}
        try:
            for label, setting in PAIRS.items():
                work = Path(tmp) / label
                work.mkdir()
                pairs[label] = start_single(work, gemini, RASA_PATCHES=setting)
            servers = {
                label: (pair.rasa_port, {n: pair.processes[n].pid for n in ("rasa", "actions")})
                for label, pair in pairs.items()
            }
            result = asyncio.run(measure(servers, args.calls, args.rounds))
        finally:
            for pair in pairs.values():
                pair.stop_all()
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
