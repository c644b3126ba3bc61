# The two jobs of the README: `make demo` and `make test`. Both set themselves up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of torch (the export-check extra's trainers); see pyproject.toml.
TORCH  ?= 2.13.0

.PHONY: demo test system-deps lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test,postgres,browser,dev]"
	$(BIN)/pip install -q "torch==$(TORCH)"
	$(BIN)/pip install -q -e ".[export-check]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hitl-agent demo

system-deps:
	bash scripts/install-system-deps.sh

test: system-deps $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check hitl_agent tests benchmarks graphs
	$(BIN)/mypy hitl_agent

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .hitl test-output
