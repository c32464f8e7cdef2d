#!/usr/bin/env bash
# `make demo`: a private PostgreSQL, the control plane and a gateway worker, on loopback.
# Runs until Ctrl-C (or `make demo-stop` from another terminal). A second run reuses DATA.
set -euo pipefail
data=$1
bin=$2
here=$(cd "$(dirname "$0")" && pwd)
cp_port=${PORTCULLIS_DEMO_CONTROL_PLANE_PORT:-8080}
gw_port=${PORTCULLIS_DEMO_GATEWAY_PORT:-8081}
mkdir -p "$data/logs" "$data/run" "$data/spool"

conninfo=$("$here/../scripts/postgres.sh" start "$data/postgres")
psql "$conninfo" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'portcullis'" | grep -q 1 \
    || psql "$conninfo" -qc "CREATE DATABASE portcullis"
database_url="${conninfo/dbname=postgres/dbname=portcullis}"

# Secrets are made once and kept in the data folder, so a second run can read what the first wrote.
[ -f "$data/secret-keys" ] || echo "v1:$(head -c 32 /dev/urandom | base64)" >"$data/secret-keys"
[ -f "$data/worker-token" ] || "$bin/controlplane" new-token worker >"$data/worker-token"
chmod 600 "$data/secret-keys" "$data/worker-token"

export PORTCULLIS_DATABASE_URL=$database_url
export PORTCULLIS_SECRET_KEYS=$(cat "$data/secret-keys")
# The demo's upstream is plain http on loopback; a production upstream is https and public.
export PORTCULLIS_ALLOW_UPSTREAM_CIDRS=127.0.0.0/8,::1/128
export PORTCULLIS_ALLOW_PLAIN_HTTP_UPSTREAMS=true

"$bin/controlplane" serve --port "$cp_port" --worker-tokens "$(cat "$data/worker-token")" \
    --public-gateway-url "http://127.0.0.1:$gw_port" >"$data/logs/controlplane.log" 2>&1 &
echo $! >"$data/run/controlplane.pid"
"$bin/gateway" serve --port "$gw_port" --control-plane-url "http://127.0.0.1:$cp_port" \
    --worker-token "$(cat "$data/worker-token")" --audit-spool-dir "$data/spool" \
    --worker-id demo-worker-1 >"$data/logs/gateway.log" 2>&1 &
echo $! >"$data/run/gateway.pid"

trap '"$here/stop.sh" "$data"; exit 0' INT TERM

wait_healthy() {
    for _ in $(seq 1 100); do
        curl -fsS "$1/healthz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "$2 did not start; its log:" >&2
    tail -n 20 "$data/logs/$2.log" >&2
    "$here/stop.sh" "$data"
    exit 1
}
wait_healthy "http://127.0.0.1:$cp_port" controlplane
wait_healthy "http://127.0.0.1:$gw_port" gateway

cat <<TEXT

Portcullis is running.
  PostgreSQL     $database_url
  control plane  http://127.0.0.1:$cp_port   (admin API /v1, /healthz, /readyz, /metrics)
  gateway        http://127.0.0.1:$gw_port   (MCP endpoint /mcp/{serverId}, /healthz, /readyz, /metrics)
  logs           $data/logs/
Stop with Ctrl-C, or 'make demo-stop' from another terminal.
TEXT
wait
