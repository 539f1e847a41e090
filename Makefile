# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app app
PORT ?= 5000

.PHONY: install setup run serve test test-sqlite test-postgres lint format bench bench-smoke clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# An unset APP_CONFIG means production (which needs SECRET_KEY and CREDENTIAL_KEYS): the
# development targets choose the development config explicitly; pytest runs with `testing`.
setup run test test-postgres bench bench-smoke: export APP_CONFIG = development

# Create or upgrade the database, insert reference and demo data, deploy bpmn/ if it changed.
setup: install
	$(FLASK) db upgrade
	$(FLASK) seed
	$(FLASK) bpmn deploy

# The mail catcher starts first; the demo applications are queued once it listens and the
# worker delivers their mails. Mail links use PUBLIC_BASE_URL, http://127.0.0.1:PORT unless set.
run: setup
	$(PY) -m app.devserver --port $(PORT) --demo-applications

# Production serving (docs/OPERATIONS.md): gunicorn with WEB_WORKERS web processes and
# TIMER_WORKERS timer workers on DATABASE_URL; needs SECRET_KEY and CREDENTIAL_KEYS in the
# environment. Reference data only: staff accounts are made with `flask admin staff`.
WEB_WORKERS ?= 4
TIMER_WORKERS ?= 2
SERVE_PORT ?= 8000
serve: export APP_CONFIG = production
serve: install
	$(FLASK) db upgrade
	$(FLASK) seed --reference-only
	$(FLASK) bpmn deploy
	$(PY) -m app.serve --web-workers $(WEB_WORKERS) --timer-workers $(TIMER_WORKERS) --port $(SERVE_PORT)

test: setup
	APP_CONFIG=testing $(PY) -m pytest

test-postgres: install
	APP_CONFIG=testing DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test $(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# P1-P5 of docs/PERFORMANCE.md as one table (about 3 minutes on SQLite, 9 with PostgreSQL); with
# DATABASE_URL=postgresql+psycopg://... the same on PostgreSQL plus gunicorn (P5) afterwards.
# Each benchmark makes its own temporary database (or schema); the instance database is untouched.
bench: install
	$(PY) benchmarks/run.py

# The same measurements at tiny sizes (50 vs 200 applications): that it runs, as CI checks.
bench-smoke: install
	$(PY) benchmarks/run.py --smoke

clean:
	rm -rf $(VENV) instance
