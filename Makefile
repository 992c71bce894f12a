# Two commands for a new user: `make run` (the site with a worker and demo data)
# and `make test` (the whole test suite). Everything else here serves those two.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The suite runs on SQLite, then again on PostgreSQL when this server answers.
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: setup run test test-sqlite test-postgres lint chromium messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/flask --app wsgi demo --host $(HOST) --port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Browser tests drive Debian's Chromium; install it when we may (root), never a downloaded one.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "note: /usr/bin/chromium missing (apt-get install chromium): browser tests will be skipped"; fi

test-sqlite: setup chromium
	env -u DATABASE_URL $(BIN)/pytest

test-postgres: setup chromium
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest

test: setup chromium
	env -u DATABASE_URL $(BIN)/pytest
	@if $(BIN)/python -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('postgresql+psycopg', 'postgresql'), connect_timeout=3).close()" '$(TEST_POSTGRES_URL)' 2>/dev/null; then \
	  echo "== again on PostgreSQL ($(TEST_POSTGRES_URL))"; \
	  DATABASE_URL='$(TEST_POSTGRES_URL)' $(BIN)/pytest; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL at $(TEST_POSTGRES_URL) is required but not reachable"; exit 1; \
	else echo "note: PostgreSQL at $(TEST_POSTGRES_URL) not reachable: ran on SQLite only"; fi

# Extract, update and compile the gettext catalogs after changing user-facing text.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location -o polls_site/messages.pot .
	$(BIN)/pybabel update -i polls_site/messages.pot -d polls_site/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d polls_site/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
