"""`make run`'s script: both servers up in the foreground, and the outbox sender with SMTP_URL;
Ctrl-C stops them all, and one stopping stops the others."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from actions.store import BookingStore
from tests.actions.smtp_server import SmtpServer
from tests.e2e.servers import REPO, base_env, free_port, tail, wait_for_port


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
    env.pop("SMTP_URL", None)
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
        assert "confirmation mails stay in the outbox" in (tmp_path / "run.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()


def start_run(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, int, int]:
    action_port, rasa_port = free_port(), free_port()
    env = base_env(ACTION_PORT=str(action_port), RASA_PORT=str(rasa_port),
                   BOOKING_DB_URL=f"sqlite:///{tmp_path / 'bookings.db'}",
                   TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
                   SMTP_FROM="bookings@bella.example", OUTBOX_POLL_SECONDS="0.2", **extra)  # fmt: skip
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen([str(REPO / "scripts" / "run")], cwd=REPO, env=env, stdout=log,
                               stderr=subprocess.STDOUT)  # fmt: skip
    return process, action_port, rasa_port


def test_run_script_starts_the_outbox_sender_with_smtp_url(tmp_path):
    with SmtpServer() as smtp:
        process, action_port, rasa_port = start_run(
            tmp_path, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}"
        )
        try:
            wait_for_port(action_port, process, 60, tmp_path / "run.log")  # the database exists
            store = BookingStore(f"sqlite:///{tmp_path / 'bookings.db'}")
            start = datetime(2030, 7, 2, 14, 0, tzinfo=timezone.utc)
            store.book(reference="run", name="Jane Doe", email="jane@example.com", phone=None,
                       service="Haircut", start=start, end=start + timedelta(minutes=30),
                       slot_minutes=15, capacity=1)  # fmt: skip
            store.dispose()
            received = smtp.recorder.wait_for(1, timeout=60)
            assert [r.rcpt_tos for r in received] == [("jane@example.com",)], tail(
                tmp_path / "run.log"
            )
            os.kill(process.pid, signal.SIGINT)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    log = (tmp_path / "run.log").read_text()
    assert "outbox sender: smtp://127.0.0.1" in log and "stopped" in log
    assert not is_listening(action_port) and not is_listening(rasa_port)


def test_a_bad_smtp_url_stops_everything(tmp_path):
    process, action_port, rasa_port = start_run(tmp_path, SMTP_URL="http://mail.example.com")
    try:
        assert process.wait(timeout=120) == 2
    finally:
        if process.poll() is None:
            process.kill()
    log = (tmp_path / "run.log").read_text()
    assert "FATAL: SMTP_URL: expected the scheme" in log and "stopping the others" in log
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(map(is_listening, (action_port, rasa_port))):
        time.sleep(0.2)
    assert not is_listening(action_port) and not is_listening(rasa_port)
