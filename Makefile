# Two commands do all set-up from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH_VERSION := 2.13.0

.PHONY: demo test check lint format setup clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of torch first, so nothing later pulls the CUDA wheels
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION)
	$(PY) -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

# Neo4j's own Cypher parser, used by the tests to lint every statement (pinned by the lock file)
LINT_STAMP := tools/cypherlint/node_modules/.installed-stamp
$(LINT_STAMP): tools/cypherlint/package-lock.json
	npm ci --silent --no-audit --no-fund --prefix tools/cypherlint
	touch $(LINT_STAMP)

# Headless Chromium for the report's browser tests (Debian packages; skipped visibly if absent)
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	    else echo "chromium not installed and cannot install it: browser tests will be skipped"; fi; }

setup: $(STAMP) $(LINT_STAMP) browser

demo: $(STAMP)
	$(VENV)/bin/graphkit demo demo-out

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# One test file per worker at a time: a module's shared fixtures (the 1,500-person analysis
# case, the hotspot forecasts) are built once, not once per worker (xdist's loadgroup does not
# group under pytest 9: it sets a node id attribute that pytest 9 no longer reads).
test: $(STAMP) $(LINT_STAMP) browser
	$(MAKE) check
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
