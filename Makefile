# The README's two commands: `make demo` and `make test`. Both create .venv when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test test-fast lint bench install clean migration

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/jiedan demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy jiedan_cli

test: $(TEST_STAMP) lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# The inner loop: what is not PostgreSQL, slow, a server process or schemathesis (≈ the
# suite's logic in a fraction of its time). `make test` (and CI) still runs everything.
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q \
		-m "not postgres and not slow and not processes and not schemathesis"

bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks

# Regenerate the initial Alembic migration from server/db/tables.py (before the first release).
migration: $(TEST_STAMP)
	$(BIN)/python scripts/regen_initial_migration.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
