# The two commands: `make serve` (build and preview) and `make test` (every test).
# Both create what they need: a .venv with the project installed, and for the tests
# the HTML checker from npm. `make build BASE_URL=https://user.github.io/repo/` builds
# for publishing (the Pages workflow does this).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: serve build test lint bench clean

serve: $(STAMP)
	$(BIN)/briefing serve

BASE_URL ?=

build: $(STAMP)
	$(BIN)/briefing build $(if $(BASE_URL),--base-url "$(BASE_URL)")

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check generator tests bench bench/run
	$(BIN)/mypy
	$(BIN)/pytest
	$(BIN)/briefing check --out .cache/check-site --base-url https://example.org/briefing/

lint: $(STAMP)
	$(BIN)/ruff check generator tests bench bench/run
	$(BIN)/ruff format --check generator tests

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_STAMP)

bench: $(STAMP)
	$(BIN)/python bench/run

clean:
	rm -rf site .pytest_cache .ruff_cache
