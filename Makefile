# Repotoire: `make run` serves the platform on http://127.0.0.1:8000, `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

# mypy: the engine, and every app's services, selectors and tasks (django-stubs plugin).
MYPY_APPS := $(wildcard */services.py */services */selectors.py */tasks.py) analysis/providers.py analysis/hooks.py

.PHONY: install run web worker background scheduler test pytest lint format migrate static bench clean-db

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-nodeps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

# Static files for whitenoise (admin, Swagger UI, Redoc, landing page): hashed, compressed copies in var/static.
static: install
	$(PY) manage.py collectstatic --noinput -v0

run: migrate static
	$(PY) manage.py ensure_demo
	$(PY) -m repotoire.run

# One process role each (a host per role in production; `make run` starts them all).
web: static
	$(PY) -m repotoire.run web
worker background scheduler: install
	$(PY) -m repotoire.run $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	REPOTOIRE_ENV=test $(VENV)/bin/mypy analysis/engine $(MYPY_APPS)
	REPOTOIRE_ENV=test $(PY) manage.py makemigrations --check --dry-run
	REPOTOIRE_ENV=test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest: install
	REPOTOIRE_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

test: lint pytest

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) benchmarks/engine_speed.py
