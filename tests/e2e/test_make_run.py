"""`make run`'s script: both servers up in the foreground, and the outbox sender with SMTP_URL;
Ctrl-C stops them all, and one stopping stops the others."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from actions.storage.bookings import BookingStore
from tests.actions.mail.smtp_server import SmtpServer
from tests.e2e.servers import REPO, base_env, free_port, tail, wait_for_port

PROD_SECRET = "prod-secret-of-32-characters-long"


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def start_run(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen, int, int]:
    """`scripts/run` on free ports with its own databases → (process, action port, Rasa port)."""
    action_port, rasa_port = free_port(), free_port()
    env = base_env(
        ACTION_PORT=str(action_port),
        RASA_PORT=str(rasa_port),
        BOOKING_DB_URL=f"sqlite:///{tmp_path / 'bookings.db'}",
        TRACKER_STORE_URL=f"sqlite:///{tmp_path / 'tracker.db'}",
        SMTP_FROM="bookings@bella.example",
        OUTBOX_POLL_SECONDS="0.2",
    )
    env.pop("SMTP_URL", None)  # no mail unless a test asks for it
    env.update(extra)
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [str(REPO / "scripts" / "run")], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    return process, action_port, rasa_port


def test_run_script_serves_rest_and_ctrl_c_stops_both_servers(tmp_path):
    process, action_port, rasa_port = start_run(tmp_path)
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
        # The HTTP API asks for its token (RASA_API_TOKEN; the REST sender is `rest:run-test`).
        tracker = f"http://127.0.0.1:{rasa_port}/conversations/rest:run-test/tracker"
        try:
            urllib.request.urlopen(tracker, timeout=30)
            raise AssertionError("the HTTP API answered without its token")
        except urllib.error.HTTPError as error:
            assert error.code == 401
        token = base_env()["RASA_API_TOKEN"]
        with urllib.request.urlopen(f"{tracker}?token={token}", timeout=30) as response:
            assert json.load(response)["sender_id"] == "rest:run-test"
        assert token not in (tmp_path / "run.log").read_text()

        os.kill(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            is_listening(action_port) or is_listening(rasa_port)
        ):
            time.sleep(0.2)
        assert not is_listening(action_port), "the action server outlived Ctrl-C"
        assert not is_listening(rasa_port), "the Rasa server outlived Ctrl-C"
        assert "confirmation mails stay in the outbox" in (tmp_path / "run.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()


def test_production_mode_needs_the_socket_secret(tmp_path):
    env = base_env(PRODUCTION="1", ACTION_PORT=str(free_port()), RASA_PORT=str(free_port()))
    env.pop("RETELL_WS_SECRET", None)
    result = subprocess.run(
        [str(REPO / "scripts" / "run")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PRODUCTION=1 needs RETELL_WS_SECRET" in result.stderr


def test_production_mode_serves_retell_only(tmp_path):
    import asyncio

    from connector.retell.simulator import SimulatedCall

    process, _, rasa_port = start_run(tmp_path, PRODUCTION="1", RETELL_WS_SECRET=PROD_SECRET)
    try:
        wait_for_port(rasa_port, process, 180, tmp_path / "run.log")
        base = f"http://127.0.0.1:{rasa_port}"
        for path, body in (
            ("/webhooks/rest/webhook", {"sender": "x", "message": "hi"}),
            ("/conversations/x/messages", {"text": "hi", "sender": "user"}),
        ):
            request = urllib.request.Request(
                base + path,
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                urllib.request.urlopen(request, timeout=30)
                raise AssertionError(f"{path} answered in production mode")
            except urllib.error.HTTPError as error:
                assert error.code in (403, 404), (path, error.code)

        async def call() -> str:
            sim = await SimulatedCall(
                f"ws://127.0.0.1:{rasa_port}/webhooks/retell/llm-websocket", token=PROD_SECRET
            ).connect()
            try:
                return (await sim.greeting()).text
            finally:
                await sim.close()

        assert "Bella Hair Studio" in asyncio.run(asyncio.wait_for(call(), 60))
    finally:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def test_run_script_starts_the_outbox_sender_with_smtp_url(tmp_path):
    with SmtpServer() as smtp:
        process, action_port, rasa_port = start_run(
            tmp_path, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}"
        )
        try:
            wait_for_port(action_port, process, 60, tmp_path / "run.log")  # the database exists
            store = BookingStore(f"sqlite:///{tmp_path / 'bookings.db'}")
            start = datetime(2030, 7, 2, 14, 0, tzinfo=timezone.utc)
            store.book(
                reference="run",
                name="Jane Doe",
                email="jane@example.com",
                phone=None,
                service="Haircut",
                start=start,
                end=start + timedelta(minutes=30),
                slot_minutes=15,
                capacity=1,
            )
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
