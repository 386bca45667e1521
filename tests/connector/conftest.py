"""The trained model loaded in this process, as Rasa runs it, for the tests that compare our
tuning of Rasa with Rasa's own behaviour (test_graph_runner, test_masked_kernels)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from rasa.core.agent import Agent

import connector.retell.channel  # noqa: F401  (what Rasa imports from credentials.yml: the tuning)
from tests.e2e.servers import PROJECT


@pytest.fixture(scope="session")
def agent(model) -> Iterator[Agent]:
    here = os.getcwd()
    os.chdir(PROJECT)  # the model names its spaCy pipeline relative to the project, as Rasa runs
    try:
        yield Agent.load(str(model))
    finally:
        os.chdir(here)
