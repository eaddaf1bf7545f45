# `make book` and `make test` are all a reader or CI needs: each sets up .venv and fetches the data first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   := data/labels.feather
# binder/requirements.txt: the same pins with PyTorch's CPU wheel index (Binder, the publishing workflow)
REQUIREMENTS ?= requirements.txt

# the one pin of thebe's version is the Sphinx extension's; the npm package must match it
THEBE_VERSION := $(shell sed -n 's/^THEBE_VERSION = "\(.*\)"/\1/p' _ext/thebe_pin.py)
THEBE_TGZ := .thebe/thebe-$(THEBE_VERSION).tgz
# MathJax for `make serve` without internet: the pages load mathjax@3 from the CDN (Sphinx's default,
# sphinx.ext.mathjax.MATHJAX_URL); a test checks this version has that major version
MATHJAX_VERSION := 3.2.2
MATHJAX_TGZ := .mathjax/mathjax-$(MATHJAX_VERSION).tgz

.PHONY: setup data book stale-chapters test page-check test-unit check-test-tools thebe-js mathjax-js serve bench bench-corpus cv cv-clean simulate asreview-sim binder-test clean

setup: $(STAMP)

# reinstall only when a requirements file changes
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r $(REQUIREMENTS) -r requirements-dev.txt
	touch $(STAMP)

data: setup
	$(BIN)/python -m mlmap fetch-data

# The execution cache keys each chapter on its code alone, so new committed results/ (read by the
# cv, screening and stopping chapters), a changed mlmap package or changed pins would leave old
# outputs on the page: when any of them has changed since the last build, execute every chapter again.
RESULTS_STAMP := .cache/book-results.sha256
# where Jupyter Book 1 keeps executed notebooks (its default, `execute.cache` left blank in _config.yml)
JUPYTER_CACHE := _build/.jupyter_cache
book: setup data stale-chapters
	$(BIN)/jupyter-book build . -W --keep-going

stale-chapters:
	@mkdir -p .cache; now=$$(find results mlmap requirements.txt -type f ! -path '*/__pycache__/*' -print0 \
	  | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); \
	if [ -d $(JUPYTER_CACHE) ] && [ "$$(cat $(RESULTS_STAMP) 2>/dev/null)" != "$$now" ]; then \
	  echo "results/, mlmap/ or requirements.txt changed since the last build: every chapter is read and executed again"; \
	  rm -rf $(JUPYTER_CACHE) _build/.doctrees; fi; \
	echo "$$now" > $(RESULTS_STAMP)

# everything: unit tests, the book build (the tests build it as `make book` does), the page check of
# every built page, the browser tests and the Binder environment
test: check-test-tools setup data thebe-js mathjax-js stale-chapters
	$(BIN)/python -m pytest -v

# only the page check, on the book `make book` built, without building (MLMAP_PAGES_DIR: another site)
MLMAP_PAGES_DIR ?= _build/html
page-check: setup
	MLMAP_PAGES_DIR=$(MLMAP_PAGES_DIR) $(BIN)/python -m pytest -v -m pages tests/test_pages.py

# before anything long: the browser tests need Chromium (MLMAP_CHROMIUM, else /usr/bin/chromium or
# chromium on PATH), thebe-js and mathjax-js need npm
check-test-tools:
	@if [ -n "$$MLMAP_CHROMIUM" ]; then test -x "$$MLMAP_CHROMIUM"; \
	  else test -x /usr/bin/chromium || command -v chromium >/dev/null; fi || { \
	  echo "make test: Chromium is missing ($${MLMAP_CHROMIUM:-/usr/bin/chromium}); the browser tests drive Debian's chromium package." >&2; \
	  echo "  install it:  sudo apt-get install chromium" >&2; \
	  echo "  or run the tests without a browser:  make test-unit" >&2; exit 1; }
	@test -f $(THEBE_TGZ) -a -f $(MATHJAX_TGZ) || command -v npm >/dev/null || { \
	  echo "make test: npm is missing; it fetches thebe and MathJax for the browser tests." >&2; \
	  echo "  install it:  sudo apt-get install npm   (or Node.js from nodejs.org)" >&2; exit 1; }

# the unit tests alone: seconds, no data needed
test-unit: setup
	$(BIN)/python -m pytest -v -m "not integration and not browser"

