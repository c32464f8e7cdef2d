#!/usr/bin/env bash
# Contract test of the admin API (issue 4): schemathesis generates requests from docs/openapi.yaml
# and checks every response against it, on a real control plane with a private PostgreSQL.
# Usage: Tests/api/schemathesis.sh BIN_DIR VENV_DIR    (run by `make test`)
set -euo pipefail
bin=$1
venv=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/portcullis-schemathesis.XXXXXX)
chmod 755 "$work"
cp_pid=""

cleanup() {
    [ -n "$cp_pid" ] && kill -TERM "$cp_pid" 2>/dev/null && wait "$cp_pid" 2>/dev/null
    "$root/deploy/scripts/postgres.sh" stop "$work/pg"
    rm -rf "$work"
}
trap cleanup EXIT

conninfo=$("$root/deploy/scripts/postgres.sh" start "$work/pg")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
worker_token=$("$bin/controlplane" new-token worker)
secret_keys="v1:$(head -c 32 /dev/urandom | base64)"

# Password hashing at full strength would make each generated signup cost seconds in a debug build.
# The per-account request rates are raised so the generated cases reach the handlers instead of the
# limiter (which answers the documented 429; its own tests are AdversarialTenantBoundsTests).
"$bin/controlplane" serve --port "$port" --database-url "$conninfo" --worker-tokens "$worker_token" \
    --secret-keys "$secret_keys" --password-hash-iterations 1000 --log-level warning \
    --admin-requests-per-minute 1000000 --simulations-per-minute 1000000 >"$work/controlplane.log" 2>&1 &
cp_pid=$!
for _ in $(seq 1 150); do curl -fsS "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$base/healthz" >/dev/null || { cat "$work/controlplane.log"; exit 1; }

api_key=$(curl -fsS -X POST "$base/v1/signup" -H 'Content-Type: application/json' \
    -d '{"account_name":"Contract","email":"contract@example.com","password":"correct horse battery"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["api_key"])')

# The served document must be the one in docs/.
curl -fsS "$base/v1/openapi.yaml" | cmp - "$root/docs/openapi.yaml"

# Checks left out, and why:
# - positive_data_acceptance: the API judges what a schema cannot say (an opaque cursor it did not
#   issue, an expiry in the past, a policy whose regex does not compile), so a schema-valid request
#   may rightly get 400. The reverse check (negative_data_rejection) stays on.
# - unsupported_method: Hummingbird answers an undeclared method on a known path with 404, not 405.
# Operations left out: registering, changing or discovering a server, and trusting an OIDC issuer,
# resolve and connect to the URL they are given; generated URLs name arbitrary hosts, which a test
# must not contact. The Swift suites (ServersAPITests, ToolCatalogTests, TrustedIssuersTests) cover
# them against a fake upstream or a local issuer on loopback.
# `logout` revokes the key it is called with, which would end the run's own key; the Swift suite
# ConsoleSessionTests covers it.
excluded_checks=positive_data_acceptance,unsupported_method
status=0
"$venv/bin/schemathesis" --no-color run "$root/docs/openapi.yaml" --url "$base" \
    --header "Authorization: Bearer $api_key" \
    --phases examples,coverage,fuzzing --checks all --exclude-checks "$excluded_checks" \
    --max-examples 25 --seed 20261124 --workers 2 \
    --exclude-path-regex '^/internal/' \
    --exclude-operation-id createServer --exclude-operation-id updateServer --exclude-operation-id discoverServer \
    --exclude-operation-id createTrustedIssuer \
    --exclude-operation-id logout \
    --suppress-health-check too_slow \
    --generation-database none || status=$?
# Worker endpoints take a worker token, not an API key.
"$venv/bin/schemathesis" --no-color run "$root/docs/openapi.yaml" --url "$base" \
    --header "Authorization: Bearer $worker_token" \
    --phases examples,coverage,fuzzing --checks all --exclude-checks "$excluded_checks" \
    --max-examples 25 --seed 20261124 --workers 1 \
    --include-path-regex '^/internal/' \
    --generation-database none || status=$?
if [ $status -ne 0 ]; then
    echo "--- control plane log (last 40 lines) ---"
    tail -n 40 "$work/controlplane.log"
fi
exit $status
