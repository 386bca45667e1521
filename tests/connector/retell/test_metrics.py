"""The channel's metrics: named by the channel's prefix, with bounded route labels."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from connector.retell import metrics


def samples() -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.exposition().decode())
        for sample in family.samples
    }


def turns(route: str, kind: str = "response") -> float:
    return samples().get(("shop_turns_total", (("kind", kind), ("route", route))), 0.0)


def test_the_prefix_names_every_metric(monkeypatch):
    monkeypatch.setattr(metrics, "_METRICS", metrics._METRICS)
    metrics.configure("shop", ())
    metrics.call_opened()
    metrics.error("send_failed")
    names = {name for name, _ in samples()}
    assert "shop_open_calls" in names and "shop_errors_total" in names
    assert not any(name.startswith("retell_") for name in names)
    assert samples()[("shop_errors_total", (("kind", "send_failed"),))] == 1


def test_route_labels_are_the_known_routes_and_policies_else_other(monkeypatch):
    monkeypatch.setattr(metrics, "_METRICS", metrics._METRICS)
    metrics.configure("shop", ())
    for route in ("rule", "memoization", "ted", "form", "fallback", "mycustom", None):
        metrics.turn("response", route, 0.1, 0.2)
    for route in ("rule", "memoization", "ted", "form", "fallback"):
        assert turns(route) == 1, route
    assert turns("other") == 2  # a custom policy's route and an unknown one
    assert turns("mycustom") == 0


def test_fallback_outcomes_are_counted_by_name_only_when_configured(monkeypatch):
    monkeypatch.setattr(metrics, "_METRICS", metrics._METRICS)
    metrics.configure("shop", ("faq", "answered"))
    for outcome in ("faq", "answered", "answered", "made_up", None):
        metrics.fallback(outcome)

    def outcomes(label: str) -> float:
        return samples().get(("shop_fallbacks_total", (("outcome", label),)), 0.0)

    assert (outcomes("faq"), outcomes("answered"), outcomes("other")) == (1, 2, 2)
    assert outcomes("made_up") == 0
