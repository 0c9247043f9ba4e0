# Waymark. `make run` and `make test` do all the set-up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo lint format check bench worker beat vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The translations are compiled on every install, so a fresh clone serves them (needs GNU gettext's msgfmt).
install: $(VENV)/.installed
	$(BIN)/django-admin compilemessages --ignore=.venv --ignore=node_modules --verbosity 0

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo
	@echo ""
	@echo "  Waymark is at http://$(HOST):$(PORT)/   (log in as demo / waymark-demo)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-looking-secret-value-for-checks ALLOWED_HOSTS=waymark.example.com \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

worker: install
	$(BIN)/celery -A config worker --loglevel=INFO

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO

bench: install
	$(BIN)/python bench/run.py

# Re-fetch the vendored front-end libraries from the npm registry (versions in static/vendor/VERSIONS.md).
vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
