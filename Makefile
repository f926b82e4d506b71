# Two commands matter: `make demo` and `make test` (see README). Everything installs into .venv in the repo root.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
CONSTRAINTS := constraints.txt

.PHONY: demo test install install-dev lint typecheck unit integration bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip>=24"

install: $(BIN)/python
	$(PIP) install --quiet -c $(CONSTRAINTS) -e .

install-dev: $(BIN)/python
	$(PIP) install --quiet -c $(CONSTRAINTS) -e ".[dev]"

demo: install
	$(BIN)/aftersales demo

lint: install-dev
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

typecheck: install-dev
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

unit: install-dev
	$(BIN)/pytest tests/unit

integration: install-dev
	$(BIN)/pytest tests/integration

bench: install-dev
	$(BIN)/python benchmarks/ingest.py

# Refresh the constraints file from the current dev environment (commit the result).
lock: install-dev
	$(PIP) freeze --exclude-editable | grep -v '^aftersales' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build src/*.egg-info
