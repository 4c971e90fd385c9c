# 一网 Yiwang — everything a new machine needs is behind two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?= -n auto  # pytest-xdist: one worker per CPU (each with its own test database)
# Development runs with DEBUG on (dev-only keys); see .env.example for production settings.
DEV_ENV := DEBUG=1
# The lint gates need settings that load, nothing more.
LINT_ENV := DEBUG=1 DATABASE_URL=sqlite:///$(CURDIR)/var/lint.sqlite3

.PHONY: run test lint bench test-sqlite test-postgres install install-dev openapi clean help

help:
	@echo "make run    — install, migrate, load the demo region, start web + worker on http://$(HOST):$(PORT)/"
	@echo "make test   — lint gates + the test suite on SQLite and on a throw-away PostgreSQL"
	@echo "make lint | test-sqlite | test-postgres | bench | openapi | clean"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

run: install
	@mkdir -p var
	@$(DEV_ENV) $(BIN)/yiwang migrate --noinput -v0
	@$(DEV_ENV) $(BIN)/yiwang demo load
	@echo ""
	@echo "门户   http://$(HOST):$(PORT)/"
	@echo "工作台 http://$(HOST):$(PORT)/workbench/   （用上面的演示账号登录）"
	@echo "接口   http://$(HOST):$(PORT)/api/v1/docs"
	@echo ""
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEV_ENV) $(BIN)/yiwang worker & worker=$$!; \
	  $(DEV_ENV) $(BIN)/yiwang serve --host $(HOST) --port $(PORT)

lint: install-dev
	@mkdir -p var
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(LINT_ENV) $(BIN)/mypy src
	$(LINT_ENV) $(BIN)/yiwang check --fail-level WARNING
	$(LINT_ENV) $(BIN)/yiwang makemigrations --check --dry-run
	$(LINT_ENV) $(BIN)/yiwang openapi --check

test-sqlite: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install-dev
	$(BIN)/python tools/with_postgres.py $(BIN)/pytest $(PYTEST_ARGS)

test: lint test-sqlite test-postgres

bench: install-dev
	$(BIN)/python bench/run.py

openapi: install-dev
	$(LINT_ENV) $(BIN)/yiwang openapi --write

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
