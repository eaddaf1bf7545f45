# `make book` and `make test` are all a reader or CI needs: each sets up .venv and fetches the data first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   := data/labels.feather

.PHONY: setup data book test test-unit serve bench binder-test clean

setup: $(STAMP)

# reinstall only when a requirements file changes
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

data: setup
	$(BIN)/python -m mlmap fetch-data

book: setup data
	$(BIN)/jupyter-book build . -W -n --keep-going

test: setup data
	$(BIN)/python -m pytest -v

# the unit tests alone: seconds, no data needed
test-unit: setup
	$(BIN)/python -m pytest -v -m "not integration and not browser"

serve: book
	$(BIN)/python -m mlmap.serve

bench: setup data
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf _build .jupyter_cache
