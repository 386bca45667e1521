"""Rasa's own checks of the project: data validation and the dialogue test stories."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.e2e.servers import MODEL, PROJECT, RASA, base_env


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


def test_dialogue_test_stories_pass(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    # `rasa test` exits 0 even when stories fail; --fail-on-prediction-errors makes it exit 1.
    result = rasa(
        "test",
        "core",
        "--stories",
        "tests",
        "--model",
        str(MODEL),
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path / "results"),
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]


def test_the_reporting_run_shows_no_failed_story(tmp_path):
    # Without --fail-on-prediction-errors `rasa test` evaluates every story and writes reports.
    out = tmp_path / "results"
    result = rasa("test", "core", "--stories", "tests", "--model", str(MODEL), "--out", str(out))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    failed = out / "failed_test_stories.yml"
    text = failed.read_text() if failed.exists() else ""
    assert "story:" not in text, text[:6000]
    report = json.loads((out / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0, report["conversation_accuracy"]


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
