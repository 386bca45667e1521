"""Train the Rasa model only when its inputs changed since the last training.

The fingerprint is a hash of the contents (not the mtimes) of config.yml, domain.yml and every
file under data/, so a fresh clone trains once and a `git checkout` that changes nothing does
not retrain. Rasa's own cache would also skip work, but only after the slow TensorFlow import.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "rasa_project"
MODEL = PROJECT / "models" / "booking.tar.gz"
STAMP = PROJECT / "models" / ".fingerprint"


def fingerprint(project: Path = PROJECT) -> str:
    digest = hashlib.sha256()
    files = [project / "config.yml", project / "domain.yml"]
    files += sorted(p for p in (project / "data").rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(project)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def main() -> int:
    current = fingerprint()
    if MODEL.exists() and STAMP.exists() and STAMP.read_text().strip() == current:
        print(f"model up to date: {MODEL.relative_to(PROJECT.parent)}")
        return 0
    print("training data, domain or config changed: training the model")
    # Rasa's CLI with the patches RASA_PATCHES selects (all by default).
    rasa = Path(sys.executable).with_name("booking-rasa")
    command = [str(rasa), "train", "--fixed-model-name", "booking", "--out", "models"]
    result = subprocess.run(command, cwd=PROJECT, env={**os.environ})
    if result.returncode != 0:
        return result.returncode
    STAMP.write_text(current + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
