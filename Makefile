# The two commands of the README are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi
# the suite runs in parallel processes (pytest-xdist), one per core up to four, each test
# file in one process (its module fixtures are built once), handed out in the collection's
# order: the files marked slow first (tests/conftest.py); PYTEST_ARGS= runs it serially
PYTEST_ARGS ?= -n auto --maxprocesses=4 --dist loadfile --no-loadscope-reorder

.PHONY: run test install install-dev lint format bench translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load the demo when the database is empty, serve at http://$(HOST):$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask demo logins
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops)"
	$(BIN)/python -m registry.serve --host $(HOST) --port $(PORT)

## test: install the development dependencies and run the whole suite
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

## translations: re-extract the messages, update the catalogues and compile them (see registry/translations/README.md)
translations: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
	    --project narcoregistry --copyright-holder "narcoregistry contributors" \
	    -o registry/translations/messages.pot .
	$(BIN)/pybabel update -i registry/translations/messages.pot -d registry/translations \
	    --width 100 --no-fuzzy-matching
	$(BIN)/pybabel compile -d registry/translations --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
