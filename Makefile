# maillage — what CI runs: `make test` (see .ci/run). `make demo` builds and serves the demo.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= var/demo.sqlite
PYTEST_WORKERS ?= 2

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	mkdir -p var
	$(VENV)/bin/maillage demo --db $(DEMO_DB)

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

bench: $(STAMP)
	$(PY) bench/write_path.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
