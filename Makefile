# Two commands do everything on a fresh machine: `make run` and `make test`.
# Each finds a Python 3.10, creates .venv, installs the project, builds the blank spaCy
# pipeline and (re)trains the model only when its inputs changed.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Rasa's CLI with the Rasa patches RASA_PATCHES selects (all by default; docs/rasa-patches.md).
RASA := $(CURDIR)/$(VENV)/bin/booking-rasa
STAMP := $(VENV)/.installed
SPACY := var/spacy/en_blank/config.cfg
PROJECT := rasa_project

export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
# Training progress bars flood logs (CI's included).
export TQDM_DISABLE := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning,ignore::FutureWarning
export ACTION_PORT ?= 5055
export RASA_PORT ?= 5005
# Every development process binds 127.0.0.1 unless HOST says otherwise (`rasa interactive` cannot:
# see docs/configuration.md).
export HOST ?= 127.0.0.1

.PHONY: setup train run test test-stock lint shell interactive validate clean bench bench-relay sweep

$(STAMP): pyproject.toml constraints.txt
	@py=$$(scripts/find-python310) || exit 1; \
	if ! [ -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))'; then \
		echo "creating $(VENV) with $$py"; rm -rf $(VENV); $$py -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

$(SPACY): $(STAMP)
	$(PY) scripts/build_spacy.py var/spacy/en_blank

setup: $(STAMP) $(SPACY)

train: setup
	@$(PY) scripts/train_if_changed.py

run: train
	@scripts/run

test: train
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The end-to-end conversation tests and the dialogue stories again on stock Rasa (no patches):
# the patches change what Rasa costs, not what it does (docs/rasa-patches.md). CI runs it too.
test-stock: train
	RASA_PATCHES=none $(VENV)/bin/pytest tests/e2e tests/rasa_project/test_rasa_project.py $(PYTEST_ARGS)

# ruff (pinned in the dev extras): lint rules and the formatter's layout, both as checks.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Benchmarks print figures and write bench/results/; they are not tests (see docs/benchmarks.md).
bench: train
	$(PY) -m bench.load $(BENCH_ARGS)

bench-relay: train
	$(PY) -m bench.relay $(BENCH_ARGS)

# Unseen names at the name question, every phrasing, on to the read-back: a reporting run, not a
# test (docs/testing.md). SWEEP_ARGS="--limit 100", "--out cases.jsonl".
sweep: train
	$(PY) -m tests.e2e.name_sweep $(SWEEP_ARGS)

# `rasa shell` and `rasa interactive` need the action server; it runs in the background and
# stops when they exit. `rasa interactive` binds all interfaces whatever it is told (Rasa's own
# choice); the action server it calls still binds HOST and asks for its token.
shell: train
	@scripts/with-actions bash -c 'cd $(PROJECT) && $(RASA) shell --interface "$$HOST" --endpoints endpoints.yml -m models'

interactive: train
	@scripts/with-actions bash -c 'cd $(PROJECT) && $(RASA) interactive --endpoints endpoints.yml -m models/booking.tar.gz'

validate: setup
	cd $(PROJECT) && $(RASA) data validate --fail-on-warnings

clean:
	rm -rf $(VENV) var/spacy $(PROJECT)/models $(PROJECT)/.rasa $(PROJECT)/results
