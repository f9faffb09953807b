# Vägvisaren. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON311 ?= python3.11
RASA_PYTHON_VERSION ?= 3.10.13
VENV := .venv
RASA_VENV := .venv-rasa
APP_STAMP := $(VENV)/.installed
RASA_STAMP := $(RASA_VENV)/.installed
MODEL := models/vagvisaren.tar.gz
# pip prints one "is ignored" warning per missing local mirror folder: noise, not news.
PIP_QUIET := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# `rasa data validate` / `rasa test` read endpoints.yml, whose values come from the environment
# (Rasa refuses a missing one): SQLite (tracker store and event broker) and the in-memory
# lock store, as in bot/local_services.py ENDPOINT_DEFAULTS. bot/stack.py and bot/scaled.py set
# their own.
export VAGVISAREN_ACTION_URL ?= http://127.0.0.1:5055/webhook
export VAGVISAREN_TRACKER_DIALECT ?= sqlite
export VAGVISAREN_TRACKER_HOST ?=
export VAGVISAREN_TRACKER_PORT ?= 0
export VAGVISAREN_TRACKER_DB ?= $(CURDIR)/var/tracker.db
export VAGVISAREN_TRACKER_USER ?=
export VAGVISAREN_TRACKER_PASSWORD ?=
export VAGVISAREN_BROKER_DIALECT ?= sqlite
export VAGVISAREN_BROKER_HOST ?=
export VAGVISAREN_BROKER_PORT ?= 0
export VAGVISAREN_BROKER_DB ?= $(CURDIR)/var/events.db
export VAGVISAREN_BROKER_USER ?=
export VAGVISAREN_BROKER_PASSWORD ?=
export VAGVISAREN_LOCK_STORE ?= in_memory
export VAGVISAREN_REDIS_HOST ?= 127.0.0.1
export VAGVISAREN_REDIS_PORT ?= 6379
# `make run-scaled`: how many Rasa and action servers
RASA_REPLICAS ?= 2
ACTION_REPLICAS ?= 2

TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f -name '*.yml' 2>/dev/null)

.PHONY: help lock setup browser stores train run run-scaled test test-ready validate lint fast-test story-test eval-nlu eval-dialogue bench-match bench-load clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# --- environments: rebuilt only when missing or when their requirements change ----------
# uv installs both environments from the lock files (requirements/*.lock, exactly what the
# *.txt pins resolve to; `make lock` rewrites them): about 1.5 min where pip took 8.5 on
# 2 cores, because uv downloads and unpacks in parallel and need not resolve. torch alone
# comes through pip, because only pip looks for its CPU wheel on this machine's disk.
UV_VERSION := 0.13.8
UV := $(VENV)/bin/uv

$(UV):
	test -x $(VENV)/bin/python || $(PYTHON311) -m venv $(VENV)
	$(VENV)/bin/pip install -q uv==$(UV_VERSION) $(PIP_QUIET)

$(APP_STAMP): requirements/torch.txt requirements/app.txt requirements/dev.txt requirements/app.lock pyproject.toml | $(UV)
	@echo "==> Creating $(VENV) (Python 3.11: actions, gateway, tests)"
	# torch first, from the local CPU wheel, so that nothing pulls a CUDA build
	$(VENV)/bin/pip install -q -r requirements/torch.txt $(PIP_QUIET)
	$(UV) pip install -q --python $(VENV)/bin/python -c requirements/app.lock \
		-r requirements/torch.txt -r requirements/app.txt -r requirements/dev.txt
	$(UV) pip install -q --python $(VENV)/bin/python --no-deps -e .
	touch $@

$(RASA_STAMP): requirements/rasa.txt requirements/rasa.lock | $(UV)
	@echo "==> Creating $(RASA_VENV) (Python $(RASA_PYTHON_VERSION): Rasa server)"
	test -x $(RASA_VENV)/bin/python || PYENV_VERSION=$(RASA_PYTHON_VERSION) python3.10 -m venv $(RASA_VENV)
	$(UV) pip install -q --python $(RASA_VENV)/bin/python -c requirements/rasa.lock -r requirements/rasa.txt
	touch $@

# Rewrites the lock files from the pins (after a change to requirements/*.txt).
lock: | $(UV) ## Resolve requirements/*.txt into requirements/*.lock
	$(UV) pip compile -q --python-version 3.11 --find-links /opt/wheels \
		requirements/torch.txt requirements/app.txt requirements/dev.txt -o requirements/app.lock
	$(UV) pip compile -q --python-version 3.10 requirements/rasa.txt -o requirements/rasa.lock

# `make test` installs chromium and the stores at the same time (-j): one apt-get at a time.
APT_GET := flock /tmp/vagvisaren-apt.lock env DEBIAN_FRONTEND=noninteractive apt-get

