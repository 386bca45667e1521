"""Start-up checks of the secrets both servers read (pure but for `check_or_exit` and the CLI).

Every secret is checked the same way, wherever it is read: present where required, never blank
after stripping (a blank one would silently switch a check off: fail closed instead), and at least
`MIN_PRODUCTION_LENGTH` characters in production (PRODUCTION=1). A bad one stops the process with
a clear message and exit code 2 before anything is served. Messages name the variable, never its
value.

`python -m common.startup_secrets NAME...` checks the environment from a shell script (scripts/run):
the names given are required, the other known secrets are checked when set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

EXIT_BAD_SECRET = 2
MIN_PRODUCTION_LENGTH = 16

ACTION_SERVER_TOKEN = "ACTION_SERVER_TOKEN"
RETELL_WS_SECRET = "RETELL_WS_SECRET"
CHANNEL_SECRET = "CHANNEL_SECRET"
RASA_API_TOKEN = "RASA_API_TOKEN"

# Every secret the code reads, and what it is for (the messages say it).
SECRETS: dict[str, str] = {
    ACTION_SERVER_TOKEN: "the token Rasa sends the action server (Authorization: Bearer)",
    RETELL_WS_SECRET: "the secret in Retell's Custom LLM URL",
    CHANNEL_SECRET: "signs callers' numbers, turn facts and relay requests between the servers",
    RASA_API_TOKEN: "the development HTTP API's token (rasa run --auth-token)",
}


def is_production(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("PRODUCTION", "0").strip() == "1"


def problems(
    required: Iterable[str],
    env: Mapping[str, str] | None = None,
    production: bool | None = None,
) -> list[str]:
    """What is wrong with the secrets: `required` ones must be set; every known one that is set
    must not be blank, and in production must be long enough."""
    env = os.environ if env is None else env
    production = is_production(env) if production is None else production
    required = list(required)
    found = []
    for name in dict.fromkeys([*required, *SECRETS]):
        what = SECRETS.get(name, "a secret")
        value = env.get(name)
        if value is None:
            if name in required:
                found.append(f"{name} is not set ({what})")
        elif not value.strip():
            found.append(f"{name} is blank ({what}): set a real value or unset it")
        elif production and len(value.strip()) < MIN_PRODUCTION_LENGTH:
            found.append(
                f"{name} is shorter than {MIN_PRODUCTION_LENGTH} characters, too short for "
                f"production ({what})"
            )
    return found


def check_or_exit(required: Iterable[str], env: Mapping[str, str] | None = None) -> None:
    """`problems`, each printed as a FATAL line on stderr, then exit 2; nothing when all is well."""
    found = problems(required, env)
    if found:
        for problem in found:
            print(f"FATAL: {problem}", file=sys.stderr, flush=True)
        sys.exit(EXIT_BAD_SECRET)


def main(argv: list[str] | None = None) -> None:
    check_or_exit(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
