# Protocol Desk. `make run` serves everything embedded; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Two xdist workers match the two cores CI has; override with PYTEST_ARGS="-n 0" to debug.
PYTEST_ARGS ?= -n 2

.PHONY: install messages run test lint format bench soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The Traditional Chinese messages, compiled by Django's compilemessages (GNU gettext's msgfmt).
# Without gettext the pages stay English: .ci/run installs it, as should a deployment.
MO := locale/zh_Hant/LC_MESSAGES/django.mo
MESSAGE_DIRS := --ignore=.venv --ignore=node_modules --ignore=static --ignore=staticfiles \
  --ignore=bench --ignore=tests --ignore=var
$(MO): locale/zh_Hant/LC_MESSAGES/django.po | $(VENV)/.installed
	@if command -v msgfmt >/dev/null 2>&1; then \
	  DEBUG=true $(BIN)/python manage.py compilemessages -l zh_Hant $(MESSAGE_DIRS) -v 0; \
	else echo "msgfmt not found (apt-get install gettext): the pages will be in English only"; fi

install: $(VENV)/.installed $(MO)

# Gather the marked strings into the catalogue after changing them (then translate the new ones).
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages -l zh_Hant --no-obsolete $(MESSAGE_DIRS)

# Local use runs with DEBUG on (a fixed development SECRET_KEY, readable errors).
run: export DEBUG ?= true
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py ensure_admin
	@echo "Protocol Desk on http://$(HOST):$(PORT)/ (back office: /admin/) with a django-q2 worker. Ctrl-C stops both."
	@# The worker runs in the background, where Ctrl-C does not reach it; the web server in the
	@# foreground takes Ctrl-C, and the trap then stops the worker with one TERM (django-q2 can
	@# deadlock when a second signal arrives while it handles the first).
	@$(BIN)/python manage.py qcluster & worker=$$!; \
	  trap 'trap - INT TERM EXIT; kill -TERM $$worker 2>/dev/null; wait $$worker' INT TERM EXIT; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Test-only Node tools, pinned by package-lock: Mozilla's ical.js parses our invites and feeds,
# axe-core checks the pages' accessibility in the browser tests.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: the ical.js and axe-core tests will be skipped"; fi

test: install node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# Not part of `make test`: a mixed load against gunicorn, two qclusters, PostgreSQL and Redis.
SOAK_MINUTES ?= 5
soak: install
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .hypothesis node_modules
