# Everything a newcomer needs: `make run` and `make test` build the venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test test-properties test-fast lint bench bench-server messages clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Compact needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## Start the server on http://127.0.0.1:8000 with the embedded SQLite database.
run: install
	$(BIN)/compact serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

## Lint, type-check and run every test (browser tests install Debian's Chromium first).
## The server's tests run beside the rules' and the browser's, one core each
## (scripts/run-tests says why).
test: install
	@if [ -x scripts/install-browser-deps ]; then scripts/install-browser-deps; fi
	@if [ -x scripts/install-test-deps ]; then scripts/install-test-deps; fi
	$(BIN)/ruff check .
	$(BIN)/mypy
	BIN=$(BIN) scripts/run-tests

## The termination property on the full 1,000 seeds of every scenario (a few minutes).
test-properties: install
	COMPACT_TERMINATION_SEEDS=1000 $(BIN)/pytest -p no:cacheprovider -n 2 --dist worksteal tests/rules/test_bot_termination.py -q

## The rules engine's tests alone: seconds, no services needed.
test-fast: install
	$(BIN)/pytest -p no:cacheprovider -n 2 tests/rules -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/scoresheet.py
	$(BIN)/python bench/debrief.py

## Live fan-out of one server (100/500/1000 participants) against a bare websockets floor.
bench-server: install
	$(BIN)/python bench/server.py $(BENCH_ARGS)

## Re-extract every translatable text and update the en/fr/ar catalogues (then translate
## the new empty msgstr in web/locale/*/LC_MESSAGES/messages.po; no compile step).
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k n_:1,2 -k N_ --no-location \
		--sort-output --omit-header -o web/locale/messages.pot .
	$(BIN)/pybabel -q update -i web/locale/messages.pot -d web/locale \
		--no-fuzzy-matching --ignore-obsolete
	@# the extraction date would change every catalogue on every run: leave it out
	sed -i '/^"POT-Creation-Date: /d' web/locale/*/LC_MESSAGES/messages.po

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
