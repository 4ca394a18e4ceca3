# Two commands: `make run` (serve with demo data on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test lint browsers serve-gunicorn clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve-gunicorn: $(VENV)/.installed
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:8000 'app:create_app()'

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
