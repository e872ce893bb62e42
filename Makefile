# Two commands for a fresh machine with Python 3.11 and make:
#   make run   - set up, migrate, load demo data once, serve GraphiQL on http://127.0.0.1:8000/graphql
#   make test  - set up and run the tests (SQLite always; PostgreSQL+Redis when reachable, required under CI=true)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test setup schema bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "MCS needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/mcs serve --demo-if-empty --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: $(STAMP)
	$(BIN)/mcs export-schema

bench: $(STAMP)
	$(BIN)/python -m bench.core

clean:
	rm -rf $(VENV) var .pytest_cache
