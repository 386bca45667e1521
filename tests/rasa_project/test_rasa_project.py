"""Rasa's own checks of the project: data validation and the dialogue test stories."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

from tests.e2e.servers import PROJECT, RASA, base_env


class StoryRun(NamedTuple):
    result: subprocess.CompletedProcess
    out: Path


def rasa(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RASA), *args],
        cwd=PROJECT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_training_data_domain_and_config_validate_without_warnings():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


@pytest.fixture(scope="module")
def story_run(model: Path, tmp_path_factory: pytest.TempPathFactory) -> StoryRun:
    """One `rasa test core` on the test stories (rasa_project/tests/), its reports under `out`:
    every assertion on the stories reads this run. It goes without --fail-on-prediction-errors,
    which stops at the first wrong prediction and writes no report; this run evaluates every
    story, and a story with a wrong prediction (intent, entity or action) is a failed story in
    the reports, which the tests below refuse. (`rasa test` exits 0 even when stories fail.)"""
    out = tmp_path_factory.mktemp("rasa-test-core")
    result = rasa("test", "core", "--stories", "tests", "--model", str(model), "--out", str(out))
    return StoryRun(result, out)


def test_rasa_test_core_runs(story_run: StoryRun):
    result = story_run.result
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]


def test_no_test_story_fails(story_run: StoryRun):
    failed = story_run.out / "failed_test_stories.yml"
    text = failed.read_text() if failed.exists() else ""
    assert "story:" not in text, text[:6000]
    report = json.loads((story_run.out / "story_report.json").read_text())
    accuracy = report["conversation_accuracy"]
    assert accuracy["accuracy"] == 1.0, accuracy
    stories = sum(
        len(yaml.safe_load(path.read_text()).get("stories", []))
        for path in (PROJECT / "tests").glob("test_*.yml")
    )
    assert accuracy["total"] == stories, accuracy  # every story was evaluated


def test_every_story_in_the_checklist_exists():
    names = set()
    for path in (PROJECT / "tests").glob("test_*.yml"):
        names |= {s["story"] for s in yaml.safe_load(path.read_text()).get("stories", [])}
    checklist = (PROJECT / "tests" / "CHECKLIST.md").read_text()
    listed = set()
    for row in checklist.splitlines():
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 3 and cells[2] and not cells[2].startswith(("test stories", "---", "—")):
            listed.add(cells[2])
    assert listed, "the checklist lists no story"
    assert listed <= names, f"stories in the checklist but not in tests/: {listed - names}"
    assert names <= listed, f"stories not in the checklist: {names - listed}"
