"""Rasa's own checks of the project: data validation and the dialogue test stories."""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.servers import BIN, MODEL, PROJECT, base_env


def rasa(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "rasa"), *args], cwd=PROJECT, env=base_env(), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip


def test_training_data_domain_and_config_validate_without_warnings():
    result = rasa("data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def test_dialogue_test_stories_pass(tmp_path):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run the tests with `make test`")
    # `rasa test` exits 0 even when stories fail; --fail-on-prediction-errors makes it exit 1.
    result = rasa(
        "test", "core", "--stories", "tests", "--model", str(MODEL),
        "--fail-on-prediction-errors", "--out", str(tmp_path / "results"),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
