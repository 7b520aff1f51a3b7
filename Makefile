# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint install install-test check-services bench bench-quick messages format

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install -q -r requirements.lock
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.lock
	$(BIN)/pip install -q -r requirements-test.lock
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/daphne -b 127.0.0.1 -p $(PORT) portal.asgi:application

check-services: install-test
	$(BIN)/python scripts/check_services.py

test: check-services
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/python manage.py check --fail-level WARNING

# Benchmarks (never in CI as timings): PostgreSQL and Redis are the real local servers.
bench: install-test
	$(BIN)/python -m bench.run

bench-quick: install-test
	$(BIN)/python -m bench.run --quick

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The project catalogue (locale/) covers the foundation apps; feature apps keep their own
# catalogue in <app>/locale/. French translations of locale/ live in locale/translations/*.py.
MESSAGE_IGNORES := --ignore=.venv --ignore=var --ignore='tests/*' --ignore='bench/*' \
	--ignore='equipment/*' --ignore='chat/*' --ignore='interviews/*' \
	--ignore='ateliers/*' --ignore='templates/ateliers/*' \
	--ignore='templates/equipment/*' --ignore='templates/chat/*' --ignore='templates/interviews/*'
messages: install-test
	DJANGO_SETTINGS_MODULE=portal.settings.dev $(BIN)/python manage.py makemessages -l fr $(MESSAGE_IGNORES) --no-obsolete --no-location
	$(BIN)/python scripts/fill_translations.py locale/fr/LC_MESSAGES/django.po locale/translations/*.py
	msgfmt --check-format -o locale/fr/LC_MESSAGES/django.mo locale/fr/LC_MESSAGES/django.po
