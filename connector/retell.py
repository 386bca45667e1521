"""The Retell custom-LLM WebSocket as a Rasa input channel: `connector.retell.RetellInput`.

Retell dials `/webhooks/retell/llm-websocket/<call_id>`, one socket per call. Per socket:
one reader loop (frames → `CallProtocol` events), one writer task (every frame goes through one
queue, so a pong never waits behind a turn and frames never interleave), and turn tasks that run
one Rasa turn at a time. The turns run on Sanic's loop, as stock Rasa's (a ping waits for the turn
steps ready before it, never for a whole turn), or with `turn_thread` on the process's turn thread
(`turn_loop.py`), where NLU and policies never hold up the sockets' loop, at the cost of GIL
hand-overs (see turn_loop.py for when each wins). Each action's messages go out as soon as the
action ends (Rasa's processor sends them then); every response we start is closed with
`content_complete`.

Supersession (barge-in): a newer request makes the older id stale, and the protocol drops all
output for it. The Rasa turn itself is never cancelled (the tracker is saved only at its end).
When the newer request repeats words the caller said before our reply could be heard, the older
turn is undone first (see `undo.py`), so "my name is Mike" → "my name is Mike Trump" stores the
full name and a "yes" superseded by "yes, make it 4" is not counted twice.

Call control lives here too: reminders and unintelligible audio are answered from the stored
conversation without a Rasa turn (`nudges.py`); a watchdog says a holding line when nothing is
ready `holding_after` seconds after a request; the caller's phone travels to the actions signed
(`identity.py`), so no other channel can claim it; with RETELL_WS_SECRET set, a socket without
the secret is refused with 403 before the WebSocket handshake.

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
from typing import Any, Awaitable, Callable, TypeVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from connector.frames import (
    CallDetails,
    ConfigFrame,
    OutboundFrame,
    ToolCallInvocationFrame,
    ToolCallResultFrame,
    UpdateOnly,
)
from connector import identity, logsafe, metrics, nudges, rasa_tuning, relay
from connector.settings import SANIC_MAX_FRAME, RetellSettings
from connector.protocol import (
    CallProtocol,
    Ignored,
    Malformed,
    PingReceived,
    TurnKind,
    TurnRequested,
    is_unintelligible,
)
from connector.speech_text import for_speech
from connector.turn_loop import TURNS
from connector.undo import undo_last_message

logsafe.install()  # with the channel alone (another tracker store), still no caller data in logs
logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# The sockets this process holds, by call id: the relay speaks into them. A reconnect replaces
# the entry; a closing socket removes only its own.
LIVE_CALLS: dict[str, "CallSession"] = {}

GREETING_TRIGGER = "/greet"
APOLOGY = "Sorry, I didn't quite get that. Could you say it again?"
FAILED = "Sorry, something went wrong on my side. Could you say that again?"


class _RetellBlueprint(Blueprint):
    """Raises Sanic's WebSocket frame limit when the channel is registered (before the server
    starts, which is when Sanic reads it)."""

    def register(self, app, options):  # type: ignore[override]
        if app.config.WEBSOCKET_MAX_SIZE < SANIC_MAX_FRAME:
            app.config.WEBSOCKET_MAX_SIZE = SANIC_MAX_FRAME
        app.register_listener(rasa_tuning.settle_heap, "after_server_start")
        app.register_listener(rasa_tuning.close_kept_sessions, "after_server_stop")
        return super().register(app, options)


class RetellInput(InputChannel):
    """Rasa input channel speaking Retell's custom-LLM WebSocket protocol."""

    @classmethod
    def name(cls) -> str:
        return "retell"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "RetellInput":
        return cls(RetellSettings.from_credentials(credentials))

    def __init__(self, settings: RetellSettings | None = None) -> None:
        self.settings = settings or RetellSettings()
        self.settings.warn_if_open()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = _RetellBlueprint("retell_webhook", __name__)
        settings = self.settings

        @blueprint.middleware("request")
        async def refuse_without_secret(request: Request):
            # Request middleware runs before the WebSocket handshake, so a refused socket gets a
            # plain HTTP 403 and never an open connection. Only the call sockets need the secret.
            if "/llm-websocket/" not in request.path:
                return None
            presented = request.match_info.get("token") or request.args.get("token")
            if not settings.token_ok(presented):
                logger.warning("refused a call socket without the right secret (from %s)",
                               request.ip)  # fmt: skip
                return response.text("forbidden", status=403)
            return None

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request):
            return response.json({"status": "ok"})

        @blueprint.route("/metrics", methods=["GET"])
        async def prometheus(_: Request):
            return response.raw(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

        @blueprint.route(relay.PATH, methods=["POST"])
        async def relay_piece(request: Request):
            """One piece of a streamed answer from the action server (see relay.py)."""
            if settings.channel_secret is None:
                return response.json({"stop": True, "reason": "relay disabled"}, status=503)
            problem = relay.verify(
                settings.channel_secret, request.headers.get(relay.TIMESTAMP_HEADER),
                request.headers.get(relay.SIGNATURE_HEADER), request.body, time.time(),
            )  # fmt: skip
            if problem is not None:
                metrics.ERRORS.labels(kind="relay_refused").inc()
                logger.warning("relay: refused a request (%s)", problem)
                return response.json({"error": problem}, status=401)
            piece = relay.parse_chunk(request.body)
            if isinstance(piece, str):
                logger.warning("relay: refused a request (%s)", piece)
                return response.json({"error": piece}, status=400)
            session = LIVE_CALLS.get(piece.call_id)
            if session is None:
                return response.json({"stop": True, "reason": "unknown call"}, status=404)
            if not session.relay(piece.response_id, piece.text):
                return response.json({"stop": True, "reason": "superseded"}, status=409)
            return response.json({"ok": True})

        async def serve(request: Request, ws: Any, call_id: str) -> None:
            agent = getattr(request.app.ctx, "agent", None)
            session = CallSession(ws, call_id, on_new_message, agent, settings)
            await session.run()

        @blueprint.websocket("/llm-websocket/<call_id>")
        async def llm_websocket(request: Request, ws: Any, call_id: str) -> None:
            await serve(request, ws, call_id)

        # Retell appends the call id to the configured URL, so a secret path segment works too.
        @blueprint.websocket("/llm-websocket/<token>/<call_id>")
        async def llm_websocket_with_token(request: Request, ws: Any, token: str,
                                           call_id: str) -> None:  # fmt: skip
            await serve(request, ws, call_id)

        return blueprint


class RetellOutput(OutputChannel):
    """What Rasa says during one turn → frames of one response id. Never raises: a caller who
    hung up must not abort the turn (Rasa would then not save the tracker)."""

    @classmethod
    def name(cls) -> str:
        return "retell"

    def __init__(self, session: "CallSession", response_id: int) -> None:
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
            logger.warning("call %s: response %s: a line after shutdown was dropped",
                           self.session.call_id, self.response_id)  # fmt: skip

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
        self.session.send(ToolCallInvocationFrame(
            call_id, str(call.get("name") or "action"), json.dumps(arguments, default=str),
        ))  # fmt: skip
        successful = call.get("successful")
        self.session.send(ToolCallResultFrame(
            call_id, str(call.get("result") or ""),
            successful if isinstance(successful, bool) else None,
        ))  # fmt: skip


class CallSession:
    """One socket of one call: reader loop, writer task, turns one at a time."""

    def __init__(self, ws: Any, call_id: str, on_new_message: Callable[[UserMessage], Awaitable],
                 agent: Any, settings: RetellSettings) -> None:  # fmt: skip
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
                metrics.ERRORS.labels(kind="send_failed").inc()
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
        metrics.OPEN_CALLS.inc()
        try:
            reconnect = await self._known_call()
            if reconnect:
                metrics.RECONNECTS.inc()
            logger.info("call %s: socket open (%s)", self.call_id,
                        "reconnect" if reconnect else "new call")  # fmt: skip
            for frame in self.protocol.start(reconnect=reconnect):
                self.send(frame)
            if not reconnect:
                self._spawn(self._greet())
            await self._read()
        finally:
            metrics.OPEN_CALLS.dec()
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
                metrics.SUPERSESSIONS.inc()
                logger.info("call %s: response %s superseded by %s", self.call_id,
                            event.superseded, event.response_id)  # fmt: skip
            self._spawn(self._turn(event))
        elif isinstance(event, CallDetails):
            self.call_details.set()
        elif isinstance(event, Malformed):
            metrics.ERRORS.labels(kind="malformed_frame").inc()
            logger.warning("call %s: skipped a malformed frame: %s", self.call_id, event.reason)
        elif isinstance(event, Ignored):
            logger.debug("call %s: ignored: %s", self.call_id, event.reason)
        elif isinstance(event, UpdateOnly):
            pass  # the protocol keeps the transcript

    # -- turns

    def _metadata(self, response_id: int) -> dict[str, Any]:
        """Call facts for the actions. The caller's number goes only inside the signed `caller`
        entry (see identity.py): an unsigned copy would look trustworthy to the next reader. The
        signed `relay` entry lets an action stream into this turn (see relay.py)."""
        call = self.protocol.call
        metadata: dict[str, Any] = {"retell": {"call_id": self.call_id}}
        secret = self.settings.channel_secret
        if secret is not None:
            replica = self.settings.replica_id
            metadata["relay"] = {"replica": replica, "response_id": response_id,
                                 "signature": relay.turn_signature(secret, self.call_id,
                                                                   response_id, replica)}  # fmt: skip
        if call is not None:
            metadata["retell"].update(call_type=call.call_type, direction=call.direction)
            caller = identity.claim(self.settings.channel_secret, self.call_id, call.from_number)
            if caller is not None:
                metadata[identity.METADATA_KEY] = caller
        return metadata

    async def _greet(self) -> None:
        try:
            await asyncio.wait_for(self.call_details.wait(), self.settings.call_details_wait)
        except asyncio.TimeoutError:
            pass
        await self._run_turn(0, GREETING_TRIGGER, "greeting")

    async def _turn(self, event: TurnRequested) -> None:
        async with self.turn_lock:
            if not self.protocol.is_current(event.response_id):
                return  # superseded while waiting; its words are in the newer request
            if event.kind is TurnKind.REMINDER:
                await self._nudge(event.response_id, "reminder", nudges.reminder_line)
                return
            if event.unheard is not None and event.unheard in self.processed:
                try:
                    await self._in_rasa(undo_last_message(self.agent, self.call_id,
                                                          self.processed[event.unheard]))
                except Exception as error:  # the turn below still answers (or apologises)
                    metrics.ERRORS.labels(kind="undo_failed").inc()
                    logger.error("call %s: could not undo the unheard turn %s (%s)",
                                 self.call_id, event.unheard, type(error).__name__)  # fmt: skip
            text = event.caller_text
            if is_unintelligible(text):
                await self._nudge(event.response_id, "unintelligible", nudges.say_again_line)
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
                logger.error("call %s: tracker store read failed for a %s (%s)",
                             self.call_id, kind, type(error).__name__)  # fmt: skip
        self._say_and_close(response_id, line(events))
        metrics.turn(kind, "nudge", 0.0, time.monotonic() - started)
        logger.info("call %s: turn response_id=%s kind=%s route=nudge", self.call_id,
                    response_id, kind)  # fmt: skip

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
            await self._in_rasa(self.on_new_message(UserMessage(
                text, output, self.call_id, input_channel="retell", message_id=message_id,
                metadata=self._metadata(response_id),
            )))  # fmt: skip
        except Exception:
            failed = True
            metrics.ERRORS.labels(kind="turn_failed").inc()
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
            metrics.turn(kind, "failed" if failed else summary.get("route"),
                         None if first is None else first - started, total_ms / 1000)  # fmt: skip
            logger.info(
                "call %s: turn response_id=%s kind=%s route=%s intent=%s confidence=%s "
                "active_loop=%s slots_changed=%s first_frame_ms=%s total_ms=%d",
                self.call_id, response_id, kind, summary.get("route"), summary.get("intent"),
                summary.get("confidence"), summary.get("active_loop"), summary.get("slots"),
                None if first is None else int((first - started) * 1000), total_ms,
            )  # fmt: skip

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
            metrics.HOLDING_LINES.inc()
            logger.info("call %s: response %s: holding line after %.1f s", self.call_id,
                        response_id, self.settings.holding_after)  # fmt: skip

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
        start = next((i for i in range(len(events) - 1, -1, -1)
                      if getattr(events[i], "message_id", None) == message_id), None)  # fmt: skip
        if start is None:
            return {}
        user = events[start]
        turn = events[start + 1:]
        actions = [e.action_name for e in turn if e.type_name == "action"]
        if "action_gemini_fallback" in actions:
            route = "fallback"
        elif any(a and a.endswith("_form") for a in actions):
            route = "form"
        else:
            route = "rule"
        intent = user.intent or {}
        slots = sorted({e.key for e in turn if e.type_name == "slot" and e.key != "requested_slot"})
        return {"route": route, "intent": intent.get("name"),
                "confidence": round(float(intent.get("confidence") or 0), 2),
                "active_loop": tracker.active_loop_name, "slots": ",".join(slots) or "-"}  # fmt: skip

    def _say_and_close(self, response_id: int, text: str) -> None:
        frame = self.protocol.send_text(response_id, text, complete=True)
        if frame is not None:
            self.send(frame)

