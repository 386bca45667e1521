"""NLU, measured: the held-out lines never overlap training, and intent accuracy >= 97 %."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.e2e.servers import MODEL, PROJECT, RASA, REPO, base_env

HELDOUT = REPO / "data" / "eval" / "nlu_heldout.yml"
TARGET = 0.97


def normalise(line: str) -> str:
    line = re.sub(r"[^\w\s'@]", " ", line.lower())
    return " ".join(line.split())


def examples(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block in yaml.safe_load(path.read_text()).get("nlu", []):
        if "intent" in block:
            lines = [
                line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")
            ]
            found.setdefault(block["intent"], []).extend(lines)
    return found


def training() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in sorted((PROJECT / "data" / "nlu").glob("*.yml")):
        for intent, lines in examples(path).items():
            merged.setdefault(intent, []).extend(lines)
    return merged


def test_heldout_lines_are_not_in_training_data_and_every_intent_has_enough():
    train, heldout = training(), examples(HELDOUT)
    seen = {normalise(line) for lines in train.values() for line in lines}
    overlap = [line for lines in heldout.values() for line in lines if normalise(line) in seen]
    assert not overlap, f"held-out lines also in the training data: {overlap}"
    duplicates = [
        line
        for line, n in Counter(normalise(line) for ls in train.values() for line in ls).items()
        if n > 1
    ]
    assert not duplicates, f"training lines given twice: {duplicates}"
    intents = yaml.safe_load((PROJECT / "domain.yml").read_text())["intents"]
    short = {i: len(train.get(i, [])) for i in intents if len(train.get(i, [])) < 30}
    assert not short, f"intents with fewer than 30 training examples: {short}"
    thin = {i: len(heldout.get(i, [])) for i in intents if len(heldout.get(i, [])) < 40}
    assert not thin, f"intents with fewer than 40 held-out lines: {thin}"


def test_intent_accuracy_on_heldout_is_at_least_97_percent(tmp_path, capsys):
    model = Path(os.environ.get("NLU_TEST_MODEL", MODEL))
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run the tests with `make test`")
    out = tmp_path / "nlu"
    result = subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            str(HELDOUT),
            "--model",
            str(model),
            "--out",
            str(out),
        ],
        cwd=PROJECT,
        env=base_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "intent_report.json").read_text())
    errors = (
        json.loads((out / "intent_errors.json").read_text())
        if (out / "intent_errors.json").exists()
        else []
    )
    # An nlu_fallback prediction is a miss: rasa counts it against the true intent already.
    accuracy = report["accuracy"]
    worst = sorted(
        (k, v["f1-score"])
        for k, v in report.items()
        if isinstance(v, dict)
        and "f1-score" in v
        and k not in ("macro avg", "weighted avg", "micro avg")
    )
    worst = sorted(worst, key=lambda kv: kv[1])[:4]
    missed = [f"{e['text']!r}: {e['intent']} -> {e['intent_prediction']['name']}" for e in errors]
    with capsys.disabled():
        print(
            f"\nNLU held-out intent accuracy: {accuracy:.1%} (target >= {TARGET:.0%}); "
            f"lowest f1: {', '.join(f'{k} {v:.2f}' for k, v in worst)}"
        )
        for line in missed:
            print(f"  missed {line}")
    assert accuracy >= TARGET, "\n".join(missed)
