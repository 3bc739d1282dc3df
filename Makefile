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

.PHONY: all up python node java demo test test-python test-node test-java bench chaos chaos-ha stop clean lint \
        format install node-build java-build timer-start timer-report urls dashboard-build test-dashboard \
        browser-deps test-browser api-types lint-helm helm-tools bench-compare

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

# LEGATO_ORCHESTRATORS=N: N `legato serve` on the one database, the Nth on port 8080 + N-1 (or
# LEGATO_API_PORT + N-1); the first is named orchestrator, the others orchestrator-N (their logs).
# LEGATO_KAFKA_BROKERS=3: a 3-broker Kafka cluster (deploy/stack.sh, docs/operations.md).
ORCHESTRATORS := $(or $(LEGATO_ORCHESTRATORS),1)
API_PORT := $(or $(LEGATO_API_PORT),8080)
orchestrator_name = $(if $(filter 1,$(1)),orchestrator,orchestrator-$(1))
orchestrator_port = $(shell echo $$(( $(API_PORT) + $(1) - 1 )))
ORCHESTRATOR_NUMBERS := $(shell seq 1 $(ORCHESTRATORS))

up: install dashboard-build
	@$(STACK) start
	@$(foreach n,$(ORCHESTRATOR_NUMBERS),$(WITH_KAFKA_ENV) LEGATO_API_PORT=$(call orchestrator_port,$(n)) \
	  $(PROC) start $(call orchestrator_name,$(n)) -- $(VENV)/bin/legato serve &&) true
	@$(foreach n,$(ORCHESTRATOR_NUMBERS),$(PROC) wait-http http://127.0.0.1:$(call orchestrator_port,$(n))/readyz 90 \
	  --log $(call orchestrator_name,$(n)) &&) true
	@$(MAKE) --no-print-directory urls

urls:
	@echo "Legato is up:"
	@echo "  API        $(API_URL)   (docs $(API_URL)/docs, runs $(API_URL)/workflow/runs)"
	@echo "  dashboard  $(API_URL)/ui/"
	@echo "  metrics    $(API_URL)/metrics"
	@$(WITH_KAFKA_ENV) echo "  Kafka      $${LEGATO_KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$${KAFKA_PORT:-9092}}   (client settings in $(KAFKA_CLIENT_ENV))"
	@echo "  CLI        $(VENV)/bin/legato"
	@echo "  logs       $(LEGATO_HOME)/logs/"
	@$(foreach n,$(filter-out 1,$(ORCHESTRATOR_NUMBERS)),echo "  API $(n)      http://127.0.0.1:$(call orchestrator_port,$(n))   ($(call orchestrator_name,$(n)))" &&) true

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
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench.py --api $(API_URL) --runs 600 --rate 20
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench.py --api $(API_URL) --runs 6000 --batch 100
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_fanout.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_topic.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_flow.py --api $(API_URL)
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/bench_history.py
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/sdk_throughput.py
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/backlog.py --timeouts '{"startToCloseSeconds": 2, "scheduleToStartSeconds": 2}'

# The same 3-step no-op workflow on Legato (this stack), a Temporal dev server and DBOS, side by side
# (docs/performance.md). The peers are installed on first use under $(LEGATO_HOME)/peers/ (the
# Temporal CLI is built with Go: several minutes, once). Options: BENCH_COMPARE_ARGS, e.g.
# "--systems temporal,dbos --temporal-runs 500" (see tests/bench/compare/compare.py --help).
bench-compare: up
	@$(WITH_KAFKA_ENV) $(PY) tests/bench/compare/compare.py --api $(API_URL) $(BENCH_COMPARE_ARGS)

# A bounded soak (~2-4 min): kill -9 of the orchestrator and workers, poison, bad requests.
chaos: install
	@$(STACK) start
	@$(WITH_KAFKA_ENV) $(PY) tests/chaos/chaos.py $(CHAOS_ARGS)

# A bounded soak on a private 3-broker cluster with two orchestrators (its own ports and data,
# deleted at the end; the dev stack is left alone): broker, orchestrator and worker kills and a
# PostgreSQL restart, with the failover times (docs/operations.md).
chaos-ha: install
	@$(STACK) install
	@$(PY) tests/chaos/chaos_ha.py $(CHAOS_HA_ARGS)

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

test-node: node-build
	cd $(NODE_SDK) && npm test --silent
	cd $(NODE_EXAMPLE) && npm test --silent

# The dashboard in real Chromium against an isolated orchestrator (also part of test-python).
test-browser: install dashboard-build browser-deps
	@$(STACK) start
	$(WITH_KAFKA_ENV) $(VENV)/bin/pytest tests/browser -q

test-dashboard: $(DASHBOARD_DEPS)
	cd $(DASHBOARD) && npm test --silent

test-java:
	mvn -q -B -f $(JAVA_SDK)/pom.xml verify
	mvn -q -B -f $(JAVA_EXAMPLE)/pom.xml verify

