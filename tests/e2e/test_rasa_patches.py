"""The Rasa server runs with the patches RASA_PATCHES selects, and says so: the same tests pass
with all of them (the default) and with none (a second CI run; docs/testing.md)."""

from __future__ import annotations

import os
import re
import time

from connector.rasa_patches import registry

SELECTED = registry.selection(os.environ.get(registry.ENV))
HEAP_LINE = re.compile(r"(\d+) objects moved out of the garbage collector's way")


def startup_lines(assistant) -> list[str]:
    log = assistant.log("rasa").read_text(errors="replace")
    return [line for line in log.splitlines() if f"{registry.__name__}  - Rasa " in line]


def test_the_rasa_server_says_in_one_line_which_patches_are_on(assistant):
    lines = startup_lines(assistant)
    assert lines, "no start-up line about the Rasa patches"
    assert len(set(line.split("  - ", 1)[1] for line in lines)) == 1  # one per start, all alike
    said = lines[-1].split("  - ", 1)[1]
    if SELECTED:
        assert f"patches on: {', '.join(SELECTED)}" in said
    else:
        assert "no patches on" in said


def test_the_heap_is_settled_after_the_model_loads_only_with_its_patch(assistant, caller):
    assistant.say(caller, "hello")  # the server has started and answered by now
    if "frozen_heap" not in SELECTED:
        assert not HEAP_LINE.search(assistant.log("rasa").read_text(errors="replace"))
        return
    # Full garbage collections stalled every call for up to 365 ms before (docs/benchmarks.md).
    deadline = time.monotonic() + 30
    while not (found := HEAP_LINE.search(assistant.log("rasa").read_text(errors="replace"))):
        assert time.monotonic() < deadline, "the Rasa server never settled its heap"
        time.sleep(0.2)
    assert int(found.group(1)) > 100_000  # the model, TensorFlow, Rasa
