# The two commands a newcomer needs:  `make run`  and  `make test`.
# Both create .venv/ on first use (and again whenever pyproject.toml changes).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Everything runs offline: model weights come from installed packages, never a hub. Importing
# the `assistant` package sets HF_HUB_OFFLINE and the rest (assistant/offline.py), for every
# command, test, eval and benchmark alike.
CHROMIUM := /usr/bin/chromium

.PHONY: setup run test test-fast eval screenshot clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: pip takes the CPU build on this machine's disk, not CUDA.
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv/ and install the project (only when needed).

run: setup  ## Ingest documents/ if anything changed, then serve the chat on 127.0.0.1.
	$(BIN)/assistant ingest documents --prune
	@echo "Also from a terminal:  $(BIN)/assistant ask \"Who is NHS England's interim London director?\""
	$(BIN)/assistant serve

# The browser tests drive Debian's chromium; Playwright never downloads one.
$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium || \
	  (apt-get update && apt-get install -y --no-install-recommends chromium)

test: setup $(CHROMIUM)  ## The whole test suite, slow and browser tests included, then the quality gate (what CI runs).
	$(BIN)/pytest
	# Quality gate: fails when the gold set's extractive answers fall below evals/thresholds.toml.
	$(BIN)/assistant eval --dataset gold --generator extractive --check --no-baseline --reports data/ci-reports
	# ... and the published policy documents' (evals/data/policy), quotes only.
	$(BIN)/assistant eval --dataset policy --generator extractive --check --no-baseline --reports data/ci-reports

test-fast: setup  ## Skip the slow-marked tests while developing.
	$(BIN)/pytest -m "not slow"

eval: setup  ## Refresh the committed reports: gold and policy (extractive, llm) and all of COVID-QA (~3 h).
	$(BIN)/assistant eval --dataset gold --generator extractive
	$(BIN)/assistant eval --dataset gold --generator llm
	$(BIN)/assistant eval --dataset policy --generator extractive
	$(BIN)/assistant eval --dataset policy --generator llm
	$(BIN)/assistant eval --dataset covid-qa --generator extractive --full --rerank-off

screenshot: setup $(CHROMIUM)  ## Redraw docs/chat.png from the real page.
	$(BIN)/python docs/screenshot.py

clean-data:  ## Forget the local store (documents/ is untouched).
	rm -rf data
