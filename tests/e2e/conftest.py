"""One real action server + Rasa server pair for every end-to-end test of the session."""

from __future__ import annotations

import uuid

import pytest

from connector.retell.simulator import SimulatedCall
from tests.e2e.servers import MODEL, Assistant, serving, sqlite_env
from tests.e2e.turn_rule import check_turn

# A fixed "now" (business-local): Tuesday, December 1st 2026, 9 AM.
NOW = "2026-12-01T09:00"


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    workdir = tmp_path_factory.mktemp("assistant")
    running = Assistant(workdir, sqlite_env(workdir, ASSISTANT_NOW=NOW))
    with serving(running):
        yield running


@pytest.fixture
def caller() -> str:
    """A fresh conversation id per test."""
    return f"caller-{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def socket_turns_obey_the_turn_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every agent turn a socket test reads (`SimulatedCall.greeting`, and `response`, through
    which `say` and `remind` go) must obey the turn rule, as `Assistant.say` does over REST.
    The simulator itself stays a neutral tool: the rule is the tests' harness, not the product."""
    send_line, response, greeting = (
        SimulatedCall.send_line,
        SimulatedCall.response,
        SimulatedCall.greeting,
    )

    async def checked_send_line(self, text, revise_last=False):
        rid = await send_line(self, text, revise_last)
        self.__dict__.setdefault("caller_lines", {})[rid] = text
        return rid

    async def checked_response(self, rid, timeout=30):
        answer = await response(self, rid, timeout)
        line = self.__dict__.get("caller_lines", {}).get(rid, "(a reminder: no caller line)")
        check_turn(answer.text, caller=line)
        return answer

    async def checked_greeting(self, timeout=30):
        answer = await greeting(self, timeout)
        check_turn(answer.text, caller="(the greeting)")
        return answer

    monkeypatch.setattr(SimulatedCall, "send_line", checked_send_line)
    monkeypatch.setattr(SimulatedCall, "response", checked_response)
    monkeypatch.setattr(SimulatedCall, "greeting", checked_greeting)
