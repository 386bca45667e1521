"""10,000 random and malformed frames over 30 sockets at once (tests/faults/garbage.py), against
the real servers: the server stays up, answers every ping, closes every response it started,
changes no booking, and a normal call works afterwards.

What is checked, per socket (tests/faults/fuzzer.py):
- every frame we receive is a text frame of JSON with a known `response_type`, and a response
  frame has an integer id, string content and a boolean `content_complete` (Retell drops
  anything else silently);
- every response id for which we got any `response` frame got a `content_complete: true` frame,
  unless a newer request superseded it (Retell's rule: content for an older id is dropped, so
  nothing may be sent for it, not even its close); an id requested once gets nothing after its
  closing frame; frames only go to ids that were requested;
- each round's final request is answered with something to hear (at least an apology) and closed;
- every well-formed ping is answered with its timestamp, once, and nothing else is; the canary
  socket's pongs (no junk ahead of them) within Retell's 5 s.

Seeded: the seed is printed (FAULTS_FUZZ_SEED=<seed> replays it; FAULTS_FUZZ_FRAMES and
FAULTS_FUZZ_SOCKETS change the size).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
import urllib.request

from tests.e2e.calls import code_in, open_call, run
from tests.faults.fuzzer import fuzz

FRAMES = int(os.environ.get("FAULTS_FUZZ_FRAMES", "10000"))
SOCKETS = int(os.environ.get("FAULTS_FUZZ_SOCKETS", "30"))


def test_ten_thousand_junk_frames_leave_the_server_up_and_every_response_closed(assistant):
    seed = int(os.environ.get("FAULTS_FUZZ_SEED") or random.SystemRandom().randrange(10**6))
    print(f"\nfuzz seed {seed} (replay: FAULTS_FUZZ_SEED={seed})")
    bookings_before = assistant.bookings()
    started = time.monotonic()
    records, sent = run(fuzz(assistant.socket_url, seed, FRAMES, SOCKETS), timeout=150)
    took = time.monotonic() - started
    junk, canary = records[:-1], records[-1]
    pongs = [d for r in junk for d in r.latencies()]
    print(
        f"fuzz: {sent} frames over {len(junk)} sockets in {took:.1f} s; "
        f"{sum(len(r.finals) for r in junk)} requests answered and "
        f"{sum(len(r.frames) for r in junk)} responses started; {len(pongs)} pongs amid the "
        f"junk (median {statistics.median(pongs):.2f} s, slowest {max(pongs):.2f} s); canary "
        f"pongs: slowest {max(canary.latencies(), default=0):.2f} s"
    )

    assert sent == FRAMES
    problems = [p for r in records for p in r.problems()]
    assert not problems, f"seed {seed}: " + "\n".join(problems[:30])
    assert pongs and canary.latencies()  # the pings were really sent and answered
    assert assistant.processes["rasa"].poll() is None, "the Rasa server died"
    assert assistant.processes["actions"].poll() is None, "the action server died"
    health = f"http://127.0.0.1:{assistant.rasa_port}/webhooks/retell/"
    with urllib.request.urlopen(health, timeout=10) as answer:
        assert json.load(answer) == {"status": "ok"}
    assert assistant.bookings() == bookings_before  # junk booked, moved or cancelled nothing

    async def normal_call():
        sim = await open_call(assistant)
        try:
            assert "your name" in (await sim.say("i'd like to book a beard trim")).text
            assert "email" in (await sim.say("omar diaz")).text
            await sim.say("omar at example dot com")
            await sim.say("wednesday december 9th")
            assert "Shall I book it?" in (await sim.say("three pm")).text
            return (await sim.say("yes")).text, sim.fake
        finally:
            await sim.close()

    done, fake = run(normal_call())
    code = code_in(done)
    assert [b["name"] for b in assistant.bookings() if b["code"] == code] == ["Omar Diaz"]
    assert not fake.errors, fake.errors
