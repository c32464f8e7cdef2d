#!/usr/bin/env bash
# EXTRA_SETUP hook for run.sh: starts Portcullis (a private PostgreSQL, the control plane, and one
# gateway worker per audit durability the gateway offers: `--audit-durability process` and
# `machine` when `gateway serve --help` lists the flag, else one worker without it) in front of the
# fast upstream, and names two targets per worker (issue 11): `echo` allowed with no limit, and
# `echo` under the seed's policy shape (a per-grant limit counted in PostgreSQL, never reached).
# Contract: see README.md ("Putting our gateway into the same table").
# PORTCULLIS_BIN: the folder of the release `controlplane` and `gateway` (default: the project's
# .build-bench/release, which `make bench` builds).
# Based on the session-shared shared/bench/peers/start_portcullis.sh (issue 11).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${PORTCULLIS_BIN:-$here/../../.build-bench/release}
[[ -x $bin/gateway && -x $bin/controlplane ]] || { echo "no release binaries in $bin (swift build -c release --scratch-path .build-bench)" >&2; exit 1; }
CP_PORT=${PCS_CP_PORT:-9610} GW_PORT=${PCS_GW_PORT:-9611} PG_PORT=${PCS_PG_PORT:-9620}
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
[[ -x $pgbin/initdb ]] || { echo "PostgreSQL server binaries are missing (make deps)" >&2; exit 1; }
mkdir -p "$WORKDIR/logs"; chmod 755 "$WORKDIR"; chmod 777 "$WORKDIR/logs"

# PostgreSQL refuses to run as root: the cluster belongs to the postgres user when we are root.
pg=$WORKDIR/pg; mkdir -p "$pg"
as_pg() { if [[ $(id -u) == 0 ]]; then chown postgres "$pg" "$WORKDIR"; runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$pgbin/initdb" -D "$pg" -A trust -U postgres >&2
as_pg "$pgbin/pg_ctl" -D "$pg" -o "-p $PG_PORT -k $WORKDIR -c listen_addresses=127.0.0.1" -l "$WORKDIR/logs/pg.log" -w start >&2
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres portcullis
pgpid=$(head -1 "$pg/postmaster.pid")
db="postgresql://postgres@127.0.0.1:$PG_PORT/portcullis"
key="v1:$(head -c 32 /dev/urandom | base64)"; wk=$("$bin/controlplane" new-token worker)
common=(--database-url "$db" --secret-keys "$key" --allow-upstream-cidr 127.0.0.0/8 --allow-plain-http-upstreams --log-level warning)
"$bin/controlplane" serve --host 127.0.0.1 --port "$CP_PORT" "${common[@]}" --worker-tokens "$wk" \
  --public-gateway-url "http://127.0.0.1:$GW_PORT" > "$WORKDIR/logs/cp.log" 2>&1 &
cp=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$CP_PORT/healthz" >/dev/null && break; sleep 0.25; done

j() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
api() { curl -sf -X "$1" "http://127.0.0.1:$CP_PORT$2" -H 'Content-Type: application/json' ${KEY:+-H "Authorization: Bearer $KEY"} -d "${3:-}"; }
KEY=$(api POST /v1/signup '{"account_name":"bench","email":"bench@example.com","password":"bench bench bench bench"}' | j '["api_key"]')
sid=$(api POST /v1/servers "{\"name\":\"fast\",\"url\":\"$UPSTREAM_URL\",\"auth\":{\"type\":\"none\"}}" | j '["id"]')
grant_for() {  # shape document -> token
  local policy identity
  policy=$(api POST /v1/policies "{\"name\":\"$1\",\"server_id\":\"$sid\",\"document\":$2}" | j '["id"]')
  identity=$(api POST /v1/identities "{\"label\":\"bench-$1\"}" | j '["id"]')
  api POST /v1/grants "{\"identity_id\":\"$identity\",\"server_id\":\"$sid\",\"policy_id\":\"$policy\"}" | j '["token"]'
}
nolimit=$(grant_for nolimit '{"version":"1","default":"deny","tools":{"echo":{}}}')
limit=$(grant_for limit '{"version":"1","default":"deny","tools":{"echo":{"limits":[{"counter":"echo","window":"minute","max":100000000,"scope":"grant"}]}}}')

if "$bin/gateway" serve --help 2>/dev/null | grep -q -- --audit-durability; then modes=(process machine); else modes=(builtin); fi
pids=""; port=$GW_PORT
for mode in "${modes[@]}"; do
  flag=(); [[ $mode == builtin ]] || flag=(--audit-durability "$mode")
  "$bin/gateway" serve --host 127.0.0.1 --port "$port" "${common[@]}" --worker-token "$wk" \
    --control-plane-url "http://127.0.0.1:$CP_PORT" --audit-spool-dir "$WORKDIR/spool-$mode" --worker-id "bench-$mode" \
    ${flag[@]+"${flag[@]}"} > "$WORKDIR/logs/gw-$mode.log" 2>&1 &
  pids="$pids $!"
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.25; done
  echo "TARGET=portcullis-nolimit-$mode|http://127.0.0.1:$port/mcp/$sid|echo|Bearer $nolimit|"
  echo "TARGET=portcullis-limit-$mode|http://127.0.0.1:$port/mcp/$sid|echo|Bearer $limit|"
  port=$((port + 1))
done
sleep 1
# run.sh stops these in reverse order: the workers, then the control plane, then PostgreSQL.
echo "PIDS=$pgpid $cp${pids}"
