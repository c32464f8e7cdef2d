#!/usr/bin/env bash
# `make demo`: a private PostgreSQL, the control plane, two gateway workers behind nginx and the
# RunPod-like demo upstream, all on loopback; then deploy/demo/demo.py sets up an account through the
# admin API and runs a scripted agent session through nginx with the official MCP SDK client.
# Runs until Ctrl-C (or `make demo-stop` from another terminal). A second run reuses DATA.
#   run.sh DATA BIN_DIR VENV_DIR
set -euo pipefail
data=$(realpath -m "$1")
bin=$2
venv=$3
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cp_port=${PORTCULLIS_DEMO_CONTROL_PLANE_PORT:-8080}
gw_ports=(${PORTCULLIS_DEMO_WORKER_PORTS:-8081 8082})
lb_port=${PORTCULLIS_DEMO_PORT:-8000}
upstream_port=${PORTCULLIS_DEMO_UPSTREAM_PORT:-9100}
mkdir -p "$data/logs" "$data/run"

# Something left running by an earlier run (a terminal closed without Ctrl-C) is stopped first.
"$here/stop.sh" "$data" >/dev/null 2>&1 || true

conninfo=$("$root/deploy/scripts/postgres.sh" start "$data/postgres")
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

trap '"$here/stop.sh" "$data"; exit 0' INT TERM

start() {  # start NAME COMMAND...: in the background, log and pid in DATA
    local name=$1; shift
    "$@" >"$data/logs/$name.log" 2>&1 &
    echo $! >"$data/run/$name.pid"
}

wait_healthy() {  # wait_healthy URL NAME
    for _ in $(seq 1 150); do
        curl -fsS "$1" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    echo "$2 did not start; its log:" >&2
    tail -n 20 "$data/logs/$2.log" >&2
    "$here/stop.sh" "$data"
    exit 1
}

start upstream "$venv/bin/python" "$here/runpod_server.py" --port "$upstream_port"
start controlplane "$bin/controlplane" serve --port "$cp_port" --worker-tokens "$(cat "$data/worker-token")" \
    --public-gateway-url "http://127.0.0.1:$lb_port"
wait_healthy "http://127.0.0.1:$cp_port/readyz" controlplane

workers=()
for i in "${!gw_ports[@]}"; do
    n=$((i + 1))
    mkdir -p "$data/spool/gateway-$n"
    # Workers connect as portcullis_worker, the role migrations created (issue 10 item 19).
    start "gateway-$n" "$bin/gateway" serve --port "${gw_ports[$i]}" --control-plane-url "http://127.0.0.1:$cp_port" \
        --database-url "$database_url user=portcullis_worker" \
        --worker-token "$(cat "$data/worker-token")" --audit-spool-dir "$data/spool/gateway-$n" \
        --worker-id "demo-gw-$n" --counters postgres --snapshot-file "$data/spool/gateway-$n.snapshot"
    workers+=("127.0.0.1:${gw_ports[$i]}")
done
for i in "${!gw_ports[@]}"; do
    wait_healthy "http://127.0.0.1:${gw_ports[$i]}/readyz" "gateway-$((i + 1))"
done
"$root/deploy/nginx/nginx.sh" start "$data/nginx" "127.0.0.1:$lb_port" "${workers[@]}"
wait_healthy "http://127.0.0.1:$upstream_port/healthz" upstream

cat <<TEXT

Portcullis is running (logs in $data/logs/).
  PostgreSQL       $database_url
  control plane    http://127.0.0.1:$cp_port   (admin API /v1, /healthz, /readyz, /metrics)
  console          http://127.0.0.1:$cp_port/console   (the demo login is printed below)
  gateway workers  ${workers[*]}   (/mcp/{serverId}, /healthz, /readyz, /metrics)
  nginx            http://127.0.0.1:$lb_port   (round-robin over the workers; agents connect here)
  demo upstream    http://127.0.0.1:$upstream_port/mcp   (RunPod-like MCP server, 36 tools, in memory)

TEXT

"$venv/bin/python" "$here/demo.py" --data "$data" --control-plane "http://127.0.0.1:$cp_port" \
    --upstream "http://127.0.0.1:$upstream_port/mcp" || echo "the scripted session failed; the services keep running" >&2

cat <<TEXT

The services keep running: connect your own MCP client with the configuration above.
Stop with Ctrl-C, or 'make demo-stop' from another terminal.
TEXT
wait
