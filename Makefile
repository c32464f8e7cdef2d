# Portcullis: `make demo` runs the product, `make test` runs everything CI checks.
SWIFT ?= swift
PYTHON ?= python3
VENV := .venv-test
DEMO_VENV := .venv-demo
INTEROP_VENV := .venv-interop
INTEROP_V2_VENV := .venv-interop-v2
CONSOLE_VENV := .venv-console
COMPOSE_VENV := .venv-compose
DEPLOY_VENV := .venv-deploy
DATA := $(CURDIR)/data
PIP_INSTALL = bin/pip install --quiet --disable-pip-version-check
# libFuzzer targets (Fuzz/, docs/fuzzing.md): seconds per target for `make fuzz`; `make test` runs 30.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= json sse policy audit-spool

.PHONY: test demo demo-stop deps build clean bench interop console-test fuzz fuzz-build fuzz-seeds adversarial image

deps:
	@deploy/scripts/install-deps.sh

$(VENV)/.installed: Tests/requirements.txt
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/$(PIP_INSTALL) -r Tests/requirements.txt
	@touch $@

# The demo upstream and scripted agent: the official MCP Python SDK 1.x, pinned.
$(DEMO_VENV)/.installed: deploy/demo/requirements.txt
	@$(PYTHON) -m venv $(DEMO_VENV)
	@$(DEMO_VENV)/$(PIP_INSTALL) -r deploy/demo/requirements.txt
	@touch $@

# The interoperability suite: SDK 1.x and pytest in one venv, SDK 2.x in its own (they cannot share one).
$(INTEROP_VENV)/.installed: Tests/interop/requirements.txt
	@$(PYTHON) -m venv $(INTEROP_VENV)
	@$(INTEROP_VENV)/$(PIP_INSTALL) -r Tests/interop/requirements.txt
	@touch $@

$(INTEROP_V2_VENV)/.installed: Tests/interop/requirements-v2.txt
	@$(PYTHON) -m venv $(INTEROP_V2_VENV)
	@$(INTEROP_V2_VENV)/$(PIP_INSTALL) -r Tests/interop/requirements-v2.txt
	@touch $@

# The console's browser suite: Selenium (pinned) in its own venv, with the interop suite's packages.
$(CONSOLE_VENV)/.installed: Tests/console/requirements.txt Tests/interop/requirements.txt
	@$(PYTHON) -m venv $(CONSOLE_VENV)
	@$(CONSOLE_VENV)/$(PIP_INSTALL) -r Tests/console/requirements.txt
	@touch $@

# podman-compose for the compose test (Tests/deploy), pinned.
$(COMPOSE_VENV)/.installed: deploy/compose/requirements.txt
	@$(PYTHON) -m venv $(COMPOSE_VENV)
	@$(COMPOSE_VENV)/$(PIP_INSTALL) -r deploy/compose/requirements.txt
	@touch $@

# The deployment checks (Tests/deploy: Kubernetes manifests, systemd units, alert rules, the
# configuration reference of docs/operations.md): kubernetes-validate and its dependencies, pinned.
$(DEPLOY_VENV)/.installed: Tests/deploy/requirements.txt
	@$(PYTHON) -m venv $(DEPLOY_VENV)
	@$(DEPLOY_VENV)/$(PIP_INSTALL) -r Tests/deploy/requirements.txt
	@touch $@

build: deps
	$(SWIFT) build --build-tests

test: deps $(VENV)/.installed $(INTEROP_VENV)/.installed $(INTEROP_V2_VENV)/.installed $(CONSOLE_VENV)/.installed $(COMPOSE_VENV)/.installed $(DEPLOY_VENV)/.installed build fuzz-build
	$(VENV)/bin/python Tests/docs/check_policy_examples.py
	Tests/deploy/run.sh "$$($(SWIFT) build --show-bin-path)" $(DEPLOY_VENV)
	Tests/api/schemathesis.sh "$$($(SWIFT) build --show-bin-path)" $(VENV)
	Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)
	PORTCULLIS_SUITE_DIR=Tests/oauth Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)
	PORTCULLIS_SUITE_DIR=Tests/console Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(CONSOLE_VENV)
	Tests/deploy/compose_test.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(COMPOSE_VENV)
	Tests/swift-test.sh
	Fuzz/run.sh 30 $(FUZZ_TARGETS)

