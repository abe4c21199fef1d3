# The two commands a new user needs: `make demo` (sample data + the whole pipeline on
# the local target) and `make test` (lint + the whole test suite). Both set up .venv.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
LAKE ?= lake
DATE ?= 2024-03-01
ROWS ?= 5000

.PHONY: demo test test-load bench setup lint format lock airflow dashboard clean

setup:
	@scripts/bootstrap.sh

demo: setup
	$(BIN)/pipeline generate orders --lake $(LAKE) --date $(DATE) --rows $(ROWS) --files 4 --bad-files 1
	$(BIN)/pipeline run orders --lake $(LAKE) --date $(DATE)

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

airflow:
	scripts/airflow.sh

dashboard: setup
	$(BIN)/pipeline dashboard --lake $(LAKE)

test-load: setup
	$(BIN)/pytest -m load tests/reliability/test_backfill_load.py

bench: setup
	$(BIN)/python -m bench.run --sizes 1000000,5000000,20000000

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

lock:
	$(BIN)/uv pip compile requirements.txt --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(LAKE) .airflow build spark-warehouse
