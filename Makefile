# Portcullis: `make demo` runs the product, `make test` runs everything CI checks.
SWIFT ?= swift
PYTHON ?= python3
VENV := .venv-test
DEMO_VENV := .venv-demo
INTEROP_VENV := .venv-interop
INTEROP_V2_VENV := .venv-interop-v2
DATA := $(CURDIR)/data
PIP_INSTALL = bin/pip install --quiet --disable-pip-version-check

.PHONY: test demo demo-stop deps build clean bench interop

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

build: deps
	$(SWIFT) build --build-tests

test: deps $(VENV)/.installed $(INTEROP_VENV)/.installed $(INTEROP_V2_VENV)/.installed build
	$(VENV)/bin/python Tests/docs/check_policy_examples.py
	Tests/api/schemathesis.sh "$$($(SWIFT) build --show-bin-path)" $(VENV)
	Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)
	$(SWIFT) test --skip-build

# The interoperability suite alone, against the debug build.
interop: deps $(INTEROP_VENV)/.installed $(INTEROP_V2_VENV)/.installed
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	Tests/interop/run.sh "$$($(SWIFT) build --show-bin-path)" $(INTEROP_VENV) $(INTEROP_V2_VENV)

demo: deps $(DEMO_VENV)/.installed
	$(SWIFT) build -c release --product controlplane
	$(SWIFT) build -c release --product gateway
	@deploy/demo/run.sh "$(DATA)" "$$($(SWIFT) build -c release --show-bin-path)" "$(CURDIR)/$(DEMO_VENV)"

demo-stop:
	@deploy/demo/stop.sh "$(DATA)"

bench: deps
	$(SWIFT) build -c release
	$(SWIFT) run -c release PolicyBenchmarks
	$(SWIFT) run -c release GatewayBenchmarks
	$(SWIFT) run -c release GatewayBenchmarks noisy

# The noisy-neighbour benchmark alone (issue 10 item 26, docs/performance.md "Noisy neighbour").
.PHONY: bench-noisy
bench-noisy: deps
	$(SWIFT) build -c release
	$(SWIFT) run -c release GatewayBenchmarks noisy

clean:
	-@deploy/demo/stop.sh "$(DATA)"
	rm -rf .build $(VENV) $(DEMO_VENV) $(INTEROP_VENV) $(INTEROP_V2_VENV) $(DATA)
