"""One socket of one Retell call: `CallSession`, with its reader, writer and turns.

Per socket: one reader loop (frames → `CallProtocol` events), one writer task (every frame goes
through one queue, so a pong never waits behind a turn and frames never interleave), and turn
tasks that run one Rasa turn at a time. The turns run on Sanic's loop, as stock Rasa's (a ping
waits for the turn steps ready before it, never for a whole turn), or with `turn_thread` on the
process's turn thread (`turn_loop.py`), where NLU and policies never hold up the sockets' loop, at
the cost of GIL hand-overs (see turn_loop.py for when each wins). Each turn's lines go out through
a `RetellOutput` (`output.py`); every response we start is closed with `content_complete`.

Supersession (barge-in): a newer request makes the older id stale, and the protocol drops all
output for it. The Rasa turn itself is never cancelled (the tracker is saved only at its end).
When the newer request repeats words the caller said before our reply could be heard, the older
turn is undone first (see `undo.py`), so "my name is Mike" → "my name is Mike Trump" stores the
full name and a "yes" superseded by "yes, make it 4" is not counted twice.

Call control lives here too: reminders and unintelligible audio are answered from the stored
conversation without a Rasa turn (`nudges.py`); a watchdog says a holding line when nothing is
ready `holding_after` seconds after a request; the caller's phone travels to the actions signed
(`common/identity.py`), so no other channel can claim it. The live sessions are kept by call id
(`LIVE_CALLS`) for the channel's relay route.

This module never imports `actions`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa.core.channels.channel import UserMessage

from common import caller_text, identity, relay
from connector.retell import metrics, nudges, routes
from connector.retell.frames import CallDetails, ConfigFrame, OutboundFrame, UpdateOnly
from connector.retell.output import RetellOutput
from connector.retell.protocol import (
    CallProtocol,
    Ignored,
    Malformed,
    PingReceived,
    TurnKind,
    TurnRequested,
    is_unintelligible,
)
from connector.retell.settings import RetellSettings
from connector.retell.turn_loop import TURNS
from connector.retell.undo import undo_last_message

# The channel's records keep one logger name across its modules.
logger = logging.getLogger("connector.retell.channel")

_T = TypeVar("_T")

# The sockets this process holds, by call id: the relay speaks into them. A reconnect replaces
# the entry; a closing socket removes only its own.
LIVE_CALLS: dict[str, CallSession] = {}

APOLOGY = "Sorry, I didn't quite get that. Could you say it again?"
FAILED = "Sorry, something went wrong on my side. Could you say that again?"


class CallSession:
    """One socket of one call: reader loop, writer task, turns one at a time."""

    def __init__(
        self,
        ws: Any,
        call_id: str,
        on_new_message: Callable[[UserMessage], Awaitable],
        agent: Any,
        settings: RetellSettings,
    ) -> None:
        self.ws = ws
        self.call_id = call_id
        self.on_new_message = on_new_message
        self.agent = agent
        self.settings = settings
        self.protocol = CallProtocol(
            ConfigFrame(auto_reconnect=True, call_details=True),
            max_frame_bytes=settings.max_frame_bytes,
        )
        self.outbox: asyncio.Queue[OutboundFrame | None] = asyncio.Queue()
        self.turn_lock = asyncio.Lock()
        self.tasks: set[asyncio.Task] = set()
        self.call_details = asyncio.Event()
        self.processed: dict[int, str] = {}  # response ids whose turn reached Rasa → message id
        self.outputs: dict[int, RetellOutput] = {}  # turns in progress, for the relay
        self.loop = asyncio.get_running_loop()  # the socket's; protocol state lives here

    async def _in_rasa(self, coroutine: Awaitable[_T]) -> _T:
        """Work on Rasa's turns, trackers and locks: on the turn thread (turn_loop.py), or on
        this loop when `turn_thread` is off. Either way it runs to completion when the caller
        hangs up: a Rasa turn cut short is never saved (the tracker is written at its end)."""
        if self.settings.turn_thread:
            return await TURNS.run(coroutine)  # type: ignore[arg-type]
        return await asyncio.shield(coroutine)

    # -- I/O edges

    def send(self, frame: OutboundFrame) -> None:
        self.outbox.put_nowait(frame)

    async def _writer(self) -> None:
        while True:
            frame = await self.outbox.get()
            if frame is None:
                return
            try:
                await self.ws.send(frame.to_wire())
            except Exception as error:  # the socket is gone: the reader loop ends the session
                metrics.error("send_failed")
                logger.info("call %s: send failed (%s)", self.call_id, type(error).__name__)
                return

    def _spawn(self, coroutine: Awaitable) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def relay(self, response_id: int, text: str) -> bool:
        """A piece streamed by an action for `response_id`: spoken now, unless the caller has
        moved on (then False: the action stops its model)."""
        frame = self.protocol.send_text(response_id, text) if text else None
        if frame is None:
            return self.protocol.is_sendable(response_id) and not text
        self.send(frame)
        output = self.outputs.get(response_id)
        if output is not None:
            output.spoke = True
            if output.first_frame_at is None:
                output.first_frame_at = time.monotonic()
        return True

    async def run(self) -> None:
        writer = asyncio.ensure_future(self._writer())
        LIVE_CALLS[self.call_id] = self
        metrics.call_opened()
        try:
            reconnect = await self._known_call()
            if reconnect:
                metrics.reconnected()
            logger.info(
                "call %s: socket open (%s)", self.call_id, "reconnect" if reconnect else "new call"
            )
            greeting = None if reconnect else self.settings.greeting  # a reconnect never greets
            for frame in self.protocol.start(greet=greeting is not None):
                self.send(frame)
            if greeting is not None:
                self._spawn(self._greet(greeting))
            await self._read()
        finally:
            metrics.call_closed()
            if LIVE_CALLS.get(self.call_id) is self:
                del LIVE_CALLS[self.call_id]
            for task in list(self.tasks):
                task.cancel()
            self.outbox.put_nowait(None)
            writer.cancel()
            logger.info("call %s: socket closed", self.call_id)

    async def _known_call(self) -> bool:
        """A call the tracker store already holds (so also after a restart or on a replica)."""
        store = getattr(self.agent, "tracker_store", None)
        if store is None:
            return False
        try:
            tracker = await self._in_rasa(store.retrieve(self.call_id))
        except Exception:
            logger.exception("call %s: tracker store lookup failed", self.call_id)
            return False
        return tracker is not None and any(e.type_name == "user" for e in tracker.events)

    async def _read(self) -> None:
        while True:
            try:
                data = await self.ws.recv()
            except Exception as error:  # closed by Retell, or the network
                logger.info("call %s: receive ended (%s)", self.call_id, type(error).__name__)
                return
            if data is None:
                return
            for event in self.protocol.receive(data):
                self._dispatch(event)

    def _dispatch(self, event: Any) -> None:
        if isinstance(event, PingReceived):
            self.send(self.protocol.pong(event.timestamp))  # inline, never behind a turn
        elif isinstance(event, TurnRequested):
            if event.superseded is not None:
                metrics.superseded()
                logger.info(
                    "call %s: response %s superseded by %s",
                    self.call_id,
                    event.superseded,
                    event.response_id,
                )
            self._spawn(self._turn(event))
        elif isinstance(event, CallDetails):
            self.call_details.set()
        elif isinstance(event, Malformed):
            metrics.error("malformed_frame")
            logger.warning("call %s: skipped a malformed frame: %s", self.call_id, event.reason)
        elif isinstance(event, Ignored):
            logger.debug("call %s: ignored: %s", self.call_id, event.reason)
        elif isinstance(event, UpdateOnly):
            pass  # the protocol keeps the transcript

    # -- turns

    def _metadata(self, response_id: int) -> dict[str, Any]:
        """Call facts for the actions. The caller's number goes only inside the signed `caller`
        entry (see common/identity.py): an unsigned copy would look trustworthy to the next reader.
        The signed `relay` entry lets an action stream into this turn (see common/relay.py)."""
        call = self.protocol.call
        metadata: dict[str, Any] = {"retell": {"call_id": self.call_id}}
        secret = self.settings.channel_secret
        if secret is not None:
            replica = self.settings.replica_id
            metadata["relay"] = {
                "replica": replica,
                "response_id": response_id,
                "signature": relay.turn_signature(secret, self.call_id, response_id, replica),
            }
        if call is not None:
            metadata["retell"].update(call_type=call.call_type, direction=call.direction)
            caller = identity.claim(self.settings.channel_secret, self.call_id, call.from_number)
            if caller is not None:
                metadata[identity.METADATA_KEY] = caller
        return metadata

    async def _greet(self, greeting: str) -> None:
        """Response 0 of a new call: Rasa's answer to the configured greeting text, once the
        caller's number is known (or the wait is over), so the greeting may use it."""
        try:
            await asyncio.wait_for(self.call_details.wait(), self.settings.call_details_wait)
        except asyncio.TimeoutError:
            pass
        await self._run_turn(0, greeting, "greeting")

    async def _turn(self, event: TurnRequested) -> None:
        async with self.turn_lock:
            if not self.protocol.is_current(event.response_id):
                return  # superseded while waiting; its words are in the newer request
            if event.kind is TurnKind.REMINDER:
                await self._nudge(event.response_id, "reminder", nudges.reminder_line)
                return
            if event.unheard is not None and event.unheard in self.processed:
                try:
                    await self._in_rasa(
                        undo_last_message(self.agent, self.call_id, self.processed[event.unheard])
                    )
                except Exception as error:  # the turn below still answers (or apologises)
                    metrics.error("undo_failed")
                    logger.error(
                        "call %s: could not undo the unheard turn %s (%s)",
                        self.call_id,
                        event.unheard,
                        type(error).__name__,
                    )
            text = event.caller_text
            if is_unintelligible(text):
                await self._nudge(event.response_id, "unintelligible", nudges.say_again_line)
                return
            refused = caller_text.refusal(text)
            if refused is not None:  # text is text: never an intent, never past the limit
                logger.warning(
                    "call %s: caller text refused before NLU (%s, %d characters)",
                    self.call_id,
                    refused,
                    len(text),
                )
                line = nudges.too_long_line if refused == caller_text.TOO_LONG else None
                await self._nudge(event.response_id, "refused", line or nudges.say_again_line)
                return
            await self._run_turn(event.response_id, text, event.kind.value, locked=True)

    async def _nudge(self, response_id: int, kind: str, line: Callable[[list], str]) -> None:
        """A reminder or a "say again", from the stored conversation; no Rasa turn (nudges.py)."""
        started = time.monotonic()
        events: list = []
        store = getattr(self.agent, "tracker_store", None)
        if store is not None:
            try:
                tracker = await self._in_rasa(store.retrieve(self.call_id))
                events = list(tracker.events) if tracker else []
            except Exception as error:  # say the general line rather than nothing
                logger.error(
                    "call %s: tracker store read failed for a %s (%s)",
                    self.call_id,
                    kind,
                    type(error).__name__,
                )
        self._say_and_close(response_id, line(events))
        metrics.turn(kind, "nudge", 0.0, time.monotonic() - started)
        logger.info(
            "call %s: turn response_id=%s kind=%s route=nudge", self.call_id, response_id, kind
        )

    async def _run_turn(self, response_id: int, text: str, kind: str, locked: bool = False) -> None:
        if not locked:
            async with self.turn_lock:
                return await self._run_turn(response_id, text, kind, locked=True)
        started = time.monotonic()
        output = RetellOutput(self, response_id)
        message_id = uuid.uuid4().hex
        watchdog = asyncio.ensure_future(self._hold_the_line(response_id, output))
        self.outputs[response_id] = output
        failed = False
        try:
            self.processed[response_id] = message_id
            await self._in_rasa(
                self.on_new_message(
                    UserMessage(
                        text,
                        output,
                        self.call_id,
                        input_channel="retell",
                        message_id=message_id,
                        metadata=self._metadata(response_id),
                    )
                )
            )
        except Exception:
            failed = True
            metrics.error("turn_failed")
            logger.exception("call %s: turn %s failed", self.call_id, response_id)
            if not output.spoke:
                self._say_and_close(response_id, FAILED)
        finally:
            watchdog.cancel()
            self.outputs.pop(response_id, None)
            if not output.spoke and self.protocol.is_sendable(response_id):
                self._say_and_close(response_id, APOLOGY)
            closing = self.protocol.close(response_id)
            if closing is not None:
                self.send(closing)
            first = output.first_frame_at
            total_ms = int((time.monotonic() - started) * 1000)
            try:
                summary = await self._summary(message_id)
            except asyncio.CancelledError:  # the caller hung up: log what we know
                summary = {}
            metrics.turn(
                kind,
                "failed" if failed else summary.get("route"),
                None if first is None else first - started,
                total_ms / 1000,
            )
            logger.info(
                "call %s: turn response_id=%s kind=%s route=%s intent=%s confidence=%s "
                "active_loop=%s slots_changed=%s first_frame_ms=%s total_ms=%d",
                self.call_id,
                response_id,
                kind,
                summary.get("route"),
                summary.get("intent"),
                summary.get("confidence"),
                summary.get("active_loop"),
                summary.get("slots"),
                None if first is None else int((first - started) * 1000),
                total_ms,
            )

    async def _hold_the_line(self, response_id: int, output: RetellOutput) -> None:
        """The watchdog: a slow turn (an action waiting on a database, a model) gets a short
        holding line under the same id instead of dead air; the answer follows in the same
        response. It does not count as the turn's answer: a turn that then says nothing still
        ends with the apology."""
        if self.settings.holding_after <= 0:
            return
        await asyncio.sleep(self.settings.holding_after)
        if output.spoke or not self.protocol.is_sendable(response_id):
            return
        frame = self.protocol.send_text(response_id, nudges.HOLDING_LINE + " ")
        if frame is not None:
            self.send(frame)
            metrics.holding_line()
            logger.info(
                "call %s: response %s: holding line after %.1f s",
                self.call_id,
                response_id,
                self.settings.holding_after,
            )

    async def _summary(self, message_id: str) -> dict[str, Any]:
        """What the turn did, for its log line: slot names only, never values (no personal
        data in logs)."""
        try:
            store = self.agent.tracker_store
            inner = getattr(store, "_tracker_store", store)  # Rasa wraps it in a fail-safe store
            recent = getattr(inner, "recently_saved", None)
            tracker = recent(self.call_id) if recent else None
            if tracker is None:
                tracker = await self._in_rasa(store.retrieve(self.call_id))
            events = list(tracker.events) if tracker else []
        except Exception:
            return {}
        start = next(
            (
                i
                for i in range(len(events) - 1, -1, -1)
                if getattr(events[i], "message_id", None) == message_id
            ),
            None,
        )
        if start is None:
            return {}
        user = events[start]
        turn = events[start + 1 :]
        route = routes.turn_route(events, start, routes.model_fallback_action(self.agent))
        intent = user.intent or {}
        slots = sorted({e.key for e in turn if e.type_name == "slot" and e.key != "requested_slot"})
        return {
            "route": route,
            "intent": intent.get("name"),
            "confidence": round(float(intent.get("confidence") or 0), 2),
            "active_loop": tracker.active_loop_name,
            "slots": ",".join(slots) or "-",
        }

    def _say_and_close(self, response_id: int, text: str) -> None:
        frame = self.protocol.send_text(response_id, text, complete=True)
        if frame is not None:
            self.send(frame)
