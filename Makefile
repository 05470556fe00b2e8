# insource: two commands on a fresh machine.
#   make demo   set up and take the full decision on the built-in case (build/report.html)
#   make test   set up and run the whole suite (pytest, ruff, mypy)
# Set-up: a private uv (pinned) in .tools/, then `uv sync --frozen` from uv.lock into .venv/.

PYTHON      ?= python3
UV_VERSION  := 0.13.9
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
BIN         := $(VENV)/bin
STAMP       := $(VENV)/.synced
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Compile bytecode at install: with PYTHONDONTWRITEBYTECODE set (as on these
# machines) every start would otherwise recompile pandas, scipy and the rest.
export UV_COMPILE_BYTECODE := 1

.PHONY: setup demo test lint typecheck bench docs clean

setup: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): $(UV) pyproject.toml uv.lock Makefile
	$(UV) sync --frozen --quiet
	$(BIN)/python -m compileall -q -j 0 src
	@touch $@

demo: setup
	$(BIN)/insource validate nissan-kei-ev
	$(BIN)/insource report nissan-kei-ev --out build/report.html --xlsx build/results.xlsx --samples 10000

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/python -m pytest -n 2 -q

bench: setup
	$(BIN)/python -m benchmarks

docs: setup
	$(BIN)/python -m insource.case._docs > docs/case-format.md

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .hypothesis
