# LogiTrack: `make run` serves the API on embedded defaults, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: help install run test lint migrate seed worker beat broker-required clean bench fuzz

help:
	@echo "make run   - install, migrate, seed demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test  - run the test suite (browser tests too, with /usr/bin/chromium)"
	@echo "make lint  - ruff, migrations check, OpenAPI schema validation, mypy"
	@echo "make fuzz  - Schemathesis against a live server (needs DATABASE_URL, REDIS_URL)"
	@echo "make worker / make beat - a Celery worker / scheduler against REDIS_URL"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# The embedded quickstart runs with DJANGO_DEBUG on unless the environment says otherwise.
run seed migrate worker beat: export DJANGO_DEBUG ?= 1

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_demo

run: seed
	@echo
	@echo "LogiTrack is starting on http://127.0.0.1:$(PORT)"
	@echo "  Start here  http://127.0.0.1:$(PORT)/"
	@echo "  Swagger UI  http://127.0.0.1:$(PORT)/api/docs/"
	@echo "  ReDoc       http://127.0.0.1:$(PORT)/api/redoc/"
	@echo "  Admin       http://127.0.0.1:$(PORT)/admin/"
	@echo "  Demo users  admin / logitrack-admin, dispatcher / logitrack-dispatcher,"
	@echo "              driver1 / logitrack-driver"
	@echo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# A real worker and scheduler need the broker: REDIS_URL (and the same DATABASE_URL as the API).
broker-required: install
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) first." >&2; exit 1; }

worker: broker-required
	$(BIN)/celery -A logitrack worker --loglevel=INFO

beat: broker-required
	$(BIN)/celery -A logitrack beat --loglevel=INFO --schedule $(VENV)/celerybeat-schedule

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(MANAGE) makemigrations --check --dry-run
	DJANGO_DEBUG=1 $(MANAGE) spectacular --validate --fail-on-warn --file /dev/null
	DJANGO_DEBUG=1 $(BIN)/mypy .

# LogiTrack under Gunicorn against a raw psycopg2 + orjson app, with wrk; see bench/run.py.
# Needs DATABASE_URL (PostgreSQL) and REDIS_URL; writes bench/results.json.
bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(BIN)/python bench/run.py

# Schemathesis over every operation of the served schema, signed in as the demo admin and
# as a demo driver, against Gunicorn on a database of its own; see logitrack/fuzz.py.
# Needs DATABASE_URL (PostgreSQL) and REDIS_URL.
fuzz: install
	$(BIN)/python -m logitrack.fuzz

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
