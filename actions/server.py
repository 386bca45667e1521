"""The action server's entry point: `python -m actions.server` (what `make run` starts).

rasa-sdk's own `rasa run actions` would import the actions and start serving even with a broken
business profile or an unreachable bookings database, and every caller would then hear a failed
turn. This entry point checks both first and stops with a message naming the problem, then hands
over to rasa-sdk's standard server with the same arguments (`--port`, `--actions`, ...).

It accepts only Rasa: every request but the health check must carry `Authorization: Bearer
<ACTION_SERVER_TOKEN>` (rasa_project/endpoints*.yml send it), checked in constant time; anything
else gets 401. The token is required (`make run` and `make shell` generate one per run), at least
16 characters in production (common/startup_secrets.py).
"""

from __future__ import annotations

import gc
import hmac
import importlib
import logging
import os
import sys

import rasa_sdk.endpoint
from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser
from sanic import Sanic, response

from actions.booking.profile import ProfileError, load_profile
from common import logsafe, startup_secrets
from common.logsafe import scrub

logger = logging.getLogger(__name__)

EXIT_BAD_PROFILE = 2
EXIT_BAD_SETTING = 2  # a setting with an unknown value (GREET_KNOWN_CALLER)
EXIT_STORE_DOWN = 3


UNGUARDED = frozenset({"/health"})  # says "ok" and nothing else: load balancers may ask


def require_token(app: Sanic, token: str) -> None:
    """A middleware on `app`: a request without `Authorization: Bearer <token>` gets 401. The
    log line names the path and the client, never what was presented."""
    expected = f"Bearer {token}".encode()

    @app.on_request
    async def check_token(request):
        if request.path in UNGUARDED:
            return None
        presented = (request.headers.get("authorization") or "").encode()
        if hmac.compare_digest(presented, expected):
            return None
        logger.warning(
            "refused %s %s from %s: %s",
            request.method,
            request.path,
            request.ip,
            "wrong token" if presented else "no token",
        )
        return response.json({"error": "unauthorized"}, status=401)


def install_token_check(token: str) -> None:
    """rasa-sdk's `create_app`, from now on, with `require_token` on every app it makes."""
    create_app = rasa_sdk.endpoint.create_app

    def guarded_create_app(*args, **kwargs):
        app = create_app(*args, **kwargs)
        require_token(app, token)
        return app

    rasa_sdk.endpoint.create_app = guarded_create_app


def preflight() -> int:
    """0 when the profile loads, the settings are valid and the bookings store answers; else an
    exit code."""
    found = startup_secrets.problems([startup_secrets.ACTION_SERVER_TOKEN])
    if startup_secrets.is_production() and startup_secrets.CHANNEL_SECRET not in os.environ:
        found.append(f"{startup_secrets.CHANNEL_SECRET} is not set (required in production)")
    if found:
        for problem in found:
            print(f"FATAL: {problem}", file=sys.stderr, flush=True)
        return startup_secrets.EXIT_BAD_SECRET
    try:
        profile = load_profile()
    except ProfileError as error:
        print(f"FATAL: business profile: {error}", file=sys.stderr, flush=True)
        return EXIT_BAD_PROFILE
    try:
        from actions.dialogue.greeting import greet_mode

        greet_mode()
    except ValueError as error:
        print(f"FATAL: {error}", file=sys.stderr, flush=True)
        return EXIT_BAD_SETTING
    try:
        from actions.storage.bookings import store_from_env

        store_from_env()
    except Exception as error:  # any driver error: say which and stop
        reason = scrub(str(getattr(error, "orig", error)).splitlines()[0])
        print(f"FATAL: bookings database (BOOKING_DB_URL): {reason}", file=sys.stderr, flush=True)
        return EXIT_STORE_DOWN
    print(
        f"profile: {profile.name} ({profile.timezone}), {len(profile.services)} services",
        flush=True,
    )
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = create_argument_parser()
    args = parser.parse_args(argv)
    logsafe.install()
    if args.actions is None:
        args.actions = "actions"
    code = preflight()
    if code:
        sys.exit(code)
    install_token_check(os.environ[startup_secrets.ACTION_SERVER_TOKEN].strip())
    # rasa-sdk binds SANIC_HOST, all interfaces unless told: here 127.0.0.1 unless HOST says.
    os.environ.setdefault("SANIC_HOST", os.environ.get("HOST", "").strip() or "127.0.0.1")
    # Import the actions (rasa-sdk would, next) and take all that lives from start-up out of the
    # garbage collector's way: full collections then walk only what requests create, instead of
    # pausing every request to walk the whole start-up heap (connector/rasa_patches/tuning.py
    # does the same for the Rasa server).
    importlib.import_module(args.actions)
    gc.collect()
    gc.freeze()
    main_from_args(args)


if __name__ == "__main__":
    main()
