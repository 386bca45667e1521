"""The end-to-end tests' server pair (the `plain` configuration of pairs.py, unless a module
overrides `assistant`), and the turn rule on the socket."""

from __future__ import annotations

import pytest

from connector.retell.simulator import SimulatedCall
from tests.e2e.pairs import ServerPairs
from tests.e2e.servers import Assistant
from tests.e2e.turn_rule import check_turn


@pytest.fixture
def assistant(server_pairs: ServerPairs, request: pytest.FixtureRequest) -> Assistant:
    return server_pairs.get("plain", request.module.__name__)


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
