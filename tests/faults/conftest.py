"""Fault tests take the `gemini` pair (tests/e2e/pairs.py): the real action server and Rasa server
with the fake Gemini and a channel secret, so answers stream through the relay, as in production.
Tests that kill a server restart it before they end, and the factory starts whatever a failed
test left down before it hands the pair on, so one test's failure does not cascade. A module
that needs other settings (the Postgres one) defines its own `assistant`.
"""

from __future__ import annotations

import pytest

from tests.e2e.pairs import ServerPairs
from tests.e2e.servers import Assistant


@pytest.fixture
def assistant(server_pairs: ServerPairs, request: pytest.FixtureRequest) -> Assistant:
    return server_pairs.get("gemini", request.module.__name__)
