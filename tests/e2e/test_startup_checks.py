"""The servers refuse to start in a state that would lose or garble calls."""

from __future__ import annotations

import subprocess
import time

from tests.e2e.servers import BIN, MODEL, PROJECT, RASA, REPO, base_env, free_port


def test_rasa_exits_with_a_clear_message_when_the_tracker_store_is_unreachable(tmp_path):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: connector.tracker_store.StrictSQLTrackerStore\n")
    env = base_env(
        TRACKER_STORE_URL="postgresql://rasa:s3cret@127.0.0.1:1/rasa",
        TRACKER_STORE_WAIT_SECONDS="1",
    )
    started = time.monotonic()
    result = subprocess.run(
        [
            str(RASA),
            "run",
            "--port",
            str(free_port()),
            "--interface",
            "127.0.0.1",
            "--endpoints",
            str(endpoints),
            "--model",
            str(MODEL),
        ],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert "cannot use the tracker store at postgresql://rasa:***@127.0.0.1:1/rasa" in output
    assert "s3cret" not in output
    assert time.monotonic() - started < 200


def test_action_server_refuses_a_broken_business_profile(tmp_path):
    broken = tmp_path / "business.yml"
    source = (REPO / "data" / "business.yml").read_text()
    broken.write_text(source.replace("slot_minutes: 15", "slot_minutes: 7"))
    assert broken.read_text() != source, "the default profile changed: update this test"
    result = subprocess.run(
        [str(BIN / "python"), "-m", "actions.server", "--port", str(free_port())],
        cwd=REPO,
        env=base_env(BUSINESS_PROFILE=str(broken)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "slot_minutes" in result.stderr


def test_action_server_refuses_an_unknown_greeting_setting(tmp_path):
    result = subprocess.run(
        [str(BIN / "python"), "-m", "actions.server", "--port", str(free_port())],
        cwd=REPO,
        env=base_env(
            GREET_KNOWN_CALLER="full_name", BOOKING_DB_URL=f"sqlite:///{tmp_path / 'b.db'}"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "GREET_KNOWN_CALLER: expected one of plain, first_name, got 'full_name'" in (
        result.stderr
    )
