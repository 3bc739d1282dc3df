# Legato: every target a user needs. No Docker engine required (see docs/local-stack.md).
SHELL := /bin/bash
.DEFAULT_GOAL := all

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
API_URL ?= http://127.0.0.1:$(or $(LEGATO_API_PORT),8080)
export LEGATO_HOME ?= $(CURDIR)/.legato
# LEGATO_KAFKA_SECURITY=sasl_ssl: the local Kafka listens with SASL_SSL (docs/security.md). Every
# process started here reads the client settings deploy/stack.sh writes to kafka-client.env.
export LEGATO_KAFKA_SECURITY ?=
KAFKA_CLIENT_ENV := $(LEGATO_HOME)/kafka-client.env
WITH_KAFKA_ENV = { [ ! -f "$(KAFKA_CLIENT_ENV)" ] || . "$(KAFKA_CLIENT_ENV)"; } &&

PROC := deploy/proc.sh
STACK := deploy/stack.sh
NODE_SDK := worker-sdk-node
JAVA_SDK := worker-sdk-java
NODE_EXAMPLE := examples/node
JAVA_EXAMPLE := examples/java
JAVA_JAR := $(JAVA_EXAMPLE)/target/legato-example-worker.jar
DASHBOARD := dashboard
DASHBOARD_DEPS := $(DASHBOARD)/node_modules/.installed
DASHBOARD_SRC := $(shell find $(DASHBOARD)/src -type f 2>/dev/null) $(DASHBOARD)/index.html \
                 $(DASHBOARD)/vite.config.ts $(DASHBOARD)/tsconfig.json

.PHONY: all up python node java demo test test-python test-node test-java bench chaos stop clean lint \
        format install node-build java-build timer-start timer-report urls dashboard-build test-dashboard \
        browser-deps test-browser api-types

# ---- installation (first run only; each step is skipped once done) ----------------------------
install: $(VENV)/.installed

$(VENV)/.installed: protocol-python/pyproject.toml orchestrator/pyproject.toml worker-sdk-python/pyproject.toml \
                    requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "python3 not found: install Python 3.11+ (apt-get install python3 python3-venv)"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV) || { echo "cannot create a venv: apt-get install python3-venv"; exit 1; }
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e protocol-python -e 'worker-sdk-python[metrics,tracing]' -e orchestrator \
	  -r requirements-dev.txt
	@touch $@

node-build: $(NODE_SDK)/dist/.built $(NODE_EXAMPLE)/dist/.built

$(NODE_SDK)/dist/.built: $(NODE_SDK)/package.json $(NODE_SDK)/package-lock.json $(wildcard $(NODE_SDK)/src/*.ts $(NODE_SDK)/src/**/*.ts $(NODE_SDK)/conformance/*.ts) $(wildcard schemas/v*/*.avsc)
	@command -v node >/dev/null || { echo "node not found: install Node.js 20 (apt-get install nodejs npm)"; exit 1; }
	cd $(NODE_SDK) && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@mkdir -p $(@D) && touch $@

$(NODE_EXAMPLE)/dist/.built: $(NODE_SDK)/dist/.built $(NODE_EXAMPLE)/package.json $(wildcard $(NODE_EXAMPLE)/*.ts)
	cd $(NODE_EXAMPLE) && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent
	@mkdir -p $(@D) && touch $@

# The operator dashboard (dashboard/, served at /ui/): npm ci only when the lockfile is newer than
# node_modules, a build only when a source changed.
dashboard-build: $(DASHBOARD)/dist/index.html

$(DASHBOARD_DEPS): $(DASHBOARD)/package.json $(DASHBOARD)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20 (apt-get install nodejs npm)"; exit 1; }
	cd $(DASHBOARD) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(DASHBOARD)/dist/index.html: $(DASHBOARD_DEPS) $(DASHBOARD_SRC)
	cd $(DASHBOARD) && npm run build --silent
	@touch $@

# The dashboard's API types (dashboard/src/api/openapi.ts), generated from the orchestrator's OpenAPI
# document with no server running; commit them. `make lint` fails when they are not what the API describes.
api-types: install $(DASHBOARD_DEPS)
	$(DASHBOARD)/scripts/api-types.sh $(CURDIR)/$(PY)

# Debian's Chromium for the browser tests (tests/browser drives it with Playwright; Playwright's own
# browser download is never used). Installed once, when /usr/bin/chromium is missing.
CHROMIUM := /usr/bin/chromium
browser-deps:
	@test -x $(CHROMIUM) || { command -v apt-get >/dev/null || { echo "$(CHROMIUM) missing: install Chromium"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "apt-get install chromium did not provide $(CHROMIUM)"; exit 1; }

java-build: $(JAVA_JAR)

$(JAVA_JAR): $(shell find $(JAVA_SDK)/src/main $(JAVA_EXAMPLE)/src -name '*.java' 2>/dev/null) $(JAVA_SDK)/pom.xml $(JAVA_EXAMPLE)/pom.xml $(wildcard schemas/v*/*.avsc)
	@command -v mvn >/dev/null || { echo "mvn not found: install Maven 3.8+ and Java 17 (apt-get install maven openjdk-17-jdk-headless)"; exit 1; }
	mvn -q -B -f $(JAVA_SDK)/pom.xml install -DskipTests
	mvn -q -B -f $(JAVA_EXAMPLE)/pom.xml package -DskipTests

