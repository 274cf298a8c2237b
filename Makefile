# HMIS: every target uses the virtual environment in .venv (made by `make venv`); nothing needs activating.
SHELL := /bin/bash
# The venv's interpreter: Debian's python3.11 when present (built with PGO and LTO, it runs this project's
# requests about a third faster than a plain source build such as pyenv's; BENCHMARKS.md), else python3.
PYTHON_BIN ?= $(firstword $(wildcard /usr/bin/python3.11) python3)
VENV := .venv
PY := $(VENV)/bin/python
REPLICAS ?= 2
export REPLICAS

.PHONY: venv services stop status migrate seed run test test-unit browser prometheus lint format bench clean-stack \
	backup restore failover-drill api-client

venv: $(VENV)/.installed

# requirements/: base (what the image installs), test (+ the suite's tools), dev (+ linters and honcho).
$(VENV)/.installed: requirements/base.txt requirements/test.txt requirements/dev.txt
	test -x $(PY) || $(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@

# Development targets run with DEBUG on (plain http, the development key); deployments leave it off.
migrate seed run status: export DJANGO_DEBUG ?= true

services:
	stack/stack.sh up

stop:
	stack/stack.sh down

status: venv
	stack/stack.sh status
	$(PY) manage.py replication_status

migrate: venv services
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# Everything in the foreground: Ctrl-C stops web, worker and beat (the database servers keep running;
# `make stop` stops them). They connect as the app role (core/db_roles.py); migrate and seed as the owner.
# People see the hospital as deployed: DEBUG off (the styled 403/404/500 pages, never Django's debug pages
# and URL list), plain http on 127.0.0.1, a secret key of this checkout's own (.stack/secret-key), static
# files collected. `make run RUN_DEBUG=true` brings Django's debug pages back for a developer.
RUN_DEBUG ?= false
run: seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	test -s .stack/secret-key || $(PY) -c "import secrets; print(secrets.token_urlsafe(64))" > .stack/secret-key
	DJANGO_DEBUG=$(RUN_DEBUG) DJANGO_SECURE=false DJANGO_SECRET_KEY="$$(cat .stack/secret-key)" \
	  DATABASE_USER=$${DATABASE_USER:-hmis_app} $(VENV)/bin/honcho start -f Procfile

# The whole suite against the real stack: a Patroni cluster (primary + two standbys, one synchronous; etcd;
# pgBackRest), Redis, a Celery worker, and the browser tests in Debian's Chromium.
# The suite expects node 1 to lead (the standby aliases are nodes 2 and 3): after a failover, switch back.
test: venv browser prometheus
	REPLICAS=2 stack/stack.sh up
	stack/stack.sh switchover 1
	$(PY) -m pytest $(PYTEST_ARGS)

# The fast lane: the tests that need no server (no database, Redis or worker); seconds, no stack.
test-unit: venv
	$(PY) -m pytest -m "not stack" $(PYTEST_ARGS)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download): installed when
# missing and we are root; otherwise the browser tests are skipped with a note saying how to install it.
browser:
	@test -x /usr/bin/chromium || test "$$(id -u)" != 0 || { \
	  export DEBIAN_FRONTEND=noninteractive; apt-get install -y -qq chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; }

# Debian's prometheus package (promtool for the alert rules' unit tests, prometheus for the real scrape test
# and `stack/stack.sh prometheus`): installed when missing and we are root; otherwise those tests are skipped.
prometheus:
	@command -v promtool >/dev/null || test "$$(id -u)" != 0 || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }; }

# The read side at hospital scale (BENCHMARKS.md): generates the data when missing (about 5 min), then
# about 20 min of measurements with gunicorn on production settings and a real worker.
bench: venv
	stack/stack.sh up
	command -v wrk >/dev/null || (test "$$(id -u)" = 0 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	$(PY) bench/run.py $(BENCH_ARGS)

# A typed Python client of the API (openapi-python-client) in .stack/api-client/hmis_client, generated from
# the schema; the generator (and the client's httpx, attrs) live in their own venv under .stack/tools, made
# once by tests/support/api_client.py (pydantic 2 stays out of the project's venv). No server needed.
api-client: venv
	mkdir -p .stack/api-client
	$(PY) manage.py spectacular --format openapi-json --file .stack/api-client/schema.json
	DJANGO_SETTINGS_MODULE=hmis.settings.base $(PY) -c "import django; django.setup(); \
	  from pathlib import Path; from tests.support import api_client; \
	  api_client.generate(Path('.stack/api-client/schema.json'), Path('.stack/api-client'))"
	@echo "import it with PYTHONPATH=.stack/api-client .stack/tools/openapi-client/bin/python"

# ruff (lint and format) and import-linter (the layers of ../shared/DESIGN.md; contracts in .importlinter).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-stack:
	stack/stack.sh destroy

# pgBackRest: a backup of the primary now (TYPE=full|incr|diff; incr becomes full when there is none yet).
TYPE ?= incr
backup:
	stack/stack.sh backup $(TYPE)

# Point-in-time restore into a separate cluster on PG_RESTORE_PORT (never over the running one):
#   make restore TARGET_TIME="2026-12-01 10:15:00+00" [REPLACE=1]   (TARGET_TIME=immediate: the last backup)
restore:
	@test -n "$(TARGET_TIME)" || { echo 'make restore TARGET_TIME="2026-12-01 10:15:00+00"'; exit 2; }
	stack/stack.sh restore "$(TARGET_TIME)" $(if $(REPLACE),--replace)

# Failover drills under write load (BENCHMARKS.md "Failover"): RPO, RTO, failed requests, reads, sync vs
# async write latency; DRILL_ARGS="--restore" also times a point-in-time restore of the data set.
failover-drill: venv
	REPLICAS=2 stack/stack.sh up
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	$(PY) bench/failover_drill.py $(DRILL_ARGS)
