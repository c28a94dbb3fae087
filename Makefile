# Trust & Enforcement — build and test the course.
#   make book    install (first time) into .venv, run every notebook, build the HTML book
#   make test    the whole test suite (lint, data, notebooks, exercises, build, browser)
#   make serve   serve the built book on http://127.0.0.1:8000
#   make lab     JupyterLab on this machine, for the data labs and exercises
#   make translations  after an English edit: mark changed Spanish messages fuzzy (locales/es)
#   make lock    re-resolve requirements/*.in into the role locks (UPGRADE=1: newest versions)
#   make test-bounds  the package's tests at the lowest versions pyproject.toml allows
#   make bench   check issue #17's speed and page-weight goals (BENCH_FLAGS=--quick, --pages-only, --suite)
#   make notebooks  re-execute the data labs in place (after changing trustlab/ or datasets/)
#   make update-287g  maintainers: download ICE's newest 287(g) list, refresh the tables if it changed
SHELL := /bin/bash
# The first Python 3.11 or newer on PATH (make book PYTHON=/path/to/python to choose another).
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12 python3.11; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  2>/dev/null && { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Builds and tests run with the network guard: any Python process (including notebook
# kernels) that tries to reach a non-local host fails loudly.
OFFLINE := TRUSTLAB_OFFLINE=1 PYTHONPATH=$(CURDIR)/tools/offline
BOOK_FLAGS := -W -n --keep-going

.PHONY: translations test-bounds book test lint serve lab bench lock clean venv exercises notebooks help update-287g

help:
	@sed -n '2,12p' Makefile

# One environment, .venv, filled per role from requirements/<role>.lock (see requirements/):
# make book installs the book role, make test the dev role (everything), make lab the student
# role. The locks are resolved together, so the roles never disagree on a version.
venv: $(BIN)/.installed-book

# Stops with a message unless $(PYTHON) is Python 3.11 or newer (before a venv is made of it).
define CHECK_PYTHON
@test -n "$(PYTHON)" || { echo "error: the course needs Python 3.11 or newer, and none is on PATH (python3 is $$(python3 --version 2>&1 || echo missing)). Install one (https://www.python.org/downloads/), then run make again, or name it: make book PYTHON=/path/to/python3.12"; exit 1; }
@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: $(PYTHON) is $$($(PYTHON) --version 2>&1); the course needs Python 3.11 or newer. Name another: make book PYTHON=python3.12"; exit 1; }
endef

$(BIN)/python:
	$(CHECK_PYTHON)
	@echo "Creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

$(BIN)/.installed-%: requirements/%.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements/$*.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

# trustlab.build runs `jupyter-book build . $(BOOK_FLAGS)`, or says the book is current when no
# source file changed since the last successful build (make book FORCE=1 builds anyway).
# make book EDITION=en builds the English edition only: a quicker preview while writing (the
# next plain make book builds both again).
book: venv
	$(OFFLINE) $(BIN)/python -m trustlab.build $(if $(FORCE),--force) $(if $(EDITION),--edition $(EDITION))
	@echo
	@echo "The book is built. Open it with:  make serve   (then http://127.0.0.1:$(PORT)/)"
	@echo "or open this file in a browser:  $(CURDIR)/_build/html/index.html"

# The Spanish edition's catalogues (locales/es/LC_MESSAGES): builds the English edition (which
# writes each page's messages to _build/gettext), merges them into the catalogues (a changed
# English message keeps its old translation, marked fuzzy) and lists what needs translating.
translations: venv
	$(OFFLINE) $(BIN)/python -m trustlab.build --edition en
	$(BIN)/python -m trustlab.translations update
	-$(BIN)/python -m trustlab.translations check

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check trustlab tests tools benchmarks

# The tests run in up to 4 processes (one per core), a whole test file per process at a time
# (a file's module fixtures are made once; a notebook's cells share one kernel);
# make test TEST_WORKERS=0 runs them in this process only.
TEST_WORKERS ?= auto
test: $(BIN)/.installed-dev lint node_modules/.installed
	$(OFFLINE) $(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile --durations=25

# The lower ends of pyproject.toml's version ranges (the locks hold the upper ends): a separate
# venv from requirements/lowest.lock, the package installed normally (not editable, so it finds
# the course through TRUSTLAB_COURSE), and the tests that need only the package. Downloads what
# is not in pip's cache. The book workflow runs it as a job of its own.
BOUNDS_TESTS := tests/test_data.py tests/test_charts.py tests/test_crime.py tests/test_history.py \
  tests/test_practices.py tests/test_program287g.py tests/test_assign.py tests/test_gradebook.py \
  tests/test_ice.py tests/test_offline_guard.py tests/test_grading.py
test-bounds:
	$(CHECK_PYTHON)
	rm -rf .venv-lowest && $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --upgrade "pip>=24"
	grep -v '^-e ' requirements/lowest.lock > .venv-lowest/lowest.txt
	.venv-lowest/bin/python -m pip install --quiet -r .venv-lowest/lowest.txt
	.venv-lowest/bin/python -m pip install --quiet --no-deps .
	@.venv-lowest/bin/python -c "import pandas, altair, trustlab; print('lowest versions: pandas', pandas.__version__, '- altair', altair.__version__, '- trustlab from', trustlab.__file__)"
	$(OFFLINE) TRUSTLAB_COURSE=$(CURDIR) .venv-lowest/bin/pytest -o addopts="-ra --strict-markers" -p no:cacheprovider -q \
	  -m "not browser" $(BOUNDS_TESTS)

# JavaScript the tests need (axe-core for the accessibility audit), pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the accessibility tests: install Node.js (e.g. sudo apt-get install npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

serve:
	@test -f _build/html/index.html || $(MAKE) book
	@echo "Serving the book at http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# config/jupyter: JupyterLab asks no one for news or updates (no request leaves the machine).
lab: $(BIN)/.installed-student
	JUPYTER_CONFIG_PATH=$(CURDIR)/config/jupyter $(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 \
	  --notebook-dir=$(CURDIR)

notebooks: venv
	$(OFFLINE) $(BIN)/python tools/execute_notebooks.py

exercises: venv
	$(BIN)/python -m trustlab exercises

# Needs the network: runs WITHOUT the offline guard (its --rebuild and --test steps turn it
# back on). Exit status 3 (ICE's list unchanged, nothing written) counts as success here.
# Extra options: make update-287g UPDATE_FLAGS="--dry-run" (or --rebuild --test, --url URL).
UPDATE_FLAGS ?=
update-287g: venv
	@$(BIN)/python -m trustlab update-287g $(UPDATE_FLAGS); rc=$$?; \
	  if [ $$rc -eq 3 ]; then exit 0; else exit $$rc; fi

# Measures against issue #17's goals and fails when one is missed; writes benchmarks/results/.
# Options (see benchmarks/run.py): make bench BENCH_FLAGS="--quick" (no cold build),
# "--pages-only" (page weight and slow phone on the existing build), "--suite" (adds make test).
BENCH_FLAGS ?=
bench: $(BIN)/.installed-dev
	$(OFFLINE) $(BIN)/python benchmarks/run.py $(BENCH_FLAGS)

# Re-resolve requirements/*.in into requirements/*.lock with uv's universal resolver: one lock
# per role, valid on Linux, macOS and Windows (platform-only packages carry markers). dev is
# resolved first and the others within it; an existing lock's versions are kept unless
# UPGRADE=1 (or an .in file asks for another). Needs the package index.
UV_VERSION := 0.13.9
UV_COMPILE = .lockvenv/bin/uv pip compile --universal --python-version 3.11 --quiet \
  --annotation-style line --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV_COMPILE) requirements/dev.in -o requirements/dev.lock
	$(UV_COMPILE) requirements/student.in -c requirements/dev.lock -o requirements/student.lock
	$(UV_COMPILE) requirements/book.in -c requirements/dev.lock -o requirements/book.lock
	.lockvenv/bin/uv pip compile --python-version 3.11 --resolution lowest-direct --quiet \
	  --annotation-style line --custom-compile-command "make lock" requirements/lowest.in \
	  -o requirements/lowest.lock
	rm -rf .lockvenv

clean:
	rm -rf _build
