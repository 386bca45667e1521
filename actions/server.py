"""The action server's entry point: `python -m actions.server` (what `make run` starts).

rasa-sdk's own `rasa run actions` would import the actions and start serving even with a broken
business profile or an unreachable bookings database, and every caller would then hear a failed
turn. This entry point checks both first and stops with a message naming the problem, then hands
over to rasa-sdk's standard server with the same arguments (`--port`, `--actions`, ...).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from actions.booking.profile import ProfileError, load_profile
from common import logsafe
from common.logsafe import scrub

logger = logging.getLogger(__name__)

EXIT_BAD_PROFILE = 2
EXIT_BAD_SETTING = 2  # a setting with an unknown value (GREET_KNOWN_CALLER)
EXIT_STORE_DOWN = 3


def preflight() -> int:
    """0 when the profile loads, the settings are valid and the bookings store answers; else an
    exit code."""
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