# ---- running -----------------------------------------------------------------------------------
timer-start:
	@date +%s > $(LEGATO_HOME).start 2>/dev/null || { mkdir -p $(LEGATO_HOME); date +%s > $(LEGATO_HOME).start; }

up: install dashboard-build
	@$(STACK) start
	@$(WITH_KAFKA_ENV) $(PROC) start orchestrator -- $(VENV)/bin/legato serve
	@$(PROC) wait-http $(API_URL)/readyz 90 --log orchestrator
	@$(MAKE) --no-print-directory urls

urls:
	@echo "Legato is up:"
	@echo "  API        $(API_URL)   (docs $(API_URL)/docs, runs $(API_URL)/workflow/runs)"
	@echo "  dashboard  $(API_URL)/ui/"
	@echo "  metrics    $(API_URL)/metrics"
	@echo "  CLI        $(VENV)/bin/legato"
	@echo "  logs       $(LEGATO_HOME)/logs/"

python: up
	@$(WITH_KAFKA_ENV) $(PROC) start worker-python -- $(PY) examples/python/worker.py
	@$(WITH_KAFKA_ENV) $(PROC) start worker-python-orders -- $(PY) examples/python/order_worker.py
	@$(WITH_KAFKA_ENV) $(PROC) start worker-python-dag -- $(PY) examples/python/dag_worker.py

node: up node-build
	@$(WITH_KAFKA_ENV) $(PROC) start worker-node -- node $(NODE_EXAMPLE)/dist/worker.js

java: up java-build
	@$(WITH_KAFKA_ENV) $(PROC) start worker-java -- java -jar $(JAVA_JAR)

all: timer-start
	@$(MAKE) --no-print-directory python node java
	@echo "make all took $$(( $$(date +%s) - $$(cat $(LEGATO_HOME).start) )) s"

demo: install
	@$(WITH_KAFKA_ENV) $(PY) examples/demo.py --api $(API_URL)

bench: up node-build java-build
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_fanout.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_history.py
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/sdk_throughput.py
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/backlog.py --timeouts '{"startToCloseSeconds": 2, "scheduleToStartSeconds": 2}'

# A bounded soak (~2-4 min): kill -9 of the orchestrator and workers, poison, bad requests.
chaos: install
	@$(STACK) start
	@$(WITH_KAFKA_ENV) $(PY) tests/chaos/chaos.py $(CHAOS_ARGS)

stop:
	@$(PROC) stop-all
	@$(STACK) stop

clean: stop
	@$(STACK) clean

# ---- quality -----------------------------------------------------------------------------------
test: install node-build java-build dashboard-build browser-deps
	@$(STACK) start
	$(WITH_KAFKA_ENV) $(MAKE) --no-print-directory test-python test-node test-java test-dashboard

# The browser tests run in a process of their own: Playwright's sync API keeps an event loop
# running in the main thread for as long as its browser lives, which asyncio-based tests cannot share.
test-python:
	$(VENV)/bin/pytest --ignore=tests/browser --durations=30
	$(VENV)/bin/pytest tests/browser

test-node:
	cd $(NODE_SDK) && npm test --silent

# The dashboard in real Chromium against an isolated orchestrator (also part of test-python).
test-browser: install dashboard-build browser-deps
	@$(STACK) start
	$(WITH_KAFKA_ENV) $(VENV)/bin/pytest tests/browser -q

test-dashboard: $(DASHBOARD_DEPS)
	cd $(DASHBOARD) && npm test --silent

test-java:
	mvn -q -B -f $(JAVA_SDK)/pom.xml verify
	mvn -q -B -f $(JAVA_EXAMPLE)/pom.xml verify

lint: install $(DASHBOARD_DEPS)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy orchestrator/src worker-sdk-python/src protocol-python/src
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/lint-imports --no-logo --config worker-sdk-python/importlinter.ini
	cd $(NODE_SDK) && npm run lint --silent && npm run format:check --silent
	cd $(DASHBOARD) && npm run lint --silent && npm run format:check --silent
	$(DASHBOARD)/scripts/api-types.sh $(CURDIR)/$(PY) --check
	mvn -q -B -f $(JAVA_SDK)/pom.xml spotless:check
	mvn -q -B -f $(JAVA_EXAMPLE)/pom.xml spotless:check

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	cd $(NODE_SDK) && npx prettier --write src test
	cd $(DASHBOARD) && npx prettier --write .
	mvn -q -B -f $(JAVA_SDK)/pom.xml spotless:apply
