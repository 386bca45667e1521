"""The Retell channel's options: credentials.yml values, overridden by the environment."""

from __future__ import annotations

import hmac
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

from common import identity

logger = logging.getLogger("connector.retell.channel")

# Retell sends the whole transcript with word timings on every update, so frames grow with the
# call: Sanic's 1 MiB default would close a long call's socket with 1009.
SANIC_MAX_FRAME = 16 * 1024 * 1024
# A Prometheus metric name's first part (the colon is for recording rules, not for exporters).
_METRIC_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LABEL = re.compile(r"[a-zA-Z0-9_]{1,40}")


def flag(value: Any, name: str) -> bool:
    """A yes/no option from YAML (a bool) or the environment (a string)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"retell {name} must be true or false, got {value!r}")


def greeting_text(value: Any) -> str | None:
    """The greeting option: absent or null for none, else a text that is not blank."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"retell greeting must be the text that opens a call (e.g. /greet), or absent for "
            f"none, got {value!r}"
        )
    return value.strip()


def metrics_prefix(value: Any) -> str:
    """The metrics_prefix option: the first part of a Prometheus metric name."""
    if not isinstance(value, str) or not _METRIC_NAME.fullmatch(value):
        raise ValueError(
            "retell metrics_prefix must be letters, digits and underscores, not starting "
            f"with a digit, got {value!r}"
        )
    return value


def outcome_names(value: Any) -> tuple[str, ...]:
    """The fallback_outcomes option: absent for none, else a list of label-safe names."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(name, str) and _LABEL.fullmatch(name) for name in value
    ):
        raise ValueError(
            "retell fallback_outcomes must be a list of names (letters, digits, underscores), "
            f"got {value!r}"
        )
    return tuple(value)


@dataclass(frozen=True)
class RetellSettings:
    """Channel options: credentials.yml values, overridden by the environment. Secrets come from
    the environment only (never from credentials.yml, which lives in the repository)."""

    max_frame_bytes: int = 8 * 1024 * 1024  # our log-and-skip limit, below Sanic's
    call_details_wait: float = 1.0  # how long the greeting waits for call_details
    holding_after: float = 1.5  # watchdog: holding line when nothing is ready by then; 0 = off
    ws_secret: str | None = None  # RETELL_WS_SECRET: sockets must present it
    channel_secret: bytes | None = None  # CHANNEL_SECRET: signs caller phone, turn facts, relay
    replica_id: str = "default"  # REPLICA_ID: which RELAY_URLS entry reaches this process
    turn_thread: bool = False  # Rasa turns on a thread of their own (turn_loop.py), or Sanic's
    # What the channel sends Rasa to open a new call ("/greet"); None: response 0 is closed
    # empty and the caller speaks first. Part of the project's dialogue, so never from the
    # environment.
    greeting: str | None = None
    metrics_prefix: str = "retell"  # the Prometheus metrics are named <prefix>_turns_total, ...
    # The `fallback_outcome` flags counted by name (labels stay a closed set); others: "other".
    fallback_outcomes: tuple[str, ...] = ()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RetellSettings:
        values = dict(credentials or {})
        env = {
            "max_frame_bytes": os.environ.get("RETELL_MAX_FRAME_BYTES"),
            "call_details_wait": os.environ.get("RETELL_CALL_DETAILS_WAIT"),
            "holding_after": os.environ.get("RETELL_HOLDING_AFTER"),
            "turn_thread": os.environ.get("RETELL_TURN_THREAD"),
        }
        values.update({k: v for k, v in env.items() if v is not None})
        settings = cls(
            max_frame_bytes=int(values.get("max_frame_bytes", cls.max_frame_bytes)),
            call_details_wait=float(values.get("call_details_wait", cls.call_details_wait)),
            holding_after=float(values.get("holding_after", cls.holding_after)),
            ws_secret=os.environ.get("RETELL_WS_SECRET", "").strip() or None,
            channel_secret=identity.secret_from_env(),
            replica_id=os.environ.get("REPLICA_ID", "").strip() or cls.replica_id,
            turn_thread=flag(values.get("turn_thread", cls.turn_thread), "turn_thread"),
            greeting=greeting_text(values.get("greeting")),
            metrics_prefix=metrics_prefix(values.get("metrics_prefix", cls.metrics_prefix)),
            fallback_outcomes=outcome_names(values.get("fallback_outcomes")),
        )
        if not 0 < settings.max_frame_bytes < SANIC_MAX_FRAME:
            raise ValueError(
                f"retell max_frame_bytes must be between 1 and {SANIC_MAX_FRAME - 1}, "
                f"got {settings.max_frame_bytes}"
            )
        if settings.holding_after < 0:
            raise ValueError(
                f"retell holding_after must be 0 (off) or more, got {settings.holding_after}"
            )
        return settings

    def warn_if_open(self) -> None:
        """Start-up warnings for a channel anyone can use, or one that cannot vouch for callers."""
        if self.ws_secret is None:
            logger.warning(
                "RETELL_WS_SECRET is not set: any client that reaches this server can open a call "
                "socket. Set it and put it in Retell's Custom LLM URL (…/llm-websocket/<secret> "
                "or ?token=<secret>) before taking real calls."
            )
        if self.channel_secret is None:
            logger.warning(
                "%s is not set: callers' phone numbers are not passed to the actions, and the "
                "relay that streams an action's answer into a call is off.",
                identity.SECRET_ENV,
            )

    def token_ok(self, presented: str | None) -> bool:
        """Constant-time check of the socket secret; always true when none is configured."""
        if self.ws_secret is None:
            return True
        return hmac.compare_digest((presented or "").encode(), self.ws_secret.encode())
