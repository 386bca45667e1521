"""Build the blank spaCy English pipeline Rasa's SpacyNLP loads by path.

No spaCy model can be downloaded here (models come from outside the package registries), so the
project ships none: a blank English pipeline gives SpacyTokenizer its tokenizer, and DIET learns
from count-vector features. A real `en_core_web_*` package can be swapped in via config.yml.
"""

import sys
from pathlib import Path

import spacy


def main(target: str) -> None:
    path = Path(target)
    nlp = spacy.blank("en")
    path.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(path)
    print(f"blank spaCy English pipeline written to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/spacy/en_blank")
