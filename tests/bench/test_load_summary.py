"""The load benchmark's arithmetic: percentiles, ratios to the floor and the saturation point."""

from __future__ import annotations

from bench.load import next_probe, pct, saturation_point, stats, summarise


def row(channel: str, calls: int, first_p50: float, first_p99: float, close_p50: float) -> dict:
    form = {"p50": first_p50, "p99": first_p99}
    return {
        "channel": channel,
        "calls": calls,
        "booked": calls,
        "first_frame_ms": {"form": form, "fallback": {"p50": 350.0}},
        "closing_frame_ms": {"form": {"p50": close_p50}},
        "ping_ms": {"p99": 5.0},
        "processes": {
            "rasa": {"peak_rss_mb": 700.0, "cpu_mean_pct": 40.0},
            "actions": {"peak_rss_mb": 200.0, "cpu_mean_pct": 5.0},
        },
    }


def test_percentiles_pick_observed_values():
    values = [float(v) for v in range(1, 101)]
    assert (pct(values, 50), pct(values, 99), pct([], 50)) == (51.0, 99.0, None)
    assert stats([10.0, 20.0])["mean"] == 15.0


def test_ratios_to_the_floor_and_the_saturation_point():
    results = {
        "levels": [
            row("retell", 10, 80, 150, 100),
            row("rest", 10, 80, 140, 80),
            row("retell", 100, 200, 480, 260),
            row("rest", 100, 200, 470, 200),
            row("retell", 200, 400, 900, 500),
            row("rest", 200, 380, 880, 400),
        ]
    }
    summarise(results)
    by_calls = {line["calls"]: line for line in results["summary"]}
    assert by_calls[10]["close_p50_ratio_to_rest"] == 1.25
    assert by_calls[100]["first_p50_ratio_to_rest"] == 1.0
    assert by_calls[10]["fallback_added_p50_ms"] == 50.0  # 350 ms minus the model's 300 ms
    assert by_calls[200]["rss_total_mb"] == 900.0
    assert results["saturation_calls"] == 200  # the first level whose p99 leaves 500 ms


def test_past_the_levels_it_probes_on_until_saturation_or_the_limit():
    calm = [
        row("retell", 100, 40, 90, 45),
        row("rest", 100, 40, 80, 40),
        row("retell", 200, 45, 220, 50),
        row("rest", 200, 44, 480, 44),
    ]
    assert saturation_point(calm) is None  # the floor's p99 does not count
    assert next_probe(calm, probe_to=400) == 300
    assert next_probe(calm + [row("retell", 300, 60, 300, 70)], probe_to=400) == 400
    assert next_probe(calm + [row("retell", 400, 60, 300, 70)], probe_to=400) is None
    saturated = calm + [row("retell", 300, 900, 2500, 1000)]
    assert saturation_point(saturated) == 300
    assert next_probe(saturated, probe_to=400) is None
    assert next_probe(calm, probe_to=0) is None and next_probe([], probe_to=400) is None
