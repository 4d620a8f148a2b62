# The two commands in the README: `make run` and `make test`. Each sets itself up on a fresh
# machine (Python virtual environment, front-end packages from the lock file).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Translation catalogs (extension/locale/<lang>/LC_MESSAGES/messages.po); compiled here, not in git.
CATALOGS := $(wildcard extension/locale/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test setup migrate lint typecheck pytest catalogs clean bench soak

run: setup migrate
	$(PY) -m extension serve --host $(HOST) --port $(PORT)

test: setup lint typecheck pytest

setup: $(VENV)/.installed static/node_modules/.installed $(COMPILED)

# pybabel compile leaves fuzzy entries out, as a translator expects.
%.mo: %.po $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -D messages -i $< -o $@

# Extract messages from the code and templates, then update every catalog (README: languages).
catalogs: $(VENV)/.installed
	$(PY) -m extension catalogs update

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

static/node_modules/.installed: static/package.json static/package-lock.json
	cd static && npm ci --no-audit --no-fund --silent
	touch $@

migrate: setup
	$(PY) -m extension migrate

lint: setup
	$(VENV)/bin/ruff check extension tests bench
	$(VENV)/bin/ruff format --check extension tests bench
	$(VENV)/bin/lint-imports
	$(PY) -m extension catalogs check

typecheck: setup
	$(VENV)/bin/mypy extension bench

pytest: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Speed and memory targets, measured against the stand-ins with an injected upstream latency
# (README: Benchmarks). Never part of `make test`; a missed target does not fail it.
BENCH_ARGS ?=
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# Faults and load (README: "Soak"): two app processes, random QuickBooks faults, a SIGKILL,
# then QuickBooks checked against the database. A few minutes; never part of `make test`.
soak: setup
	$(PY) -m bench.soak $(SOAK_ARGS)

clean:
	rm -rf $(VENV) static/node_modules data $(COMPILED)
