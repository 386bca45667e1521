"""`booking-rasa`: Rasa's own command line, with the Rasa patches `RASA_PATCHES` selects.

    RASA_PATCHES=all|none|name,name booking-rasa run|train|shell|interactive|test ...

The patches are applied here, before Rasa parses its arguments, so before any model is loaded
(the DIET patch must see the load). One log line on standard error says what is on. A bad
`RASA_PATCHES` stops with exit 2 and the names it accepts.
"""

from __future__ import annotations

import logging
import os
import sys

from connector.rasa_patches import registry

EXIT_BAD_SETTING = 2
# Rasa's own log format: the start-up line reads like the lines around it.
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"


def startup_logger() -> logging.Logger:
    """The registry's logger, printing before Rasa configures logging (and after: it keeps its
    own handler, so Rasa's set-up neither drops nor doubles its lines)."""
    logger = logging.getLogger(registry.__name__)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT, "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def apply_from_environment() -> list[str]:
    """Applies what `RASA_PATCHES` selects and logs the start-up line; exits 2 on a bad value."""
    logger = startup_logger()
    try:
        names = registry.selection(os.environ.get(registry.ENV))
    except ValueError as error:
        print(f"booking-rasa: {error}", file=sys.stderr)
        sys.exit(EXIT_BAD_SETTING)
    on = registry.apply(names)
    logger.info(registry.summary())
    return on


def main(argv: list[str] | None = None) -> None:
    apply_from_environment()
    from rasa.__main__ import main as rasa_main  # after the patches: Rasa loads nothing before

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
