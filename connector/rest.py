"""Rasa's REST channel, with the rules every caller input follows (docs/trust.md).

The same endpoint as Rasa's (`POST /webhooks/rest/webhook`, `{"sender", "message"}`), with:

- its own conversations: every REST sender becomes `rest:<sender>`, which no Retell call id is.
  Without it, a REST message with `sender=<a call id>` would continue that call, read its slots
  and act on its booking.

- text is text: a message that starts with "/" or holds `{"` never reaches NLU as an intent or
  entities (common/caller_text.py); the reply is the say-again line. The one exception is the
  greeting trigger, REST_TRIGGERS: a REST client opens its conversation with "/greet" as the
  Retell channel does for a call (bench/load.py measures the same conversation both ways); it
  carries no entities and only greets.
- sizes: a body over MAX_BODY_BYTES gets 413 with a JSON body saying why, and a log line (Rasa's
  own channel answered `[]` and logged nothing); a message over the turn limit gets a spoken
  "too long" line and a log line, and never reaches Rasa.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from common import caller_text, logsafe
from connector.retell import nudges

logsafe.install()
logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a message, a sender id and metadata; far above any real turn
REST_TRIGGERS = frozenset({"/greet"})
PREFIX = "rest:"


def conversation_id(sender: str) -> str:
    """The conversation a REST `sender` talks to."""
    return PREFIX + sender


def refused_line(text: Any) -> str | None:
    """What the caller hears instead of a Rasa turn, or None when `text` may reach Rasa."""
    if not isinstance(text, str) or text.strip() in REST_TRIGGERS:
        return None
    reason = caller_text.refusal(text)
    if reason is None:
        return None
    logger.warning("rest: caller text refused before NLU (%s, %d characters)", reason, len(text))
    return nudges.TOO_LONG if reason == caller_text.TOO_LONG else nudges.SAY_AGAIN


class SafeRestInput(RestInput):
    """Rasa's REST channel (same name, same URL) that keeps caller text to words, within limits."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> str | None:
        sender = await super()._extract_sender(req)
        return None if sender is None else conversation_id(str(sender))

    @staticmethod
    def _guard(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Callable[[UserMessage], Awaitable[Any]]:
        """`on_new_message` for the words only: a refused message gets its line instead."""

        async def guarded(message: UserMessage) -> Any:
            line = refused_line(message.text)
            if line is None:
                return await on_new_message(message)
            await message.output_channel.send_text_message(message.sender_id, line)
            return None

        return guarded

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(self._guard(on_new_message))

        @blueprint.middleware("request")
        async def limit_body(request: Request):
            size = len(request.body or b"")
            if request.method == "POST" and size > MAX_BODY_BYTES:
                logger.warning("rest: refused a body of %d bytes (limit %d)", size, MAX_BODY_BYTES)
                return response.json(
                    {"error": f"request body over {MAX_BODY_BYTES} bytes"}, status=413
                )
            return None

        return blueprint
