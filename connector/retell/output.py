"""What Rasa says during one turn of a Retell call, as frames of that turn's response id.

`RetellOutput` is the output channel each turn of a `CallSession` (`session.py`) hands to Rasa.
Each action's messages go out as soon as the action ends (Rasa's processor sends them then).
Rasa may call it from the turn thread (`turn_loop.py`) while the call's protocol state lives on
the socket's loop, so lines are handed over to that loop in the order they were said.

This module never imports `actions`: everything the assistant wants the call to do arrives as
keyword arguments of its messages (`already_spoken`, `end_call`, `transfer_number`,
`no_interruption_allowed`, `tool_call`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from rasa.core.channels.channel import OutputChannel

from connector.retell import metrics
from connector.retell.frames import ToolCallInvocationFrame, ToolCallResultFrame
from connector.retell.tts_text import for_speech

if TYPE_CHECKING:
    from connector.retell.session import CallSession

# The channel's records keep one logger name across its modules.
logger = logging.getLogger("connector.retell.channel")


class RetellOutput(OutputChannel):
    """What Rasa says during one turn → frames of one response id. Never raises: a caller who
    hung up must not abort the turn (Rasa would then not save the tracker)."""

    @classmethod
    def name(cls) -> str:
        return "retell"

    def __init__(self, session: CallSession, response_id: int) -> None:
        self.session = session
        self.response_id = response_id
        self.spoke = False
        self.first_frame_at: float | None = None

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        try:
            text = message.get("text")
            if text:
                extra = {k: v for k, v in message.items() if k != "text"}
                await self.send_text_message(recipient_id, text, **extra)
        except Exception:  # see the class docstring
            logger.exception("call %s: output failed", self.session.call_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # Rasa calls this on its turn's loop (the turn thread's, with `turn_thread`); the call's
        # protocol state lives on the socket loop.
        # The line is handed over and the turn goes on without waiting for the loop: lines and
        # the turn's end reach the loop through the same FIFO (`call_soon_threadsafe`), so they
        # are handled in the order they happened.
        loop = self.session.loop
        try:
            if asyncio.get_running_loop() is loop:
                self._speak(text, kwargs)
            else:
                loop.call_soon_threadsafe(self._speak, text, kwargs)
        except RuntimeError:  # the socket loop is closed: the server is stopping
            logger.warning(
                "call %s: response %s: a line after shutdown was dropped",
                self.session.call_id,
                self.response_id,
            )

    def _speak(self, text: str, kwargs: dict[str, Any]) -> None:
        try:
            if kwargs.get("fallback_outcome"):
                metrics.fallback(kwargs["fallback_outcome"])
            if kwargs.get("already_spoken"):
                self.spoke = True  # streamed through the relay already
                return
            if isinstance(kwargs.get("tool_call"), dict) and self.session.protocol.is_sendable(
                self.response_id
            ):
                self._tool_call(kwargs["tool_call"])
            line = for_speech(text)
            if not line:
                return
            frame = self.session.protocol.send_text(
                self.response_id,
                line + " ",
                end_call=kwargs.get("end_call") or None,
                transfer_number=kwargs.get("transfer_number") or None,
                no_interruption_allowed=kwargs.get("no_interruption_allowed") or None,
            )
            if frame is None:
                return  # superseded: the caller has moved on
            self.session.send(frame)
            self.spoke = True
            if self.first_frame_at is None:
                self.first_frame_at = time.monotonic()
        except Exception:
            logger.exception("call %s: output failed", self.session.call_id)

    def _tool_call(self, call: dict[str, Any]) -> None:
        """`tool_call={name, arguments, result, successful}` → the invocation/result frames that
        show the action in Retell's call history (bookkeeping only; nothing is spoken)."""
        call_id = f"tc-{uuid.uuid4().hex[:12]}"
        arguments = call.get("arguments") or {}
        self.session.send(
            ToolCallInvocationFrame(
                call_id,
                str(call.get("name") or "action"),
                json.dumps(arguments, default=str),
            )
        )
        successful = call.get("successful")
        self.session.send(
            ToolCallResultFrame(
                call_id,
                str(call.get("result") or ""),
                successful if isinstance(successful, bool) else None,
            )
        )
