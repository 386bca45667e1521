"""The Retell custom-LLM WebSocket as a Rasa input channel: `connector.retell.channel.RetellInput`.

This is the class path Rasa loads from credentials.yml, so this module holds what Rasa
registers: the channel and its blueprint with the routes. Retell dials
`/webhooks/retell/llm-websocket/<call_id>`, one socket per call, and each socket is served by a
`CallSession` (`session.py`). The relay route takes the pieces an action streams and speaks them
into the live call they belong to. With RETELL_WS_SECRET set, a socket without the secret is
refused with 403 before the WebSocket handshake.

This module never imports `actions`: everything the assistant wants the call to do arrives as
keyword arguments of its messages (see `output.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request

from common import logsafe, relay, startup_secrets
from connector.retell import metrics
from connector.retell.session import LIVE_CALLS, CallSession
from connector.retell.settings import SANIC_MAX_FRAME, RetellSettings

logsafe.install()  # with the channel alone (another tracker store), still no caller data in logs
logger = logging.getLogger(__name__)


class _RetellBlueprint(Blueprint):
    """Raises Sanic's WebSocket frame limit when the channel is registered (before the server
    starts, which is when Sanic reads it)."""

    def register(self, app, options):  # type: ignore[override]
        if app.config.WEBSOCKET_MAX_SIZE < SANIC_MAX_FRAME:
            app.config.WEBSOCKET_MAX_SIZE = SANIC_MAX_FRAME
        return super().register(app, options)


class RetellInput(InputChannel):
    """Rasa input channel speaking Retell's custom-LLM WebSocket protocol."""

    @classmethod
    def name(cls) -> str:
        return "retell"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RetellInput:
        # Rasa builds its channels before it serves anything: a missing, blank or (in production)
        # short secret stops the server here with exit 2, instead of a socket without a check.
        # Production requires the channel's own secrets; any other known secret that is set is
        # checked too (an action server's token is the project's: its endpoints file names it).
        required = []
        if startup_secrets.is_production():
            required = [startup_secrets.RETELL_WS_SECRET, startup_secrets.CHANNEL_SECRET]
        startup_secrets.check_or_exit(required)
        return cls(RetellSettings.from_credentials(credentials))

    def __init__(self, settings: RetellSettings | None = None) -> None:
        self.settings = settings or RetellSettings()
        self.settings.warn_if_open()
        metrics.configure(self.settings.metrics_prefix, self.settings.fallback_outcomes)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = _RetellBlueprint("retell_webhook", __name__)
        settings = self.settings
        replays = relay.ReplayGuard()

        @blueprint.middleware("request")
        async def refuse_without_secret(request: Request):
            # Request middleware runs before the WebSocket handshake, so a refused socket gets a
            # plain HTTP 403 and never an open connection. Only the call sockets need the secret.
            if "/llm-websocket/" not in request.path:
                return None
            presented = request.match_info.get("token") or request.args.get("token")
            if not settings.token_ok(presented):
                logger.warning(
                    "refused a call socket without the right secret (from %s)", request.ip
                )
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
            """One piece of a streamed answer from the action server (see common/relay.py)."""
            if settings.channel_secret is None:
                return response.json({"stop": True, "reason": "relay disabled"}, status=503)
            problem = relay.verify(
                settings.channel_secret,
                request.headers.get(relay.TIMESTAMP_HEADER),
                request.headers.get(relay.SIGNATURE_HEADER),
                request.body,
                time.time(),
            )
            if problem is None and not replays.first_use(
                request.headers.get(relay.SIGNATURE_HEADER, ""), time.time()
            ):
                problem = "replayed request"
            if problem is not None:
                metrics.error("relay_refused")
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
        async def llm_websocket_with_token(
            request: Request, ws: Any, token: str, call_id: str
        ) -> None:
            await serve(request, ws, call_id)

        return blueprint
