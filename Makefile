# Senda: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app lti_tool
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint typecheck validate bench translations clean browser worker

# ---------------------------------------------------------------- install
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/pybabel compile -d lti_tool/translations > /dev/null

# ---------------------------------------------------------------- run
# Development server with the built-in demo LMS at http://127.0.0.1:5000/demo
run: install
	@mkdir -p instance
	SENDA_CONFIG=config.dev.toml $(FLASK) db upgrade
	SENDA_CONFIG=config.dev.toml $(FLASK) keys ensure
	SENDA_CONFIG=config.dev.toml $(FLASK) content import
	SENDA_CONFIG=config.dev.toml $(FLASK) demo register
	@echo
	@echo "  Senda is running.  Open http://$(HOST):$(PORT)/demo to launch it from the demo LMS."
	@echo
	SENDA_CONFIG=config.dev.toml $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

# ---------------------------------------------------------------- checks
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

validate: install
	$(FLASK) content validate

# Debian's Chromium for the browser tests (we are root on CI and dev machines).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

test: install browser lint typecheck validate
	$(BIN)/pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_reports

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
