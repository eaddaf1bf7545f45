# `make book` and `make test` are all a reader or CI needs: each sets up .venv and fetches the data first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   := data/labels.feather

THEBE_VERSION := 0.9.3
THEBE_JS := .thebe/package/lib/index.js

.PHONY: setup data book test test-unit thebe-js serve bench binder-test clean

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
	$(BIN)/jupyter-book build . -W --keep-going

test: setup data thebe-js
	$(BIN)/python -m pytest -v

# the unit tests alone: seconds, no data needed
test-unit: setup
	$(BIN)/python -m pytest -v -m "not integration and not browser"

# thebe's JavaScript from the npm package, for the browser test (the pages load it from a CDN)
thebe-js: $(THEBE_JS)
$(THEBE_JS):
	mkdir -p .thebe
	cd .thebe && npm pack --silent thebe@$(THEBE_VERSION) && tar xzf thebe-$(THEBE_VERSION).tgz

serve: book
	$(BIN)/python scripts/serve_book.py

# about 20 minutes on 2 cores: the naive recipe is the slow part
bench: setup data
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_predict_scale.py

clean:
	rm -rf _build .jupyter_cache .cache
