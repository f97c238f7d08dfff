# One entry point for everything. `make book` and `make test` work on a fresh machine:
# they create the virtual environment, install what is needed, and then do their job.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: help setup book test lab clean

help:
	@echo "make book   - set up, then build the static site into _build/html"
	@echo "make test   - set up, then run every test"
	@echo "make lab    - set up, then open JupyterLab on the chapters"

# The environment is rebuilt only when the requirements change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip -q
	$(PY) -m pip install -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (GRU course)"
	touch $@

setup: $(STAMP)

test: setup
	$(PY) -m pytest

lab: setup
	$(BIN)/jupyter lab chapters/

clean:
	rm -rf _build
