#!/usr/bin/env bash
# The deployment checks of `make test` (issue 13 items 3, 4, 6 and 7), from the repository root:
# the Kubernetes manifests rendered and validated, the systemd units verified, the alert rules
# and dashboard queries checked by promtool, and the configuration reference of
# docs/operations.md compared with the binaries' --help.
# Usage: Tests/deploy/run.sh BIN_FOLDER VENV
set -euo pipefail
bin=$1
venv=$2
"$venv/bin/python" Tests/deploy/validate_kubernetes.py
Tests/deploy/verify_systemd.sh "$bin"
"$venv/bin/python" Tests/deploy/check_observability.py
"$venv/bin/python" Tests/deploy/configuration_reference.py "$bin"
