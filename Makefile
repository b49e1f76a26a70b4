# Two commands for a newcomer: `make run` and `make test`. Everything they need is
# installed on first use: Python packages (pinned with hashes in requirements.lock),
# code generated from proto/, the Kafka broker's jars (Maven Central) and, for the
# tests, PostgreSQL (Debian's package).

PYTHON       ?= python3.11
VENV         := .venv
PY           := $(VENV)/bin/python
KAFKA_LIB    := .cache/kafka/lib
GEN          := gen/python
PROTOS       := $(shell find proto -name '*.proto')
PYTEST_ARGS  ?=
# Helm, built from source through the Go module proxy (no download site is reachable).
HELM_VERSION := v4.3.2
HELM         := .cache/helm/$(HELM_VERSION)/helm
# buf (lint and breaking-change checks of proto/), built the same way.
BUF_VERSION  := v1.75.0
BUF          := .cache/buf/$(BUF_VERSION)/buf
RELEASED     := proto/released/l2c.v1.binpb
PIP          := $(PY) -m pip install -q --disable-pip-version-check --require-hashes
# `make run PORTS=auto` picks free ports for every process (default: 8000-8004 where free).
PORTS        ?=

.PHONY: chromium screenshots catalog contracts proto-lock run bench test test-containers test-unit test-integration test-e2e lint typecheck deps gen kafka-jars postgres clean lock helm

run: deps kafka-jars
	$(VENV)/bin/l2c run $(if $(PORTS),--ports $(PORTS))

# The insights engine and worker on a generated quarter, then the whole product end to end
# (`make run`'s stack under 1, 8 and 32 concurrent clients, then 32 again after growing the
# business to BENCH_GROWN earlier leads; about half an hour, most of it growing; an empty
# BENCH_GROWN skips that); appended to docs/benchmarks.md.
BENCH_GROWN ?= 10000,100000
bench: deps kafka-jars
	$(PY) -m devenv.bench
	$(PY) -m devenv.flowbench --grown "$(BENCH_GROWN)"

test: deps kafka-jars postgres chromium helm contracts lint typecheck
	$(PY) -m pytest -p no:cacheprovider --ignore=tests/containers $(PYTEST_ARGS)

# The one image built, and docker-compose.yml run by podman-compose with Kafka and
# PostgreSQL images made here (podman, as root; installs podman and debootstrap from
# Debian when missing). CI runs it.
test-containers: deps kafka-jars
	infra/containers/build.sh
	$(PY) -m pytest -p no:cacheprovider tests/containers $(PYTEST_ARGS)

test-unit: deps
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: deps kafka-jars postgres
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: deps kafka-jars chromium
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# The README's screenshots of the pages, taken by their browser test (docs/screenshots/).
screenshots: deps kafka-jars chromium
	L2C_PAGE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(PY) -m pytest -p no:cacheprovider \
	  tests/e2e/test_pages.py $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff check kernel services devenv tests examples

typecheck: deps
	$(VENV)/bin/mypy kernel services devenv

deps: $(VENV)/.installed gen

$(VENV)/.installed: requirements.lock requirements-bootstrap.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# The venv's stock pip may be too old for the lock: install the pinned one first.
	$(PIP) -r requirements-bootstrap.lock
	$(PIP) -r requirements.lock
	# The project itself, editable and without dependencies: puts `l2c` on the venv's PATH.
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation \
	  --no-index -e .
	# The repository root and the generated code are importable from the venv.
	printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/$(GEN)" \
	  > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/l2c-dev.pth"
	touch $@

gen: $(GEN)/.stamp

$(GEN)/.stamp: $(PROTOS) $(VENV)/.installed
	rm -rf $(GEN) && mkdir -p $(GEN)
	$(PY) -m grpc_tools.protoc -Iproto \
	  -I"$$($(PY) -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')" \
	  --python_out=$(GEN) --mypy_out=$(GEN) \
	  --plugin=protoc-gen-mypy=$(VENV)/bin/protoc-gen-mypy $(PROTOS)
	touch $@

# The README's topic table, generated from kernel/topics.py and the compiled contracts.
catalog: gen
	$(PY) -m devenv.catalog write

# The contracts: `buf lint`, and `buf breaking` against the released contract (a removed
# or renumbered field, a removed message ... fails, naming each break).
contracts: $(BUF)
	$(BUF) lint
	$(BUF) breaking --against $(RELEASED)

# After adding fields or messages to proto/l2c/v1: record them as released.
proto-lock: contracts
	$(BUF) build --exclude-source-info -o $(RELEASED)

$(BUF):
	GOBIN=$(CURDIR)/$(dir $(BUF)) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

# `make helm`: the helm binary the chart tests use (minutes to build the first time).
helm: $(HELM)

$(HELM):
	GOBIN=$(CURDIR)/$(dir $(HELM)) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

kafka-jars: $(KAFKA_LIB)/.stamp

$(KAFKA_LIB)/.stamp: infra/kafka/pom.xml
	rm -rf $(KAFKA_LIB)
	mvn -B -q -f infra/kafka/pom.xml dependency:copy-dependencies \
	  -DoutputDirectory=$(CURDIR)/$(KAFKA_LIB) -DincludeScope=runtime
	touch $@

# Debian's PostgreSQL server binaries, for the integration tests' temporary cluster.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql package"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; }

# Debian's Chromium, for the pages' browser tests (headless, driven over DevTools).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium package"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# Regenerate requirements.lock after changing pyproject.toml (needs `uv`).
lock:
	uv pip compile pyproject.toml --extra dev -p 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(GEN) .data .pytest_cache
