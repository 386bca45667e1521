"""The Prometheus endpoint, scraped during and after a simulated call."""

from __future__ import annotations

import asyncio
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from connector.retell.simulator import FakeRetell
from tests.e2e.calls import connect, run


def scrape(assistant) -> dict[tuple[str, tuple], float]:
    url = f"http://127.0.0.1:{assistant.rasa_port}/webhooks/retell/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def delta(after: dict, before: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_metrics_count_a_call_while_it_runs(assistant):
    before = scrape(assistant)

    async def call():
        fake = FakeRetell()
        sim = await connect(assistant, fake=fake)
        try:
            await sim.greeting()
            await sim.say("i'd like to book a haircut")  # form
            await sim.say("where are you located?")  # fallback (the FAQ: no key here)
            await sim.say("(unintelligible audio)")  # nudge
            old = await sim.send_line("my name is")
            await sim.say("my name is kim lee", revise_last=True)  # supersedes `old`
            await sim.send_raw("{not json")  # malformed
            await asyncio.sleep(0.3)
            during = scrape(assistant)
        finally:
            await sim.close()
        again = await connect(assistant, fake=fake)  # a reconnect
        try:
            await again.say("kim at example dot com")
        finally:
            await again.close()
        await asyncio.sleep(0.5)
        return during, old

    during, _ = run(call())
    after = scrape(assistant)
    assert delta(during, before, "booking_open_calls") == 1
    assert delta(after, before, "booking_open_calls") == 0
    assert delta(during, before, "booking_turns_total", kind="greeting", route="rule") == 1
    assert delta(during, before, "booking_turns_total", kind="response", route="form") >= 2
    assert delta(during, before, "booking_turns_total", kind="response", route="fallback") == 1
    assert delta(during, before, "booking_turns_total", kind="unintelligible", route="nudge") == 1
    assert delta(during, before, "booking_fallbacks_total", outcome="faq") == 1
    assert delta(during, before, "booking_supersessions_total") == 1
    assert delta(during, before, "booking_errors_total", kind="malformed_frame") == 1
    assert delta(after, before, "booking_reconnects_total") == 1
    assert delta(during, before, "booking_turn_first_frame_seconds_count", route="form") >= 2
    assert delta(during, before, "booking_turn_seconds_count", route="fallback") == 1
    # Every observed first frame of these fast turns fell in a bucket under 1.5 s.
    assert delta(
        during, before, "booking_turn_first_frame_seconds_bucket", route="form", le="1.5"
    ) == delta(during, before, "booking_turn_first_frame_seconds_count", route="form")
