# maillage — what CI runs: `make test`, then `make test-quality` (see .ci/run). `make demo` builds and serves the demo.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= var/demo.sqlite
PYTEST_WORKERS ?= 2

.PHONY: install demo test test-quality test-extended lint bench clean

# uv installs the same packages as pip in a tenth of the time (4 s against 50 s measured
# on a fresh clone), which CI's ten minutes need.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The local demo adds beta.gouv.fr's Startups d'État as solutions when a copy sits beside
# the repository (non-commercial licence: never shipped).
STARTUPS ?= ../shared/data/resources/betagouv-startups
# Its resource centre: the freely licensed sets of a copy beside the repository, else their
# trimmed copies shipped for the tests (tests/data/resources/SOURCE.md).
SHARED_RESOURCES := $(wildcard $(addprefix ../shared/data/resources/,service-public-associations travail-emploi-fiches rhapsodie-oral-transcripts parisstories-oral-transcripts))
RESOURCES ?= $(or $(SHARED_RESOURCES),$(addprefix tests/data/resources/,service-public travail rhapsodie parisstories documents))
demo: $(STAMP)
	mkdir -p var
	$(VENV)/bin/maillage demo --db $(DEMO_DB) $(if $(wildcard $(STARTUPS)/manifest.csv),--startups $(STARTUPS)) $(addprefix --resources ,$(RESOURCES))

# `make test`: every test but the slow quality checks (CI's budget, with test-quality: 10 minutes);
# `make test-quality`: those checks (marker `quality`; see README, "Test budget"). It hands
# out whole modules (--dist loadscope), so a module's fixture, a fitted model, is made once
# (xdist's loadgroup silently stops grouping under pytest 9.2: pytest-xdist issue 1386).
# pytest exits 5 when a selection holds no test: that is no failure (say so, exit 0).
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider
NO_TEST_IS_OK := || { rc=$$?; [ $$rc -eq 5 ] && echo "pytest: no test selected" || exit $$rc; }

test: $(STAMP)
	$(PYTEST) -m "not quality and not extended" $(NO_TEST_IS_OK)

test-quality: $(STAMP)
	$(PYTEST) --dist loadscope -m "quality and not extended" $(NO_TEST_IS_OK)

# Checks CI leaves out to stay under ten minutes (README, "Test budget"): the PostgreSQL runs
# of most portal tests, the map's cluster geometry at national zoom.
test-extended: $(STAMP)
	$(PYTEST) --dist loadscope -m extended $(NO_TEST_IS_OK)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

bench: $(STAMP)
	$(PY) bench/write_path.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
