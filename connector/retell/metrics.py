"""What the operator sees: Prometheus metrics of the Retell channel, served by the Rasa server at
`GET /webhooks/retell/metrics` (prometheus-client's text format).

All are counted where they happen, in the Retell channel: the per-turn log line's facts as
numbers. Fallback outcomes come from the fallback action itself, as the `fallback_outcome` flag
of its last message (the actions run in another process; the flag needs no second endpoint);
the channel's `fallback_outcomes` setting names the ones counted by name.
Labels are small closed sets (never a call id, a phone number or a text), so the series stay few.
Names start with the channel's `metrics_prefix` setting (`retell_turns_total` by default), so a
project keeps its dashboards' names.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST  # of `exposition()`, for the scrape route
DEFAULT_PREFIX = "retell"  # metric names start with the channel's `metrics_prefix` setting
# Voice turns: most answers are well under a second; the holding line goes out at 1.5 s.
_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# Route labels (routes.py): the turn's own routes, then the policies Rasa 3.6 ships. A route
# outside them (a custom policy's, or none when the turn's events could not be read) is
# counted as "other", so the series stay few whatever the project.
ROUTES = (
    "form",
    "fallback",
    "nudge",
    "failed",
    "rule",
    "memoization",
    "augmentedmemoization",
    "ted",
    "unexpectedintent",
)


@dataclass(frozen=True)
class _Metrics:
    """The channel's metrics under one name prefix, in a registry of their own."""

    prefix: str
    fallback_outcomes: tuple[str, ...]  # the outcome labels; any other outcome is "other"
    registry: CollectorRegistry
    turns: Counter
    first_frame: Histogram
    turn_time: Histogram
    fallbacks: Counter
    errors: Counter
    open_calls: Gauge
    supersessions: Counter
    reconnects: Counter
    holding_lines: Counter


def _build(prefix: str, fallback_outcomes: tuple[str, ...] = ()) -> _Metrics:
    registry = CollectorRegistry(auto_describe=True)

    def histogram(name: str, help_text: str) -> Histogram:
        return Histogram(
            f"{prefix}_{name}", help_text, ["route"], buckets=_BUCKETS, registry=registry
        )

    return _Metrics(
        prefix=prefix,
        fallback_outcomes=fallback_outcomes,
        registry=registry,
        turns=Counter(
            f"{prefix}_turns",
            "Turns answered, by kind and route.",
            ["kind", "route"],
            registry=registry,
        ),
        first_frame=histogram(
            "turn_first_frame_seconds", "From a request to the first frame of its answer."
        ),
        turn_time=histogram("turn_seconds", "From a request to the closing frame."),
        fallbacks=Counter(
            f"{prefix}_fallbacks", "Fallback answers, by outcome.", ["outcome"], registry=registry
        ),
        errors=Counter(
            f"{prefix}_errors", "Things that went wrong, by kind.", ["kind"], registry=registry
        ),
        open_calls=Gauge(
            f"{prefix}_open_calls", "Call sockets open on this server.", registry=registry
        ),
        supersessions=Counter(
            f"{prefix}_supersessions",
            "Requests superseded by a newer one (barge-in).",
            registry=registry,
        ),
        reconnects=Counter(
            f"{prefix}_reconnects", "Sockets that continued a known call.", registry=registry
        ),
        holding_lines=Counter(
            f"{prefix}_holding_lines", "Holding lines said by the watchdog.", registry=registry
        ),
    )


_METRICS = _build(DEFAULT_PREFIX)


def configure(prefix: str, fallback_outcomes: tuple[str, ...]) -> None:
    """Name the metrics `<prefix>_...` and set the fallback outcomes counted by name (the
    channel's settings). The channel calls it once, at start-up, before anything is counted; a
    change starts the metrics from zero."""
    global _METRICS
    if (prefix, fallback_outcomes) != (_METRICS.prefix, _METRICS.fallback_outcomes):
        _METRICS = _build(prefix, fallback_outcomes)


def turn(kind: str, route: str | None, first_frame: float | None, total: float) -> None:
    label = route if route in ROUTES else "other"
    _METRICS.turns.labels(kind=kind, route=label).inc()
    _METRICS.turn_time.labels(route=label).observe(total)
    if first_frame is not None:
        _METRICS.first_frame.labels(route=label).observe(first_frame)


def fallback(outcome: object) -> None:
    label = outcome if outcome in _METRICS.fallback_outcomes else "other"
    _METRICS.fallbacks.labels(outcome=label).inc()


def error(kind: str) -> None:
    _METRICS.errors.labels(kind=kind).inc()


def call_opened() -> None:
    _METRICS.open_calls.inc()


def call_closed() -> None:
    _METRICS.open_calls.dec()


def superseded() -> None:
    _METRICS.supersessions.inc()


def reconnected() -> None:
    _METRICS.reconnects.inc()


def holding_line() -> None:
    _METRICS.holding_lines.inc()


def exposition() -> bytes:
    return generate_latest(_METRICS.registry)
