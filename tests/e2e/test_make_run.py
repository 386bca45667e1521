"""`make run`'s script: both servers up in the foreground, Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from tests.e2e.servers import REPO, base_env, free_port, wait_for_port


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_run_script_serves_rest_and_ctrl_c_stops_both_servers(tmp_path):
    action_port, rasa_port = free_port(), free_port()
    env = base_env(
        ACTION_PORT=str(action_port),
        RASA_PORT=str(rasa_port),
        BOOKING_DB_URL=f"sqlite:///{tmp_path / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
    )
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [str(REPO / "scripts" / "run")], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_port(action_port, process, 60, tmp_path / "run.log")
        wait_for_port(rasa_port, process, 180, tmp_path / "run.log")
        request = urllib.request.Request(
            f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
            data=json.dumps({"sender": "run-test", "message": "hi"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            assert "Bella Hair Studio" in json.dumps(json.load(response))

        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (is_listening(action_port) or is_listening(rasa_port)):
            time.sleep(0.2)
        assert not is_listening(action_port), "the action server outlived Ctrl-C"
        assert not is_listening(rasa_port), "the Rasa server outlived Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
