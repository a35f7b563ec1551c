# Solidarity Wire: `make demo` and `make test` do all set-up on a fresh machine.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: demo test lint bench messages serve-demo clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/wire demo

test: $(BIN)/.installed lint
	$(BIN)/python -m pytest

# ruff (lint and format) and mypy, clean; part of `make test` and so of CI
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(BIN)/.installed
	$(BIN)/python -m benchmarks

serve-demo: $(BIN)/.installed
	$(BIN)/wire --config data/demo/wire.toml serve

# Re-extract the frame's messages and merge them into every catalog; keep the CLDR values they need.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o newsletter/locales/messages.pot --no-location --omit-header -k _ .
	$(BIN)/pybabel update -i newsletter/locales/messages.pot -d newsletter/locales --no-fuzzy-matching
	$(BIN)/python -m newsletter.cldr  # the CLDR values the edition shows, per catalog language

clean:
	rm -rf data/demo build .pytest_cache
