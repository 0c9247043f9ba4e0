# Waymark. `make run` and `make test` do all the set-up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate demo lint format check bench worker beat vendor clean

# DEBUG is off unless set: the embedded default (make run, demo, worker, beat) turns it on.
run demo worker beat: export DEBUG ?= 1

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# Development and test tools (pytest, Playwright, schemathesis, ruff …) on top of the runtime.
$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# What a production host needs to run Waymark, nothing more. The translations are compiled on every
# install, so a fresh clone serves them (needs GNU gettext's msgfmt).
install: $(VENV)/.installed
	$(BIN)/django-admin compilemessages --ignore=.venv --ignore=node_modules --verbosity 0

install-dev: install $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo ""
	@echo "  Waymark is at http://$(HOST):$(PORT)/   (log in as demo / waymark-demo)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite runs in one process per core (pytest-xdist); a file's tests stay in one process, so a
# module's expensive fixture is built once. TEST_WORKERS=0 runs it in this process alone.
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install-dev
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-looking-secret-value-for-checks ALLOWED_HOSTS=waymark.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

worker: install
	$(BIN)/celery -A config worker -Q celery,triggers --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

bench: install-dev
	$(BIN)/python bench/run.py

# Re-fetch the vendored front-end libraries from the npm registry (versions in static/vendor/VERSIONS.md).
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
