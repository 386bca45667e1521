"""The trained model loaded in this process, as Rasa runs it, for the tests that compare our
patches of Rasa with Rasa's own behaviour (test_graph_runner, test_masked_kernels)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from rasa.core.agent import Agent

from connector.rasa_patches import registry
from tests.e2e.servers import PROJECT

# Every patch on in this process, as `booking-rasa` runs Rasa by default: before any model is
# loaded here (the DIET patch must see the load). The tests compare with Rasa's own functions,
# which the patch modules keep.
registry.apply(registry.NAMES)


@pytest.fixture(scope="session")
def agent(model) -> Iterator[Agent]:
    here = os.getcwd()
    os.chdir(PROJECT)  # the model names its spaCy pipeline relative to the project, as Rasa runs
    try:
        yield Agent.load(str(model))
    finally:
        os.chdir(here)
