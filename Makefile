# Senda: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app lti_tool
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install lint typecheck validate bench translations messages clean browser nginx worker audit load soak mutate

# ---------------------------------------------------------------- install
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

# After changing a user-facing string: the template translators start from, extracted from the
# code (no line numbers, so it changes only when a message does). Translate what is new in
# lti_tool/translations/es/LC_MESSAGES/messages.po; `make test` checks both against the code.
messages: install
	$(BIN)/pybabel extract -F lti_tool/babel.cfg -k _l -k N_ -k lazy_gettext --no-location \
		-o lti_tool/translations/messages.pot .

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

# Debian's nginx (and openssl) for the production set-up test, tests/integration/test_nginx.py.
nginx:
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl >/dev/null)

# Known vulnerabilities in the pinned set (everything installed in the venv, exact versions),
# from PyPI's advisory data. Fails on any finding. Where this machine cannot reach the service,
# it says so and how many packages it could not check.
audit: install
	@$(BIN)/pip freeze --exclude-editable > $(VENV)/pinned.txt
	@$(BIN)/pip-audit -r $(VENV)/pinned.txt --no-deps --disable-pip -s pypi --progress-spinner off > $(VENV)/audit.txt 2>&1 || (cat $(VENV)/audit.txt; exit 1)
	@if grep -q "could not be audited" $(VENV)/audit.txt; then \
	  echo "pip-audit: no known vulnerability in the packages it could check; $$(grep -c 'could not be audited' $(VENV)/audit.txt) of $$(wc -l < $(VENV)/pinned.txt) could not be checked (PyPI's advisory service is not reachable from this machine)"; \
	else head -1 $(VENV)/audit.txt; fi

# Branch coverage of lti_tool/ and courses/ must stay at or above the floor (README, "Tests").
COVERAGE_FLOOR ?= 88

test: install browser nginx lint typecheck validate audit
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR) $(PYTEST_ARGS)

# Mutation testing (README, "Tests"): mutmut breaks the domain and the grade and launch paths one
# change at a time and runs, for each mutant, the fast tests that reach the changed function
# (config: [tool.mutmut] in pyproject.toml). Slow (tens of minutes), so not part of `make test`.
# Results are kept in mutants/ and re-used: a second run tries only what changed.
MUTATE_CHILDREN ?= 2

mutate: install
	$(BIN)/mutmut run --max-children $(MUTATE_CHILDREN) > $(VENV)/mutmut.log 2>&1 || (tail -40 $(VENV)/mutmut.log; exit 1)
	$(BIN)/python -m tests.support.mutation_report

bench: install
	$(BIN)/python -m tests.bench_launch
	$(BIN)/python -m tests.bench
	$(BIN)/python -m tests.bench_reports

# Through nginx + gunicorn as deploy/ ships them, on loopback, PostgreSQL and Redis
# (SENDA_LOAD_DATABASE_URL, SENDA_LOAD_REDIS_URL): 1,000 complete launches in 60 s, then a 10-minute
# soak with the workers' memory sampled every 30 s. Both stop by themselves; tests/artifacts/load.txt.
load: install nginx
	$(BIN)/python -m tests.load burst

soak: install nginx
	$(BIN)/python -m tests.load soak

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache mutants
