# Portcullis: `make demo` runs the product, `make test` runs everything CI checks.
SWIFT ?= swift
VENV := .venv-test
DATA := $(CURDIR)/data

.PHONY: test demo demo-stop deps build clean bench

deps:
	@deploy/scripts/install-deps.sh

$(VENV)/.installed: Tests/requirements.txt
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check -r Tests/requirements.txt
	@touch $@

build: deps
	$(SWIFT) build --build-tests

test: deps $(VENV)/.installed build
	$(VENV)/bin/python Tests/docs/check_policy_examples.py
	Tests/api/schemathesis.sh "$$($(SWIFT) build --show-bin-path)" $(VENV)
	$(SWIFT) test --skip-build

demo: deps
	$(SWIFT) build --product controlplane
	$(SWIFT) build --product gateway
	@deploy/demo/run.sh "$(DATA)" "$$($(SWIFT) build --show-bin-path)"

demo-stop:
	@deploy/demo/stop.sh "$(DATA)"

bench:
	$(SWIFT) run -c release PolicyBenchmarks

clean:
	-@deploy/demo/stop.sh "$(DATA)"
	rm -rf .build $(VENV) $(DATA)