# Debian's Chromium for the browser tests (Playwright drives it; browsers cannot be downloaded).
# Under CI the tests must run, so a failed install fails; elsewhere they skip with a message.
browser:
	@if command -v chromium >/dev/null; then exit 0; fi; \
	echo "==> Installing Debian's chromium for the browser tests"; \
	if ! { $(APT_GET) update -qq && $(APT_GET) install -y -qq chromium >/dev/null; }; then \
		if [ "$${CI:-}" = "true" ]; then echo "chromium could not be installed" >&2; exit 1; fi; \
		echo "chromium could not be installed: browser tests will be skipped"; \
	fi

# Debian's PostgreSQL 15 and Redis for the scaled stack (`make run-scaled`, tests/scaled/), run
# as local processes under var/ (bot/local_services.py), not as system services. As `browser`:
# under CI a failed install fails; elsewhere the scaled tests skip with a message.
stores:
	@missing=""; \
	[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "==> Installing Debian's$$missing for the scaled stack"; \
	if ! { $(APT_GET) update -qq && $(APT_GET) install -y -qq $$missing >/dev/null; }; then \
		if [ "$${CI:-}" = "true" ]; then echo "$$missing could not be installed" >&2; exit 1; fi; \
		echo "$$missing could not be installed: make run-scaled cannot start, scaled tests will be skipped"; \
	fi

# Front-end test tools from the npm registry (axe-core for the accessibility check).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(APP_STAMP) $(RASA_STAMP) ## Create both virtual environments

# --- model: retrained only when data/, domain.yml or config.yml change --------------------
$(MODEL): $(RASA_STAMP) $(TRAINING_INPUTS)
	@echo "==> Training the model"
	mkdir -p models var
	$(RASA_VENV)/bin/rasa train --fixed-model-name vagvisaren --out models.new
	rm -rf models && mv models.new models

train: $(MODEL) ## Train the Rasa model if its inputs changed

# --fail-on-warning, and a response that no rule, story or custom action sends fails too
# (Rasa 3.6 only warns about it: bot/validate_data.py).
validate: $(APP_STAMP) $(RASA_STAMP) ## rasa data validate --fail-on-warning
	$(VENV)/bin/python -m bot.validate_data \
		$(RASA_VENV)/bin/rasa data validate --domain domain.yml --data data --fail-on-warning

# --- the two commands -------------------------------------------------------------------
run: setup train ## Serve the chat on http://127.0.0.1:8000 (Ctrl-C stops everything)
	mkdir -p var
	$(VENV)/bin/python -m bot.stack run

run-scaled: setup stores train ## The same on PostgreSQL and Redis, with 2 Rasa and 2 action servers
	mkdir -p var
	$(VENV)/bin/python -m bot.scaled run --rasa $(RASA_REPLICAS) --actions $(ACTION_REPLICAS)

story-test: $(MODEL)
	$(RASA_VENV)/bin/rasa test core --stories tests/ --model $(MODEL) \
		--fail-on-prediction-errors --out var/results

# What pytest needs, made side by side (-j): the environments, apt and npm wait on the network
# and the disk while the model trains, so a fresh clone is ready minutes sooner on 2 cores.
# --output-sync keeps each step's output in one piece.
test: ## Validate data, train, run story tests and pytest
	$(MAKE) --no-print-directory -j4 --output-sync=target test-ready
	$(VENV)/bin/python -m pytest

test-ready: setup browser stores node_modules/.installed validate train lint story-test

# The quick tests (seconds, no Rasa, no model): the pre-commit hook runs them on each commit.
FAST_TESTS := tests/test_one_source.py tests/test_domain.py tests/test_module_size.py \
	tests/test_validate_data.py tests/test_privacy.py tests/test_language.py tests/test_nlu_split.py
fast-test: ## The quick tests the pre-commit hook runs (no Rasa, no model)
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider -m "not e2e" $(FAST_TESTS)

lint: $(APP_STAMP) ## ruff, mypy, import-linter (the layers) and deptry (the pins); see pyproject.toml
	$(VENV)/bin/ruff check bot actions tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/deptry .

eval-nlu: setup ## Benchmark: NLU accuracy per language, ours vs Rasa's default -> docs/nlu-eval.md
	$(VENV)/bin/python bench/eval_nlu.py

eval-dialogue: setup train ## Benchmark: whole conversations per language, task success and traps -> docs/dialogue-eval.md
	$(VENV)/bin/python bench/eval_dialogue.py

bench-match: setup ## Benchmark: interest matching hit@1/hit@3 per language and latency
	$(VENV)/bin/python bench/bench_match.py

bench-load: setup stores train ## Benchmark: latency, throughput, memory, training and cold start under load; 1 vs 2 Rasa replicas
	$(VENV)/bin/pip install -q -r requirements/bench.txt $(PIP_QUIET)
	$(VENV)/bin/python bench/bench_load.py
	$(VENV)/bin/python bench/bench_scaled.py

clean: ## Remove environments, models and local state
	rm -rf $(VENV) $(RASA_VENV) models models.new var .rasa