.PHONY: deploy-check operations-reference
# The deployment checks alone (issue 13 items 3, 4, 6 and 7), against the debug build.
deploy-check: deps $(DEPLOY_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	Tests/deploy/run.sh "$$($(SWIFT) build --show-bin-path)" $(DEPLOY_VENV)

# Rewrites the configuration reference in docs/operations.md from the binaries' --help.
operations-reference:
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	$(PYTHON) Tests/deploy/configuration_reference.py "$$($(SWIFT) build --show-bin-path)" --write

# PostgreSQL failover (a primary and a synchronous standby) and PgBouncer, alone (issue 13 item 5).
.PHONY: test-ha
test-ha: build
	$(SWIFT) test --skip-build --filter 'PostgresFailoverTests|PgBouncerTests'

# The adversarial suite alone (issue 10 item 24): every suite named Adversarial*.
adversarial: build
	$(SWIFT) test --skip-build --filter Adversarial

# A package of its own with its own .build, so the main build never sees a sanitizer flag.
fuzz-build:
	$(SWIFT) build -c release --package-path Fuzz

fuzz: fuzz-build
	Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrites Fuzz/Corpus/audit-spool with segments the gateway's own spool code frames and encodes.
fuzz-seeds:
	@mkdir -p Fuzz/.work/seeds
	@cp Fuzz/Tools/write-audit-spool-seeds.swift Fuzz/.work/seeds/main.swift
	swiftc -module-name Shared -lm -o Fuzz/.work/seeds/write-audit-spool-seeds Fuzz/Sources/Shared/JSON/*.swift \
		Fuzz/Sources/Shared/AuditEvent*.swift Fuzz/Sources/Shared/LowercaseHex.swift Fuzz/Sources/Shared/UUID+LowercaseText.swift \
		Fuzz/Sources/FuzzAuditSpool/Audit*.swift Fuzz/.work/seeds/main.swift
	Fuzz/.work/seeds/write-audit-spool-seeds Fuzz/Corpus/audit-spool

# The interoperability suite alone, against the debug build.
interop: deps $(INTEROP_VENV)/.installed $(INTEROP_V2_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)

# The OAuth interoperability suite alone (issue 14, also in `make test`): the SDKs' OAuth clients
# against the control plane as authorization server and the workers as protected resource, on the
# interop stack (Tests/oauth).
.PHONY: interop-oauth
interop-oauth: deps $(INTEROP_VENV)/.installed $(INTEROP_V2_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	PORTCULLIS_SUITE_DIR=Tests/oauth Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)

# The console's browser suite alone (issue 12), against the debug build; screenshots in .build/console-screenshots.
console-test: deps $(CONSOLE_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	PORTCULLIS_SUITE_DIR=Tests/console Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(CONSOLE_VENV)

demo: deps $(DEMO_VENV)/.installed
	$(SWIFT) build -c release --product controlplane
	$(SWIFT) build -c release --product gateway
	@deploy/demo/run.sh "$(DATA)" "$$($(SWIFT) build -c release --show-bin-path)" "$(CURDIR)/$(DEMO_VENV)"

demo-stop:
	@deploy/demo/stop.sh "$(DATA)"

# The compose test alone (Tests/deploy), against the debug build.
.PHONY: compose-test
compose-test: deps $(INTEROP_VENV)/.installed $(COMPOSE_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	Tests/deploy/compose_test.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(COMPOSE_VENV)

# The container image (docs/operations.md "Container image") from the host's release build, with
# podman and buildah on a local Debian base image: no registry needed.
IMAGE ?= localhost/portcullis:latest
image: deps
	$(SWIFT) build -c release --product controlplane
	$(SWIFT) build -c release --product gateway
	deploy/scripts/build-image.sh "$$($(SWIFT) build -c release --show-bin-path)" $(IMAGE)

# Every benchmark of docs/performance.md from one command (about 15 minutes after the release
# build): the policy engine, the gateway end to end, per-call costs, the floor (a bare Hummingbird +
# AsyncHTTPClient proxy beside nginx and the gateway), propagation, audit shipping
# and kill -9, the shipper's drain rate, memory (SOAK_MINUTES of soak), the wrk-based peer bench, the noisy neighbour.
BENCH_SCRATCH ?= .build-bench
BENCH_BIN = $(BENCH_SCRATCH)/release
SOAK_MINUTES ?= 2
PEER_SECONDS ?= 5
bench:
	@deploy/scripts/install-deps.sh bench
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH)
	$(BENCH_BIN)/PolicyBenchmarks
	$(BENCH_BIN)/GatewayBenchmarks
	$(BENCH_BIN)/GatewayBenchmarks syscalls
	$(BENCH_BIN)/GatewayBenchmarks floor
	$(BENCH_BIN)/GatewayBenchmarks propagation
	$(BENCH_BIN)/GatewayBenchmarks audit
	$(BENCH_BIN)/GatewayBenchmarks shipping
	$(BENCH_BIN)/GatewayBenchmarks memory --soak-minutes $(SOAK_MINUTES)
	$(MAKE) --no-print-directory bench-peers
	$(BENCH_BIN)/GatewayBenchmarks noisy

# The wrk-based side-by-side bench (Benchmarks/peers/README.md): direct, nginx and every gateway
# configuration (ContextForge and the SDK upstream left out; run Benchmarks/peers/run.sh for them).
.PHONY: bench-peers
bench-peers:
	@deploy/scripts/install-deps.sh bench
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH)
	PYTHON=$(PYTHON) PORTCULLIS_BIN=$(CURDIR)/$(BENCH_BIN) SKIP_CF=1 SKIP_SDK=1 DURATION=$(PEER_SECONDS) ROUNDS=2 \
		EXTRA_NAME=portcullis EXTRA_SETUP=$(CURDIR)/Benchmarks/peers/start_portcullis.sh Benchmarks/peers/run.sh

# The noisy-neighbour benchmark alone (issue 10 item 26, docs/performance.md "Noisy neighbour").
.PHONY: bench-noisy
bench-noisy: deps
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH)
	$(BENCH_BIN)/GatewayBenchmarks noisy

# The audit shipper's drain rate alone (issue 11 item 3).
.PHONY: bench-shipping
bench-shipping: deps
	$(SWIFT) build -c release --scratch-path $(BENCH_SCRATCH)
	$(BENCH_BIN)/GatewayBenchmarks shipping

clean:
	-@deploy/demo/stop.sh "$(DATA)"
	rm -rf .build Fuzz/.build Fuzz/.work $(VENV) $(DEMO_VENV) $(INTEROP_VENV) $(INTEROP_V2_VENV) $(CONSOLE_VENV) $(COMPOSE_VENV) $(DEPLOY_VENV) $(DATA)
