"""Load benchmark: simulated Retell calls at 10, 50, 100 and 200 at once, against the real
servers, with Rasa's REST channel measured at the same load in the same run as the floor.

    make bench                      # or: .venv/bin/python -m bench.load [--levels 10,50] [--think
    5]

Every call is a whole booking (a beard trim, so the profile copy's capacity of 1000 keeps the
calendar out of the figure) with a question on the way answered by the fake Gemini (0.3 s to its
first chunk, 40 ms between chunks): greeting, 7 caller turns, one every `--think` seconds on
average (uniformly jittered ±40 %), calls starting at random within the first think time. Per
turn: request → first frame and → closing frame (Retell), request → answer (REST, the floor:
Rasa's own channel, same conversations, same load). Also: ping answer times on every socket (the
simulator pings every 2 s, as Retell does), CPU and peak memory of the Rasa server and the action
server, the saturation point (the first level whose first-frame p99 leaves 500 ms: when none
of the levels reaches it, 100 calls more at a time up to `--probe-to`, 400 by default) and,
with Postgres and Redis at hand, that level (else the top one) again on two Rasa replicas
(`--replicas 2`): whether a second process lifts it.

Writes bench/results/load.json and bench/results/load.png (latency against concurrency, ours
and the floor). The simulated callers run in this process, on the same 2 cores as the servers:
the figures include that load, for the floor as for us.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
import yaml

from connector.retell.simulator import FakeRetell, SimulatedCall
from tests.e2e.servers import MODEL, PROJECT, REPO, Assistant, base_env, free_port
from tests.fakes.gemini import FakeGemini, demo_reply

RESULTS = REPO / "bench" / "results"
NOW = "2026-12-01T09:00"  # a Tuesday; "friday" is December 4th
TIMES = ("10 am", "11 am", "2 pm", "3 pm", "4 pm", "9 am", "5 pm")
FALLBACK_LINE = "is there parking near you?"


def script(n: int) -> list[str]:
    return [
        "i'd like to book a beard trim",
        f"my name is caller {n} smith",
        f"caller{n} at example dot com",
        "friday",
        FALLBACK_LINE,
        TIMES[n % len(TIMES)],
        "yes",
    ]


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 1)


def stats(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms),
        "p50": pct(values_ms, 50),
        "p90": pct(values_ms, 90),
        "p99": pct(values_ms, 99),
        "mean": round(statistics.fmean(values_ms), 1) if values_ms else None,
    }


@dataclass
class Run:
    first_ms: dict[str, list[float]] = field(default_factory=lambda: {"form": [], "fallback": []})
    close_ms: dict[str, list[float]] = field(default_factory=lambda: {"form": [], "fallback": []})
    ping_ms: list[float] = field(default_factory=list)
    booked: int = 0
    failed: list[str] = field(default_factory=list)


async def retell_call(url: str, n: int, think: float, rng: random.Random, run: Run) -> None:
    await asyncio.sleep(rng.uniform(0, think))
    sim = SimulatedCall(url, FakeRetell(call_id=f"bench-{secrets.token_hex(6)}"), ping_every=2.0)
    try:
        await sim.connect()  # an overloaded server may not even answer the handshake in time
        await sim.greeting(timeout=60)
        last = ""
        for line in script(n):
            await asyncio.sleep(rng.uniform(0.6 * think, 1.4 * think))
            response = await sim.say(line, timeout=60)
            route = "fallback" if line == FALLBACK_LINE else "form"
            if response.first_frame_at is not None:
                run.first_ms[route].append((response.first_frame_at - response.requested_at) * 1e3)
            run.close_ms[route].append((response.completed_at - response.requested_at) * 1e3)
            last = response.text
        if "You're all set" in last:
            run.booked += 1
        else:
            run.failed.append(last[:120])
        run.ping_ms.extend(rtt * 1e3 for rtt in sim.ping_round_trips())
    except Exception as error:  # a lost call is a result, not a crash of the benchmark
        run.failed.append(f"{type(error).__name__}: {error}"[:120])
    finally:
        await sim.close()


async def rest_call(
    http: aiohttp.ClientSession, url: str, n: int, think: float, rng: random.Random, run: Run
) -> None:
    await asyncio.sleep(rng.uniform(0, think))
    sender = f"bench-rest-{secrets.token_hex(6)}"
    try:
        # The same conversation as a Retell call, which opens with the assistant's greeting
        # (a Rasa turn of its own, not counted among the caller's turns on either channel).
        async with http.post(url, json={"sender": sender, "message": "/greet"}) as answer:
            await answer.json()
        last = ""
        for line in script(n):
            await asyncio.sleep(rng.uniform(0.6 * think, 1.4 * think))
            started = time.monotonic()
            async with http.post(url, json={"sender": sender, "message": line}) as answer:
                messages = await answer.json()
            took = (time.monotonic() - started) * 1e3
            route = "fallback" if line == FALLBACK_LINE else "form"
            run.first_ms[route].append(took)  # REST has one answer: first = last
            run.close_ms[route].append(took)
            last = " ".join(m.get("text", "") for m in messages)
        if "You're all set" in last:
            run.booked += 1
        else:
            run.failed.append(last[:120])
    except Exception as error:
        run.failed.append(f"{type(error).__name__}: {error}"[:120])


class Sampler:
    """CPU (% of one core) and resident memory of the server processes, every 0.5 s."""

    def __init__(self, pids: dict[str, int]) -> None:
        # The simulated callers (and the fake Gemini) run in this process, on the same cores.
        pids = {**pids, "bench-client": psutil.Process().pid}
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.cpu: dict[str, list[float]] = {name: [] for name in pids}
        self.rss: dict[str, float] = {name: 0.0 for name in pids}

    async def run(self) -> None:
        for proc in self.procs.values():
            proc.cpu_percent(None)
        while True:
            await asyncio.sleep(0.5)
            for name, proc in self.procs.items():
                self.cpu[name].append(proc.cpu_percent(None))
                self.rss[name] = max(self.rss[name], proc.memory_info().rss / 2**20)

    def summary(self) -> dict:
        return {
            name: {
                "cpu_mean_pct": round(statistics.fmean(c), 1) if c else None,
                "cpu_max_pct": round(max(c), 1) if c else None,
                "peak_rss_mb": round(self.rss[name], 1),
            }
            for name, c in self.cpu.items()
        }


async def level(
    channel: str, urls: list[str], calls: int, think: float, seed: int, pids: dict[str, int]
) -> dict:
    rng = random.Random(seed)
    run = Run()
    sampler = Sampler(pids)
    sampling = asyncio.ensure_future(sampler.run())
    started = time.monotonic()
    try:
        if channel == "retell":
            await asyncio.gather(
                *(retell_call(urls[n % len(urls)], n, think, rng, run) for n in range(calls))
            )
        else:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=60)
            ) as http:
                await asyncio.gather(
                    *(
                        rest_call(http, urls[n % len(urls)], n, think, rng, run)
                        for n in range(calls)
                    )
                )
    finally:
        sampling.cancel()
    everything_first = run.first_ms["form"] + run.first_ms["fallback"]
    return {
        "channel": channel,
        "calls": calls,
        "seconds": round(time.monotonic() - started, 1),
        "booked": run.booked,
        "failed": len(run.failed),
        "failures": run.failed[:5],
        "first_frame_ms": {
            "form": stats(run.first_ms["form"]),
            "fallback": stats(run.first_ms["fallback"]),
            "all": stats(everything_first),
        },
        "closing_frame_ms": {
            "form": stats(run.close_ms["form"]),
            "fallback": stats(run.close_ms["fallback"]),
        },
        "ping_ms": stats(run.ping_ms) if run.ping_ms else None,
        "processes": sampler.summary(),
    }


def profile_copy(work: Path) -> Path:
    profile = yaml.safe_load((REPO / "data" / "business.yml").read_text())
    profile["capacity"] = 1000  # the benchmark measures conversations, not a full calendar
    path = work / "business.yml"
    path.write_text(yaml.safe_dump(profile))
    return path


def start_single(work: Path, gemini: FakeGemini, name: str = "single", **extra: str) -> Assistant:
    """One server pair under `work/name`; `extra` adds to its environment (RASA_PATCHES)."""
    env = base_env(
        ASSISTANT_NOW=NOW,
        BOOKING_DB_URL=f"sqlite:///{work / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{work / 'tracker.db'}",
        BUSINESS_PROFILE=str(profile_copy(work)),
        CHANNEL_SECRET=secrets.token_hex(16),
        GEMINI_API_KEY="bench-key",
        GEMINI_API_ENDPOINT=gemini.endpoint,
        **extra,
    )
    return Assistant(work / name, env).start()


def start_replicas(
    work: Path, gemini: FakeGemini, postgres_url: str, count: int
) -> list[Assistant]:
    secret, action_port = secrets.token_hex(16), free_port()
    ports = [free_port() for _ in range(count)]
    relay_urls = ",".join(
        f"r{i}=http://127.0.0.1:{p}/webhooks/retell/relay" for i, p in enumerate(ports)
    )
    common = dict(
        ASSISTANT_NOW=NOW,
        CHANNEL_SECRET=secret,
        TRACKER_STORE_URL=postgres_url,
        BOOKING_DB_URL=postgres_url,
        BUSINESS_PROFILE=str(profile_copy(work)),
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
        REDIS_HOST="127.0.0.1",
        REDIS_PORT="6379",
        REDIS_DB="9",
        LOCK_KEY_PREFIX=f"bench{secrets.token_hex(3)}",
        RELAY_URLS=relay_urls,
        GEMINI_API_KEY="bench-key",
        GEMINI_API_ENDPOINT=gemini.endpoint,
    )
    replicas = [
        Assistant(
            work / f"r{i}",
            base_env(**common, REPLICA_ID=f"r{i}"),
            action_port=action_port,
            rasa_port=port,
            endpoints_file=PROJECT / "endpoints.cluster.yml",
        )
        for i, port in enumerate(ports)
    ]
    for replica in replicas:
        replica.workdir.mkdir(parents=True)
    replicas[0].start_actions()
    for replica in replicas:
        replica.start_rasa()
    return replicas


def bench_postgres_url() -> str | None:
    """A fresh database on the local Postgres, or None when there is none."""
    import sqlalchemy as sa

    name = f"booking_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(
        "postgresql://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None
    finally:
        admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = results["levels"]
    fig, ax = plt.subplots(figsize=(8, 5))
    for channel, key, label, style in (
        ("retell", "first_frame_ms", "Retell, first frame", "o-"),
        ("retell", "closing_frame_ms", "Retell, closing frame", "s--"),
        ("rest", "first_frame_ms", "REST floor (whole answer)", "^-"),
    ):
        rows = [r for r in levels if r["channel"] == channel]
        for quantile, alpha in (("p50", 1.0), ("p99", 0.45)):
            ax.plot(
                [r["calls"] for r in rows],
                [r[key]["form"][quantile] for r in rows],
                style,
                alpha=alpha,
                label=f"{label} {quantile}",
            )
    ax.axhline(500, color="grey", linestyle=":", label="500 ms")
    ax.set_xlabel("concurrent calls")
    ax.set_ylabel("form-turn latency (ms)")
    ax.set_title("Voice booking assistant: latency against concurrency (2 cores)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


SATURATION_MS = 500.0  # the first-frame p99 that marks saturation


def saturation_point(rows: list[dict]) -> int | None:
    """The fewest calls at which our first-frame p99 (form turns) left SATURATION_MS."""
    over = [
        r["calls"]
        for r in rows
        if r["channel"] == "retell" and (r["first_frame_ms"]["form"]["p99"] or 0) > SATURATION_MS
    ]
    return min(over) if over else None


def next_probe(rows: list[dict], probe_to: int, step: int = 100) -> int | None:
    """The next level past those run while none has saturated, up to `probe_to` calls."""
    if not rows or saturation_point(rows) is not None:
        return None
    following = max(r["calls"] for r in rows) + step
    return following if following <= probe_to else None


async def measure(
    levels: list[int],
    think: float,
    single: Assistant,
    seed: int,
    channels: tuple[str, ...] = ("retell", "rest"),
    probe_to: int = 0,
) -> list[dict]:
    """Every level on each channel; then, while our first-frame p99 stays under 500 ms, 100
    calls more at a time up to `probe_to`, to find the saturation point."""
    pids = {"rasa": single.processes["rasa"].pid, "actions": single.processes["actions"].pid}
    retell_url = f"ws://127.0.0.1:{single.rasa_port}/webhooks/retell/llm-websocket"
    rest_url = f"http://127.0.0.1:{single.rasa_port}/webhooks/rest/webhook"
    rows: list[dict] = []
    queue = list(levels)
    while queue:
        calls = queue.pop(0)
        for channel, url in (("retell", retell_url), ("rest", rest_url)):
            if channel not in channels:
                continue
            row = await level(channel, [url], calls, think, seed + calls, pids)
            rows.append(row)
            form, cpu = row["first_frame_ms"]["form"], row["processes"]
            print(
                f"{channel:6} {calls:4} calls: first frame p50 {form['p50']} ms, p99 "
                f"{form['p99']} ms; closing p50 {row['closing_frame_ms']['form']['p50']} ms; "
                f"ping p99 {(row['ping_ms'] or {}).get('p99')} ms; CPU: Rasa "
                f"{cpu['rasa']['cpu_mean_pct']} %, actions {cpu['actions']['cpu_mean_pct']} %, "
                f"callers {cpu['bench-client']['cpu_mean_pct']} %; "
                f"booked {row['booked']}/{calls}",
                flush=True,
            )
        if not queue and "retell" in channels:
            probe = next_probe(rows, probe_to)
            queue += [probe] if probe is not None else []
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,50,100,200")
    parser.add_argument("--think", type=float, default=5.0, help="seconds between caller turns")
    parser.add_argument(
        "--probe-to",
        type=int,
        default=400,
        help="past the levels, 100 calls more at a time up to this many until "
        "the first-frame p99 leaves 500 ms (0: no probing)",
    )
    parser.add_argument("--replicas", type=int, default=2, help="0 skips the replica run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--channels",
        default="retell,rest",
        help="one channel only (for profiling): figures printed, nothing written",
    )
    args = parser.parse_args(argv)
    channels = tuple(c.strip() for c in args.channels.split(",") if c.strip())
    if not channels or set(channels) - {"retell", "rest"}:
        print(f"--channels takes retell and/or rest, got {args.channels!r}", file=sys.stderr)
        return 2
    levels = [int(x) for x in args.levels.split(",")]
    if not MODEL.exists():
        print(f"no trained model at {MODEL}: run `make train` first", file=sys.stderr)
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    results: dict = {"think_seconds": args.think, "seed": args.seed, "cores": psutil.cpu_count()}
    with (
        tempfile.TemporaryDirectory() as tmp,
        FakeGemini(valid_key="bench-key", default_reply=demo_reply(0.3, 0.04)) as gemini,
    ):
        work = Path(tmp)
        single = start_single(work, gemini)
        try:
            results["levels"] = asyncio.run(
                measure(levels, args.think, single, args.seed, channels, args.probe_to)
            )
        finally:
            single.stop_all()
        if len(channels) < 2:
            return 0  # no floor to compare with: the printed figures are the result
        if args.replicas > 1:  # at the saturation point: does a second process lift it?
            top = saturation_point(results["levels"]) or max(r["calls"] for r in results["levels"])
            results["replicas"] = replica_run(work, gemini, args, top)
    summarise(results)
    (RESULTS / "load.json").write_text(json.dumps(results, indent=2))
    plot(results, RESULTS / "load.png")
    print(f"wrote {RESULTS / 'load.json'} and {RESULTS / 'load.png'}")
    return 0


def replica_run(work: Path, gemini: FakeGemini, args: argparse.Namespace, calls: int) -> dict:
    postgres_url = bench_postgres_url()
    if postgres_url is None:
        return {"skipped": "no Postgres at 127.0.0.1:5432"}
    replicas = start_replicas(work, gemini, postgres_url, args.replicas)
    try:
        pids = {f"rasa-{i}": r.processes["rasa"].pid for i, r in enumerate(replicas)}
        pids["actions"] = replicas[0].processes["actions"].pid
        urls = [f"ws://127.0.0.1:{r.rasa_port}/webhooks/retell/llm-websocket" for r in replicas]
        row = asyncio.run(level("retell", urls, calls, args.think, args.seed + 1000, pids))
    finally:
        for replica in replicas:
            replica.stop_all()
    form = row["first_frame_ms"]["form"]
    print(
        f"retell {calls:4} calls on {args.replicas} replicas (Postgres, Redis): first frame "
        f"p50 {form['p50']} ms, p99 {form['p99']} ms; booked {row['booked']}/{calls}"
    )
    return {"count": args.replicas, **row}


def summarise(results: dict) -> None:
    """Ratios to the floor, targets and the saturation point, added to `results` and printed."""
    summary = []
    for calls in sorted({r["calls"] for r in results["levels"]}):
        ours = next(
            r for r in results["levels"] if r["calls"] == calls and r["channel"] == "retell"
        )
        floor = next(r for r in results["levels"] if r["calls"] == calls and r["channel"] == "rest")
        first, close = ours["first_frame_ms"]["form"], ours["closing_frame_ms"]["form"]
        rest = floor["first_frame_ms"]["form"]
        fallback = ours["first_frame_ms"]["fallback"]
        line = {
            "calls": calls,
            "first_p50_ms": first["p50"],
            "first_p99_ms": first["p99"],
            "close_p50_ms": close["p50"],
            "rest_p50_ms": rest["p50"],
            "rest_p99_ms": rest["p99"],
            "close_p50_ratio_to_rest": round(close["p50"] / rest["p50"], 2)
            if rest["p50"]
            else None,
            "first_p50_ratio_to_rest": round(first["p50"] / rest["p50"], 2)
            if rest["p50"]
            else None,
            "fallback_first_p50_ms": fallback["p50"],
            "fallback_added_p50_ms": round(fallback["p50"] - 300, 1) if fallback["p50"] else None,
            "ping_p99_ms": (ours["ping_ms"] or {}).get("p99"),
            "rss_total_mb": round(
                sum(p["peak_rss_mb"] for n, p in ours["processes"].items() if n != "bench-client"),
                1,
            ),
            "rasa_cpu_mean_pct": ours["processes"]["rasa"]["cpu_mean_pct"],
            "rest_rasa_cpu_mean_pct": floor["processes"]["rasa"]["cpu_mean_pct"],
            "client_cpu_mean_pct": ours["processes"].get("bench-client", {}).get("cpu_mean_pct"),
            "rest_client_cpu_mean_pct": floor["processes"]
            .get("bench-client", {})
            .get("cpu_mean_pct"),
            "booked": f"{ours['booked']}/{calls} (REST {floor['booked']}/{calls})",
        }
        summary.append(line)
        print(json.dumps(line))
    results["summary"] = summary
    results["saturation_calls"] = saturation = saturation_point(results["levels"])
    print(
        f"saturation (first-frame p99 > 500 ms): "
        f"{saturation if saturation else 'not reached at the levels tried'}"
    )


if __name__ == "__main__":
    sys.exit(main())
