# The two commands a newcomer needs:  `make run`  and  `make test`.
# Both create .venv/ on first use (and again whenever pyproject.toml changes).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Everything runs offline: model weights come from installed packages, never a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run test test-fast clean-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: pip takes the CPU build on this machine's disk, not CUDA.
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)  ## Create .venv/ and install the project (only when needed).

run: setup  ## Ingest documents/ if anything changed, then say how to ask.
	$(BIN)/assistant ingest documents --prune
	@echo
	@echo "The library is ready. Ask a question:"
	@echo "  $(BIN)/assistant ask \"Who is NHS England's interim London director?\""
	@echo "  $(BIN)/assistant ask \"...\" --generator extractive   # no language model, instant"
	@echo "List the library:  $(BIN)/assistant docs list      Add documents:  $(BIN)/assistant ingest PATH..."

test: setup  ## The whole test suite, slow tests included (what CI runs).
	$(BIN)/pytest

test-fast: setup  ## Skip the slow-marked tests while developing.
	$(BIN)/pytest -m "not slow"

clean-data:  ## Forget the local store (documents/ is untouched).
	rm -rf data
