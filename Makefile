# Two commands do all set-up from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
TORCH_VERSION := 2.13.0

.PHONY: demo test check lint format setup clean

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

setup: $(STAMP) $(LINT_STAMP)

demo: $(STAMP)
	$(VENV)/bin/graphkit demo demo-out

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(STAMP) $(LINT_STAMP)
	$(MAKE) check
	$(VENV)/bin/python -m pytest -n 2 --dist loadgroup

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache
