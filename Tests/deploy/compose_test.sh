#!/usr/bin/env bash
# The compose test (Tests/deploy/test_compose.py): the Portcullis image built from BIN_DIR (the debug
# build `make test` made), the compose stack under podman-compose, an SDK session through nginx.
#   Tests/deploy/compose_test.sh BIN_DIR PYTEST_VENV COMPOSE_VENV     (run by `make test`)
# PYTEST_VENV has pytest and the MCP Python SDK (the interop suite's). Bounded: pytest-timeout stops
# it after PORTCULLIS_COMPOSE_TIMEOUT seconds (default 2400, base images made from scratch included),
# and the test removes what it started however it ends.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# The arguments may be relative to the caller's folder (make passes .venv-interop): resolve them first.
bin=$(realpath "$1"); pytest_venv=$(realpath "$2"); compose_venv=$(realpath "$3")
cd "$here"
exec "$pytest_venv/bin/python" -m pytest "$here/test_compose.py" -p no:cacheprovider --rootdir "$here" -v -rfEs -s \
    --timeout "${PORTCULLIS_COMPOSE_TIMEOUT:-2400}" --bin "$bin" --compose-venv "$compose_venv" "${@:4}"
