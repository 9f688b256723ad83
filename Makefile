# Two commands for a newcomer: `make run` and `make test`. Everything else is a step of those.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on every core (pytest-xdist, a file per worker at a time); 0 runs it in one.
PYTEST_WORKERS ?= auto

.PHONY: run test lint install translations db demo clean chromium axe migrations-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile -D "messages admin flask_security" -d admin_app/translations -f

db: install
	$(BIN)/flask --app admin_app db upgrade

demo: db
	$(BIN)/python manage.py seed-demo
	$(BIN)/python manage.py ensure-demo-admin
	$(BIN)/python manage.py migrations demo-envs

# The panel and its worker (big imports and exports); Ctrl-C stops both.
run: demo
	@echo "Gestão Admin: http://$(HOST):$(PORT)/  (log in with the administrator printed above)"
	$(BIN)/python manage.py worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app admin_app run --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium (never a downloaded browser).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

# axe-core, the accessibility engine the browser tests inject into each page (tests/package.json,
# its lock file; Node.js and npm from Debian when missing).
AXE = tests/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE): tests/package.json tests/package-lock.json
	command -v npm >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	npm ci --prefix tests --no-audit --no-fund --loglevel=error
	touch $(AXE)

# The code's shape first (seconds): style and complexity, the import layering of setup.cfg's
# [importlinter] contracts, no module over 450 lines; then the suite.
lint: $(STAMP)
	$(BIN)/flake8
	$(BIN)/lint-imports --no-cache
	@big=$$(find admin_app -name '*.py' -exec wc -l {} + | awk '$$2 != "total" && $$1 > 450'); \
	if [ -n "$$big" ]; then echo "modules over 450 lines (one job each, please):"; \
	echo "$$big"; exit 1; fi

# `flask db upgrade` then `flask db check` on a new database of each kind, as a developer runs
# them: the migrations must build exactly the models (the stairway, every revision up and
# down on both databases, is in tests/test_migrations.py). PostgreSQL is required in CI.
PG_CHECK_URL ?= postgresql://postgres@127.0.0.1:5432
migrations-check: install
	@set -e; tmp=$$(mktemp -d); \
	echo "flask db check on SQLite"; \
	DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/flask --app admin_app db upgrade 2>/dev/null; \
	DATABASE_URL=sqlite:///$$tmp/check.db $(BIN)/flask --app admin_app db check; \
	rm -rf $$tmp; \
	if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
	  if [ -n "$$CI" ]; then echo "PostgreSQL is required in CI"; exit 1; fi; \
	  echo "flask db check on PostgreSQL: skipped (no server on 127.0.0.1:5432)"; exit 0; fi; \
	name=gestao_check_$$$$; echo "flask db check on PostgreSQL"; \
	psql "$(PG_CHECK_URL)/postgres" -qc "CREATE DATABASE $$name"; \
	trap 'psql "$(PG_CHECK_URL)/postgres" -qc "DROP DATABASE IF EXISTS $$name"' EXIT; \
	DATABASE_URL=$(PG_CHECK_URL)/$$name $(BIN)/flask --app admin_app db upgrade 2>/dev/null; \
	DATABASE_URL=$(PG_CHECK_URL)/$$name $(BIN)/flask --app admin_app db check

test: install chromium axe lint migrations-check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
