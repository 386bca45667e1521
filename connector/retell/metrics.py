"""What the operator sees: Prometheus metrics of the Retell channel, served by the Rasa server at
`GET /webhooks/retell/metrics` (prometheus-client's text format).

All are counted where they happen, in the Retell channel: the per-turn log line's facts as
numbers. Fallback outcomes come from the fallback action itself, as the `fallback_outcome` flag
of its last message (the actions run in another process; the flag needs no second endpoint).
Labels are small closed sets (never a call id, a phone number or a text), so the series stay few.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST  # of `exposition()`, for the scrape route
REGISTRY = CollectorRegistry(auto_describe=True)
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

TURNS = Counter(
    "booking_turns", "Turns answered, by kind and route.", ["kind", "route"], registry=REGISTRY
)
FIRST_FRAME = Histogram(
    "booking_turn_first_frame_seconds",
    "From a request to the first frame of its answer.",
    ["route"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
TURN_TIME = Histogram(
    "booking_turn_seconds",
    "From a request to the closing frame.",
    ["route"],
    buckets=_BUCKETS,
    registry=REGISTRY,
)
FALLBACKS = Counter(
    "booking_fallbacks", "Fallback answers, by outcome.", ["outcome"], registry=REGISTRY
)
ERRORS = Counter("booking_errors", "Things that went wrong, by kind.", ["kind"], registry=REGISTRY)
OPEN_CALLS = Gauge("booking_open_calls", "Call sockets open on this server.", registry=REGISTRY)
SUPERSESSIONS = Counter(
    "booking_supersessions", "Requests superseded by a newer one (barge-in).", registry=REGISTRY
)
RECONNECTS = Counter(
    "booking_reconnects", "Sockets that continued a known call.", registry=REGISTRY
)
HOLDING_LINES = Counter(
    "booking_holding_lines", "Holding lines said by the watchdog.", registry=REGISTRY
)

# Known outcomes of the fallback action; anything else is counted as "other".
FALLBACK_OUTCOMES = (
    "faq",
    "not_sure",
    "answered",
    "superseded",
    "timeout",
    "error",
    "stream_broken",
    "blocked",
)


def turn(kind: str, route: str | None, first_frame: float | None, total: float) -> None:
    label = route if route in ROUTES else "other"
    TURNS.labels(kind=kind, route=label).inc()
    TURN_TIME.labels(route=label).observe(total)
    if first_frame is not None:
        FIRST_FRAME.labels(route=label).observe(first_frame)


def fallback(outcome: object) -> None:
    FALLBACKS.labels(outcome=outcome if outcome in FALLBACK_OUTCOMES else "other").inc()


def exposition() -> bytes:
    return generate_latest(REGISTRY)