lint: install $(DASHBOARD_DEPS) node-build
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
	@$(MAKE) --no-print-directory lint-helm

# The Helm chart (deploy/helm/legato, docs/kubernetes.md): helm lint, then every manifest rendered
# with the default values and each deploy/helm/legato/ci/*.yaml validated by kubeconform -strict
# against the Kubernetes JSON schemas of KUBE_VERSION and the prometheus-operator CRDs' schemas, and
# each container's LEGATO_* variables against the code that reads them (deploy/helm/envcheck.py).
# Nothing comes from GitHub: helm and kubeconform are built with `go install` (Go module proxy),
# the Kubernetes schemas are in the kubernetes-validate wheel (PyPI, pinned with its hash in
# deploy/helm/schema-requirements.txt), the CRDs in the prometheus-operator Go module. Each is made
# once into .legato/tools (again when its version here changes); the first build of helm takes
# about 3 to 4 minutes on 2 cores.
TOOLS := $(CURDIR)/.legato/tools
HELM_VERSION := v3.22.1
KUBECONFORM_VERSION := v0.8.0
KUBE_VERSION := 1.31.0
PROMETHEUS_OPERATOR_VERSION := v0.85.0
# The Kubernetes release helm assumes without --kube-version: helm's own release build sets it from
# its k8s.io/client-go (v0.37 for helm v3.22).
HELM_K8S_MINOR := 37
HELM_LDFLAGS := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
                -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR) \
                -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR)
HELM := $(TOOLS)/bin/helm
KUBECONFORM := $(TOOLS)/bin/kubeconform
SCHEMAS := $(TOOLS)/schemas
HELM_STAMP := $(TOOLS)/.helm-$(HELM_VERSION)
KUBECONFORM_STAMP := $(TOOLS)/.kubeconform-$(KUBECONFORM_VERSION)
K8S_SCHEMAS_STAMP := $(SCHEMAS)/.kubernetes-$(KUBE_VERSION)
CRD_SCHEMAS_STAMP := $(SCHEMAS)/.prometheus-operator-$(PROMETHEUS_OPERATOR_VERSION)
GO_CHECK := command -v go >/dev/null || { echo "go not found: install Go 1.26+ (helm $(HELM_VERSION) needs it)"; exit 1; }

lint-helm: helm-tools $(VENV)/.installed
	HELM=$(HELM) KUBECONFORM=$(KUBECONFORM) SCHEMAS=$(SCHEMAS) KUBE_VERSION=$(KUBE_VERSION) PYTHON=$(CURDIR)/$(PY) \
	  deploy/helm/lint.sh

helm-tools: $(HELM_STAMP) $(KUBECONFORM_STAMP) $(K8S_SCHEMAS_STAMP) $(CRD_SCHEMAS_STAMP)

$(HELM_STAMP):
	@$(GO_CHECK)
	@echo "building helm $(HELM_VERSION) with go install (once: a few minutes)"
	GOBIN=$(TOOLS)/bin CGO_ENABLED=0 go install -ldflags '$(HELM_LDFLAGS)' helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	@rm -f $(TOOLS)/.helm-* && touch $@

$(KUBECONFORM_STAMP):
	@$(GO_CHECK)
	GOBIN=$(TOOLS)/bin CGO_ENABLED=0 go install github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)
	@rm -f $(TOOLS)/.kubeconform-* && touch $@

$(K8S_SCHEMAS_STAMP): deploy/helm/schema-requirements.txt deploy/helm/schemas.py | $(VENV)/.installed
	rm -rf $(SCHEMAS)/kubernetes $(TOOLS)/wheels $(SCHEMAS)/.kubernetes-*
	$(VENV)/bin/pip download -q --no-deps --only-binary=:all: --require-hashes \
	  -r deploy/helm/schema-requirements.txt -d $(TOOLS)/wheels
	$(PY) deploy/helm/schemas.py kubernetes $(TOOLS)/wheels/kubernetes_validate-*.whl $(KUBE_VERSION) $(SCHEMAS)/kubernetes
	rm -rf $(TOOLS)/wheels
	@touch $@

$(CRD_SCHEMAS_STAMP): deploy/helm/schemas.py | $(VENV)/.installed
	@$(GO_CHECK)
	rm -rf $(SCHEMAS)/crds $(SCHEMAS)/.prometheus-operator-*
	module=$$(go mod download -json github.com/prometheus-operator/prometheus-operator@$(PROMETHEUS_OPERATOR_VERSION) \
	  | $(PY) -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') && \
	  $(PY) deploy/helm/schemas.py crds "$$module/example/prometheus-operator-crd" $(SCHEMAS)/crds
	@touch $@

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
	cd $(NODE_SDK) && npx prettier --write src test
	cd $(DASHBOARD) && npx prettier --write .
	mvn -q -B -f $(JAVA_SDK)/pom.xml spotless:apply