# thebe's JavaScript from the npm package: `make serve` serves it (no CDN needed) and the browser test uses it
thebe-js: $(THEBE_TGZ)
$(THEBE_TGZ):
	test -n "$(THEBE_VERSION)" || { echo "no THEBE_VERSION in _ext/thebe_pin.py" >&2; exit 1; }
	rm -rf .thebe && mkdir -p .thebe
	cd .thebe && npm pack --silent thebe@$(THEBE_VERSION) && tar xzf thebe-$(THEBE_VERSION).tgz

# MathJax's JavaScript and fonts from the npm package: `make serve` serves it, so formulas render offline
mathjax-js: $(MATHJAX_TGZ)
$(MATHJAX_TGZ):
	rm -rf .mathjax && mkdir -p .mathjax
	cd .mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) && tar xzf mathjax-$(MATHJAX_VERSION).tgz

serve: book thebe-js mathjax-js
	$(BIN)/python scripts/serve_book.py

# about 14 minutes on 2 cores: the naive recipe is the slow part
bench: setup data
	$(BIN)/python benchmarks/bench_training.py
	$(BIN)/python benchmarks/bench_predict_scale.py
	$(BIN)/python benchmarks/bench_screen.py

# `python -m mlmap predict` on 50,000 resampled real abstracts, in a fresh process: docs/s and memory
bench-corpus: setup data
	$(BIN)/python benchmarks/bench_predict_corpus.py

# the nested cross-validation behind book/cv.md, rerun into CV_OUT and compared with the committed
# results/cv: about 3 hours on 2 cores in fp32, the precision of the committed run (CV_PRECISION=bf16
# halves that on a CPU with bf16 units, but trains different models). Every finished unit is saved,
# so an interrupted run continues where it stopped when rerun. A new reported run: into a new folder,
# then installed as results/cv (results/cv/README.md).
CV_OUT ?= .cache/cv
CV_PRECISION ?= fp32
CV_CLEAN_PRECISION ?= bf16
cv: setup data
	MLMAP_PRECISION=$(CV_PRECISION) $(BIN)/python -m mlmap cv --target all --out $(CV_OUT) --compare-with results/cv

# the same protocol without the documents the recipe was chosen on (book/cv.md, "A run no choice has
# read"): rerun into CV_CLEAN_OUT and compared with the committed results/cv-clean, made in bf16, which
# needs a CPU with AVX512-BF16 or AMX (CV_CLEAN_PRECISION=fp32 runs anywhere, but trains other models)
CV_CLEAN_OUT ?= .cache/cv-clean
cv-clean: setup data
	MLMAP_PRECISION=$(CV_CLEAN_PRECISION) $(BIN)/python -m mlmap cv --target all --without-development --out $(CV_CLEAN_OUT) --compare-with results/cv-clean

# the screening simulations behind book/stopping.md (results/screening/, committed): every run is saved
# after each round (a fixed-feature ranker's run, a minute or two, as a whole), so an interrupted run
# continues where it stopped when rerun, and finished runs are skipped; then the summary of the new runs
RANKERS := minilm_tfidf_svm,minilm_tfidf_svm_batch25,minilm_tfidf_svm_no_minilm,minilm_tfidf_svm_screen_batches,minilm_tfidf_svm_unbalanced
simulate: setup data
	$(BIN)/python -m mlmap simulate --variant all --models minilm_finetuned_lr1e4_2ep,tfidf,$(RANKERS) --no-summary
	$(BIN)/python -m mlmap simulate --variant low2 --models tfidf,$(RANKERS) --no-summary
	$(BIN)/python -m mlmap simulate --summary-only --reuse-summary

# ASReview's default model on the same variants and seed sets, in its own environment (it needs pandas<3);
# reads the seed sets that `make simulate` (or `python -m mlmap simulate --models tfidf`) wrote
ASREVIEW_STAMP := .venv-asreview/.installed
$(ASREVIEW_STAMP): scripts/asreview/requirements.txt
	test -x .venv-asreview/bin/python || $(PYTHON) -m venv .venv-asreview
	.venv-asreview/bin/python -m pip install -q -r scripts/asreview/requirements.txt
	touch $(ASREVIEW_STAMP)

asreview-sim: setup data $(ASREVIEW_STAMP)
	.venv-asreview/bin/python scripts/asreview/simulate.py
	$(BIN)/python -m mlmap simulate --summary-only --reuse-summary

clean:
	rm -rf _build .cache
