# Two commands: `make run` (serve with demo data on SQLite) and `make test` (the whole suite).
# Both install from the lock files (exact versions and hashes of every package); `make lock`
# refreshes them after a pin in requirements*.txt changed.
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Calendar links and Twilio signatures are computed on it: follow PORT unless set.
export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
# `make run` is for reading logs in a terminal; deployments log JSON (docs/operations.md).
export LOG_FORMAT ?= text
export FLASK_APP := app
export ART35_INSTANCE_PATH ?= $(CURDIR)/instance
# Local development only (`make run`): a random session key kept in the instance folder.
run serve-gunicorn secret-key: export SECRET_KEY_FILE ?= $(ART35_INSTANCE_PATH)/secret_key

RUNTIME_LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
LOCK_INPUTS := requirements.txt requirements-build.txt
DEV_LOCK_INPUTS := $(LOCK_INPUTS) requirements-dev.txt requirements-tools.txt
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Progress without pip's pages of detail: one line per package, and pip's errors.
PIP_PROGRESS := sed -un -e 's/^Collecting \([^ ]*\).*/  \1/p' -e 's/^Successfully installed.*/  done/p' \
  -e '/^ERROR/p' -e '/^  *×/,$$p'

.PHONY: run test lint typecheck lock serve-gunicorn clean python venv runtime dev port-free secret-key

# --- the two commands -------------------------------------------------------------------------

run: python port-free runtime secret-key
	@echo "==> migrating the database"
	@$(BIN)/art35 db upgrade
	@echo "==> demo data (only into an empty database)"
	@$(BIN)/art35 demo load --skip-if-data
	@echo "==> one pass of the background work (reminders, digest: kept in the outbox without MAIL_SERVER)"
	@$(BIN)/art35 worker --once
	@echo "==> serving $(PUBLIC_BASE_URL) (Ctrl-C stops)"
	@$(BIN)/art35 run --host $(HOST) --port $(PORT)

test: python dev
	$(BIN)/python -m pytest

# A random SECRET_KEY for local development, made once, readable only by its owner.
secret-key: python
	@test -s $(SECRET_KEY_FILE) || { mkdir -p $(dir $(SECRET_KEY_FILE)) && umask 077 && \
	  $(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $(SECRET_KEY_FILE); }

# --- environments -----------------------------------------------------------------------------

python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "Art35 needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1 || echo missing) (try: make PYTHON=python3.12 $(MAKECMDGOALS))" >&2; \
	  exit 1; }

# A .venv that is missing, half-made or built by another Python is recreated, never trusted.
venv: python
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	  echo "==> creating $(VENV)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi

runtime: venv
	@$(MAKE) --no-print-directory $(VENV)/.runtime-installed

dev: venv
	@$(MAKE) --no-print-directory $(VENV)/.dev-installed

$(VENV)/.runtime-installed: $(RUNTIME_LOCK) pyproject.toml
	@echo "==> installing the runtime from $(RUNTIME_LOCK)"
	@rm -f $(VENV)/.dev-installed
	@$(PIP) install --require-hashes --no-deps --progress-bar off -r $(RUNTIME_LOCK) 2>&1 | $(PIP_PROGRESS)
	@$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $@

$(VENV)/.dev-installed: $(DEV_LOCK) pyproject.toml
	@echo "==> installing the runtime and the test tools from $(DEV_LOCK)"
	@$(PIP) install --require-hashes --no-deps --progress-bar off -r $(DEV_LOCK) 2>&1 | $(PIP_PROGRESS)
	@$(PIP) install -q --no-deps --no-build-isolation -e .
	@touch $@ $(VENV)/.runtime-installed

# Fails at once, before the demo token is printed, when something already listens on PORT.
port-free: python
	@$(PYTHON) -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2])))' $(HOST) $(PORT) 2>/dev/null || { \
	  echo "port $(PORT) on $(HOST) is busy: stop what uses it or choose another (make run PORT=5001)" >&2; exit 1; }

# --- maintenance ------------------------------------------------------------------------------

# Refresh the lock files from requirements*.txt (needs the package index; about 5 s).
lock: venv
	@test -x $(BIN)/uv || $(PIP) install -q "$$(grep '^uv==' requirements-tools.txt)"
	$(BIN)/uv pip compile -q --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -o $(RUNTIME_LOCK) $(LOCK_INPUTS)
	$(BIN)/uv pip compile -q --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -c $(RUNTIME_LOCK) -o $(DEV_LOCK) $(DEV_LOCK_INPUTS)

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy

serve-gunicorn: runtime secret-key
	$(BIN)/art35 db upgrade
	$(BIN)/art35 serve

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis .mypy_cache
