# The two jobs of the README: `make demo` and `make test`. Both set themselves up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The CPU build of torch (the export-check extra's trainers); see pyproject.toml.
TORCH  ?= 2.13.0
DEMO_STAMP := $(VENV)/.installed-demo
DOCS_STAMP := $(VENV)/.installed-docs

.PHONY: demo test docs system-deps lint bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The demo needs the core and the correction memory, nothing of the test or browser tooling.
$(DEMO_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[demo]"
	touch $(DEMO_STAMP)

# The site needs the core (the CLI reference reads the typer app) and the docs extra.
$(DOCS_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[docs]"
	touch $(DOCS_STAMP)

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e ".[test,postgres,browser,docs,dev]"
	$(BIN)/pip install -q "torch==$(TORCH)"
	$(BIN)/pip install -q -e ".[export-check]"
	touch $(STAMP) $(DEMO_STAMP) $(DOCS_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/hitl-agent demo

system-deps:
	bash scripts/install-system-deps.sh

test: system-deps $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider
	$(MAKE) docs

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d $(VENV)/site

lint: $(STAMP)
	$(BIN)/ruff check hitl_agent tests benchmarks graphs
	$(BIN)/mypy hitl_agent

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .hitl test-output site
