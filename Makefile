# Pathway. Quick start: `make run` serves the app; `make test` runs every test.
# PYTHON picks the interpreter for the virtual environment (3.11 or newer).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
CONSTRAINTS := constraints.txt

.PHONY: run test lint check scenarios bench load typecheck clean help browser vendor-htmx screenshots deploy-tools postgresql

help:
	@echo "make run      install and serve on $(HOST):$(PORT) (HOST and PORT override)"
	@echo "make test     install the test needs, then the gates (make lint), pathway check and every test"
	@echo "make lint     ruff and mypy (strict) over app, tests and benchmarks"
	@echo "make check    check the rule packs (pathway check)"
	@echo "make bench    engine micro-benchmark, hostile requests' CPU, then HTTP against a bare FastAPI floor (wrk; docs/performance.md)"
	@echo "make load     200 users walk cases for 60 s, with SIGKILL restarts and 2 workers (tests/load)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -c $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.test-installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(PIP) install -c $(CONSTRAINTS) -e '.[test,dev]'
	@touch $(VENV)/.run-installed $@

# --dev: a key for the walk cookies is generated in PATHWAY_STATE_DIR (~/.local/state/pathway) unless
# PATHWAY_SECRET_KEY or PATHWAY_KEY_FILE gives one; a deployment gives one (README, Deployment).
run: $(VENV)/.run-installed
	$(BIN)/pathway serve --dev --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium (Playwright's own browser download does not work everywhere).
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium not found: installing Playwright's Chromium instead"; \
		$(BIN)/python -m playwright install chromium; \
	fi

# tests/test_deploy.py checks deploy/nginx-pathway.conf with `nginx -t`: install Debian's nginx when it is
# missing and we are root; otherwise that test fails and says how to install it.
deploy-tools:
	@if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's nginx for the deployment tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; \
	else \
		echo "nginx not found: install it (apt-get install nginx) for tests/test_deploy.py"; \
	fi

# tests/counts start a real PostgreSQL of their own (initdb, pg_ctl under /usr/lib/postgresql/*/bin, as the
# postgres user): install Debian's postgresql when no initdb is found and we are root; otherwise those tests
# fail and say how to install it.
postgresql:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's postgresql for the counts tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	else \
		echo "initdb not found: install PostgreSQL (apt-get install postgresql) for tests/counts"; \
	fi

# The gates come first: ruff (C901 at complexity 25) and mypy --strict over app, tests and benchmarks
# (pyproject.toml), then the rule packs, then pytest (tests/code holds the function-size and import-cycle gates).
test: lint browser deploy-tools postgresql
	$(BIN)/pathway check
	$(BIN)/python -m pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/mypy

typecheck: lint

check: $(VENV)/.run-installed
	$(BIN)/pathway check

scenarios: $(VENV)/.run-installed
	$(BIN)/pathway scenarios

# Refresh the screenshots kept in docs/screenshots (the tests take them into a temporary folder).
screenshots: $(VENV)/.test-installed browser
	PATHWAY_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/browser/test_screenshots.py -q

# The pinned htmx file for PATHWAY_HTMX_LOCAL=true, kept in static/vendor and shipped in the wheel: after
# changing the pinned version (app/web/htmx.py), fetch it with npm, check its hash, and remove the old file.
vendor-htmx: $(VENV)/.run-installed
	$(BIN)/python -m app.web.htmx_vendor static/vendor

$(VENV)/.bench-installed: $(VENV)/.test-installed
	$(PIP) install -c $(CONSTRAINTS) -e '.[test,dev,bench]'
	@touch $@

# The engine figures, hostile requests against valid ones (CPU, in-process), then Pathway against a
# bare FastAPI app over HTTP with wrk (installed from Debian's packages if missing). All run even if
# one misses a budget; any failing fails.
bench: $(VENV)/.bench-installed
	$(BIN)/python benchmarks/bench_engine.py; status=$$?; \
	$(BIN)/python benchmarks/bench_verify.py || status=1; \
	$(BIN)/python benchmarks/bench_hostile.py || status=1; \
	$(BIN)/python benchmarks/bench_http.py || exit 1; exit $$status

# The full load and restart run (200 users, 60 s each); `make test` runs the short one.
load: $(VENV)/.test-installed
	PATHWAY_LOAD=full $(BIN)/python -m pytest tests/load -q -s -p no:cacheprovider

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
