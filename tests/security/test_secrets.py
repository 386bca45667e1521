"""Secrets at start-up: a missing, blank or (in production) short secret stops
every entry point with exit 2 and a message naming it, before anything is served; generated
development secrets go to a 0600 file under var/, and only its path is printed."""

from __future__ import annotations

import stat
import subprocess

import pytest

from common import startup_secrets
from tests.e2e.servers import BIN, MODEL, PROJECT, RASA, REPO, base_env, free_port
from tests.e2e.test_make_run import is_listening

LONG = "x" * 40


def run_script(tmp_path, **env: str | None) -> tuple[subprocess.CompletedProcess, int, int]:
    action_port, rasa_port = free_port(), free_port()
    environment = base_env(
        ACTION_PORT=str(action_port),
        RASA_PORT=str(rasa_port),
        BOOKING_DB_URL=f"sqlite:///{tmp_path / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
    )
    for key, value in env.items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    result = subprocess.run(
        [str(REPO / "scripts" / "run")],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, action_port, rasa_port


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RETELL_WS_SECRET": " "}, "FATAL: RETELL_WS_SECRET is blank"),
        ({"RETELL_WS_SECRET": "short-secret"}, "FATAL: RETELL_WS_SECRET is shorter than 16"),
        ({"ACTION_SERVER_TOKEN": None}, "FATAL: ACTION_SERVER_TOKEN is not set"),
        ({"ACTION_SERVER_TOKEN": "\t"}, "FATAL: ACTION_SERVER_TOKEN is blank"),
        ({"ACTION_SERVER_TOKEN": "abc123"}, "FATAL: ACTION_SERVER_TOKEN is shorter than 16"),
        ({"CHANNEL_SECRET": "  "}, "FATAL: CHANNEL_SECRET is blank"),
    ],
    ids=[
        "blank socket secret",
        "short socket secret",
        "no token",
        "blank token",
        "short token",
        "blank channel secret",
    ],
)
def test_production_refuses_a_bad_secret_and_serves_nothing(tmp_path, env, message):
    settings = {"RETELL_WS_SECRET": LONG, "ACTION_SERVER_TOKEN": LONG, **env}
    result, action_port, rasa_port = run_script(tmp_path, PRODUCTION="1", **settings)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not is_listening(action_port) and not is_listening(rasa_port)
    assert "starting:" not in result.stdout
    for value in settings.values():
        if value and value.strip():
            assert value not in result.stdout + result.stderr


def test_development_refuses_a_blank_secret_too(tmp_path):
    result, action_port, rasa_port = run_script(tmp_path, CHANNEL_SECRET=" ")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "FATAL: CHANNEL_SECRET is blank" in result.stderr
    assert not is_listening(action_port) and not is_listening(rasa_port)


def test_the_action_server_itself_refuses_a_bad_token(tmp_path):
    for token, production, message in (
        (None, "0", "ACTION_SERVER_TOKEN is not set"),
        (" ", "0", "ACTION_SERVER_TOKEN is blank"),
        ("only-15-chars!!", "1", "ACTION_SERVER_TOKEN is shorter than 16"),
    ):
        port = free_port()
        env = base_env(PRODUCTION=production, CHANNEL_SECRET=LONG)
        env.pop("ACTION_SERVER_TOKEN")
        if token is not None:
            env["ACTION_SERVER_TOKEN"] = token
        result = subprocess.run(
            [str(BIN / "python"), "-m", "actions.server", "--port", str(port)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, result.stdout + result.stderr
        assert f"FATAL: {message}" in result.stderr
        assert not is_listening(port)


def test_rasa_itself_refuses_a_blank_socket_secret_in_production(tmp_path):
    """`rasa run` started by hand (not through scripts/run) stops at its Retell channel."""
    port = free_port()
    result = subprocess.run(
        [
            str(RASA),
            "run",
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--credentials",
            "credentials.production.yml",
            "--endpoints",
            "endpoints.yml",
            "--model",
            str(MODEL),
        ],
        cwd=PROJECT,
        env=base_env(
            PRODUCTION="1",
            RETELL_WS_SECRET=" ",
            CHANNEL_SECRET=LONG,
            ACTION_SERVER_TOKEN=LONG,
            ACTION_ENDPOINT_URL="http://127.0.0.1:1/webhook",
            TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
        ),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 2, (result.stdout + result.stderr)[-3000:]
    assert "FATAL: RETELL_WS_SECRET is blank" in result.stderr
    assert not is_listening(port)


def test_the_checks_themselves():
    check = startup_secrets.problems
    assert check(["ACTION_SERVER_TOKEN"], {}, production=False) == [
        "ACTION_SERVER_TOKEN is not set (the token Rasa sends the action server "
        "(Authorization: Bearer))"
    ]
    assert check([], {"RETELL_WS_SECRET": " \t"}, production=False)[0].startswith(
        "RETELL_WS_SECRET is blank"
    )
    assert check([], {"CHANNEL_SECRET": "a" * 15}, production=False) == []
    assert "shorter than 16" in check([], {"CHANNEL_SECRET": "a" * 15}, production=True)[0]
    assert check([], {"CHANNEL_SECRET": "a" * 16}, production=True) == []
    assert check([], {"CHANNEL_SECRET": " " + "a" * 15 + " "}, production=True) != []
    assert startup_secrets.is_production({"PRODUCTION": "1"})
    assert not startup_secrets.is_production({})


def test_generated_development_secrets_go_to_a_private_file(tmp_path):
    """scripts/dev-secrets, as scripts/run uses it: values exported and in var/dev-secrets.env
    (0600); the output names the file and the variables, never a value."""
    script = (
        ". scripts/dev-secrets && dev_secrets ACTION_SERVER_TOKEN RASA_API_TOKEN CHANNEL_SECRET"
        ' && printf "%s\\n%s\\n%s\\n" "$ACTION_SERVER_TOKEN" "$RASA_API_TOKEN" "$CHANNEL_SECRET"'
        ' >"$OUT"'
    )
    env = base_env(OUT=str(tmp_path / "values"), CHANNEL_SECRET="kept-as-given-by-the-user")
    env.pop("ACTION_SERVER_TOKEN")
    env.pop("RASA_API_TOKEN")
    result = subprocess.run(
        ["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    token, api_token, channel = (tmp_path / "values").read_text().split()
    assert len(token) == 64 and len(api_token) == 64 and token != api_token
    assert channel == "kept-as-given-by-the-user"
    secrets_file = REPO / "var" / "dev-secrets.env"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    written = secrets_file.read_text()
    assert f"ACTION_SERVER_TOKEN={token}" in written and f"RASA_API_TOKEN={api_token}" in written
    assert "CHANNEL_SECRET" not in written
    assert "var/dev-secrets.env" in result.stdout
    assert token not in result.stdout + result.stderr
    assert api_token not in result.stdout + result.stderr
