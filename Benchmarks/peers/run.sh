#!/usr/bin/env bash
# Side-by-side MCP gateway baseline on this machine, in one run:
#   direct (fast upstream)  |  nginx reverse proxy  |  IBM ContextForge  |  optional extra gateway
# plus the upstreams' own figures (fast raw-ASGI upstream, official MCP Python SDK FastMCP server).
#
# Everything runs on 127.0.0.1; every load run is bounded (wrk -d, at most 30 s); only processes
# started here are stopped, by PID. Runtime files live under $PEERBENCH_DIR (default /tmp/peerbench).
# See README.md beside this file for the knobs, the extra-gateway hook and the pitfalls.
# Copied from the session-shared peer bench (shared/bench/peers/, issue 11) into Benchmarks/peers/ so
# `make bench` runs it from a fresh clone; changes here: pinned upstream packages
# (requirements-upstream.txt), and an EXTRA_SETUP hook may name several targets (TARGET= lines).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${PEERBENCH_DIR:-/tmp/peerbench}
RUN=$WORK/run
DURATION=${DURATION:-10}            # seconds per wrk run (capped at 30)
ROUNDS=${ROUNDS:-2}                 # alternating rounds; the table shows the mean over rounds
CONCURRENCY=${CONCURRENCY:-"1 32"}
WARMUP=${WARMUP:-3}                 # seconds of warm-up per target before measuring
UP_PORT=${UP_PORT:-9100}
SDK_PORT=${SDK_PORT:-9200}
NGINX_PORT=${NGINX_PORT:-9300}
CF_PORT=${CF_PORT:-9400}
REDIS_PORT=${REDIS_PORT:-9500}
CF_VERSION=${CF_VERSION:-1.0.6}
MCP_VERSION=${MCP_VERSION:-1.30.0}
NCPU=$(nproc)
CF_WORKERS=${CF_WORKERS:-$(( NCPU * 2 + 1 > 16 ? 16 : NCPU * 2 + 1 ))}   # run-gunicorn.sh "auto"
CF_REDIS=${CF_REDIS:-0}             # 1: CACHE_TYPE=redis with a local redis-server (Debian package)
CF_SESSION_ROW=${CF_SESSION_ROW:-1} # 1: also measure ContextForge with a fixed Mcp-Session-Id header
SKIP_CF=${SKIP_CF:-0}
SKIP_SDK=${SKIP_SDK:-0}
EXTRA_NAME=${EXTRA_NAME:-extra}     # name of the optional extra target in the table
EXTRA_SETUP=${EXTRA_SETUP:-}        # script that starts an extra gateway (see README.md)
EXTRA_PIDS=""
PY=${PYTHON:-python3.11}

(( DURATION >= 1 && DURATION <= 30 )) || { echo "DURATION must be 1..30 s" >&2; exit 2; }
T_START=$(date +%s)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------- process bookkeeping
PIDS=()        # every PID started here (or reported by the extra hook): TERM in reverse order
LATE=()        # children of those (gunicorn workers): only KILLed if still alive after the TERM wait
track() { PIDS+=("$1"); echo "$1" >> "$RUN/pids"; }
track_late() { LATE+=("$1"); echo "$1" >> "$RUN/pids"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#PIDS[@]})); then
    log "stopping ${#PIDS[@]} processes we started"
    local i pid
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do
      pid=${PIDS[i]}; kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 60); do
      local alive=0
      for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
      ((alive)) || break
      sleep 0.25
    done
    for pid in "${PIDS[@]}" ${LATE[@]+"${LATE[@]}"}; do
      if kill -0 "$pid" 2>/dev/null; then log "PID $pid still alive, sending KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    done
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
busy() { die "port $1 is in use (a previous run still up? its PIDs are in $WORK/previous-run.pids; stop them by PID)"; }
wait_http() {  # url seconds [pid]
  local url=$1 secs=$2 pid=${3:-} i
  for ((i=0; i<secs*4; i++)); do
    curl -s -o /dev/null -m 2 "$url" && return 0
    [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null && return 1
    sleep 0.25
  done
  return 1
}
mem_kb() {  # pids... -> "rss_kb pss_kb" summed over the given PIDs and all their descendants
  local all=() p
  collect() { local q; all+=("$1"); for q in $(pgrep -P "$1" || true); do collect "$q"; done; }
  for p in "$@"; do kill -0 "$p" 2>/dev/null && collect "$p"; done
  local rss=0 pss=0 r s
  for p in "${all[@]}"; do
    r=$(awk '/^VmRSS:/{print $2}' /proc/$p/status 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0}))
  done
  echo "$rss $pss ${#all[@]}"
}
upstream_total() { curl -s -m 2 "http://127.0.0.1:$UP_PORT/stats" | "$PY" -c 'import json,sys; print(sum(json.load(sys.stdin).values()))'; }
upstream_settled() {  # the counter once a slow gateway has finished the calls wrk abandoned at its end
  local prev cur i
  prev=$(upstream_total || echo 0)
  for i in $(seq 1 20); do sleep 0.25; cur=$(upstream_total || echo 0); [[ $cur == "$prev" ]] && break; prev=$cur; done
  echo "$prev"
}

# ---------------------------------------------------------------- 1. install what is missing
install_prereqs() {
  local need=()
  command -v wrk >/dev/null || need+=(wrk)
  command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need+=(nginx)
  command -v ss >/dev/null || need+=(iproute2)
  command -v curl >/dev/null || need+=(curl)
  [[ $CF_REDIS == 1 ]] && ! command -v redis-server >/dev/null && need+=(redis-server)
  if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    apt-get update -qq >/dev/null
    # policy-rc.d in containers stops the Debian nginx/redis services from auto-starting; we start our own.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  command -v "$PY" >/dev/null || die "$PY not found (ContextForge $CF_VERSION needs Python 3.11-3.13)"
  # The upstreams' packages are pinned in requirements-upstream.txt; the venv is remade when it changes.
  if ! cmp -s "$HERE/requirements-upstream.txt" "$WORK/venv-up/requirements-upstream.txt" \
     || ! "$WORK/venv-up/bin/python" -c "import uvicorn, uvloop, httptools, orjson, mcp" 2>/dev/null; then
    log "creating $WORK/venv-up from requirements-upstream.txt"
    rm -rf "$WORK/venv-up"; "$PY" -m venv "$WORK/venv-up"
    "$WORK/venv-up/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements-upstream.txt"
    cp "$HERE/requirements-upstream.txt" "$WORK/venv-up/"
  fi
  if [[ $SKIP_CF != 1 ]] && [[ $("$WORK/venv-cf/bin/pip" show mcp-contextforge-gateway 2>/dev/null | awk '/^Version:/{print $2}') != "$CF_VERSION" ]]; then
    log "creating $WORK/venv-cf (mcp-contextforge-gateway==$CF_VERSION, mcp==$MCP_VERSION)"
    rm -rf "$WORK/venv-cf"; "$PY" -m venv "$WORK/venv-cf"
    # mcp must stay on 1.x: with the resolver's default (mcp 2.x) mcpgateway 1.0.6 fails at import
    # (streamablehttp_client is gone); pinning mcp also pulls cpex back to 0.1.3.
    "$WORK/venv-cf/bin/pip" install -q --disable-pip-version-check "mcp-contextforge-gateway==$CF_VERSION" "mcp==$MCP_VERSION"
  fi
}

# ---------------------------------------------------------------- 2. start servers
start_upstreams() {
  port_free "$UP_PORT" || busy "$UP_PORT"
  (cd "$HERE" && exec "$WORK/venv-up/bin/uvicorn" fast_upstream:app --host 127.0.0.1 --port "$UP_PORT" \
      --loop uvloop --http httptools --no-access-log --log-level warning) > "$RUN/fast_upstream.log" 2>&1 &
  UP_PID=$!; track $UP_PID
  wait_http "http://127.0.0.1:$UP_PORT/health" 30 $UP_PID || die "fast upstream did not start (see $RUN/fast_upstream.log)"
  if [[ $SKIP_SDK != 1 ]]; then
    port_free "$SDK_PORT" || busy "$SDK_PORT"
    (cd "$HERE" && exec "$WORK/venv-up/bin/uvicorn" sdk_upstream:app --host 127.0.0.1 --port "$SDK_PORT" \
        --loop uvloop --http httptools --no-access-log --log-level warning) > "$RUN/sdk_upstream.log" 2>&1 &
    SDK_PID=$!; track $SDK_PID
    # any HTTP answer means it is up (GET /mcp is 406/405 there)
    wait_http "http://127.0.0.1:$SDK_PORT/mcp" 30 $SDK_PID || die "SDK upstream did not start (see $RUN/sdk_upstream.log)"
  fi
}

start_nginx() {
  port_free "$NGINX_PORT" || busy "$NGINX_PORT"
  local d=$RUN/nginx; mkdir -p "$d/logs"
  cat > "$d/nginx.conf" <<EOF
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/client_body;
  proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi;
  uwsgi_temp_path $d/uwsgi;
  scgi_temp_path $d/scgi;
  keepalive_requests 1000000;
  upstream mcp_up { server 127.0.0.1:$UP_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://mcp_up;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
EOF
  nginx -t -q -p "$d" -c "$d/nginx.conf" 2>> "$d/logs/error.log" || die "nginx config invalid"
  nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;' > "$d/logs/stdout.log" 2>&1 &
  NGINX_PID=$!; track $NGINX_PID
  wait_http "http://127.0.0.1:$NGINX_PORT/health" 20 $NGINX_PID || die "nginx did not start"
}

start_contextforge() {
  port_free "$CF_PORT" || busy "$CF_PORT"
  local d=$RUN/cf; mkdir -p "$d"
  if [[ $CF_REDIS == 1 ]]; then
    port_free "$REDIS_PORT" || busy "$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$d" \
      --protected-mode yes > "$d/redis.log" 2>&1 &
    REDIS_PID=$!; track $REDIS_PID
    sleep 0.5
  fi
  # "MCP-only deployment" profile from ContextForge's tuning guide (docs/docs/manage/tuning.md §10),
  # on SQLite. RATE_LIMITING_ENABLED=false is required: the default MCP tier allows 100 req/min.
  # SSRF_ALLOW_LOCALHOST=true is required to register a 127.0.0.1 upstream.
  cat > "$d/cf.env" <<EOF
HOST=127.0.0.1
PORT=$CF_PORT
CF_WORKERS=$CF_WORKERS
DATABASE_URL=sqlite:///$d/mcp.db
JWT_SECRET_KEY=peerbench-jwt-secret-key-at-least-32-bytes
AUTH_ENCRYPTION_SECRET=peerbench-encryption-secret-32-bytes-long
BASIC_AUTH_USER=admin
BASIC_AUTH_PASSWORD=peerbench-basic-pass
PLATFORM_ADMIN_EMAIL=admin@example.com
PLATFORM_ADMIN_PASSWORD="Peerbench-Admin-Pass-123!"
PLATFORM_ADMIN_FULL_NAME="Peerbench Admin"
SSRF_ALLOW_LOCALHOST=true
RATE_LIMITING_ENABLED=false
LOG_LEVEL=ERROR
MCPGATEWAY_UI_ENABLED=false
MCPGATEWAY_ADMIN_API_ENABLED=false
MCPGATEWAY_A2A_ENABLED=false
MCPGATEWAY_CATALOG_ENABLED=false
LLMCHAT_ENABLED=false
PLUGINS_ENABLED=false
OBSERVABILITY_ENABLED=false
ENABLE_METRICS=false
AUDIT_TRAIL_ENABLED=false
SECURITY_LOGGING_ENABLED=false
STRUCTURED_LOGGING_DATABASE_ENABLED=false
CORRELATION_ID_ENABLED=false
DB_METRICS_RECORDING_ENABLED=false
MCPGATEWAY_PERFORMANCE_NET_CONNECTIONS_ENABLED=false
COMPRESSION_ENABLED=false
AUTH_CACHE_ENABLED=true
AUTH_CACHE_BATCH_QUERIES=true
REGISTRY_CACHE_ENABLED=true
TOOL_LOOKUP_CACHE_ENABLED=true
JSON_RESPONSE_ENABLED=true
USE_STATEFUL_SESSIONS=false
EOF
  if [[ $CF_REDIS == 1 ]]; then
    printf 'CACHE_TYPE=redis\nREDIS_URL=redis://127.0.0.1:%s/0\n' "$REDIS_PORT" >> "$d/cf.env"
  else
    echo "CACHE_TYPE=memory" >> "$d/cf.env"
  fi
  local t0; t0=$(date +%s.%N)
  (cd "$d" && set -a && . ./cf.env && set +a && \
    exec "$WORK/venv-cf/bin/gunicorn" -c "$HERE/cf_gunicorn.conf.py" mcpgateway.main:app) > "$d/gunicorn.log" 2>&1 &
  CF_PID=$!; track $CF_PID
  wait_http "http://127.0.0.1:$CF_PORT/health" 120 $CF_PID || die "ContextForge did not start (see $d/gunicorn.log)"
  CF_READY_S=$("$PY" -c "import time; print(f'{time.time()-$t0:.1f}')")
  sleep 3   # let every worker finish booting
  for p in $(pgrep -P "$CF_PID" || true); do track_late "$p"; done   # workers, in case the master dies first

  CF_TOKEN=$(cd "$d" && set -a && . ./cf.env && set +a && "$WORK/venv-cf/bin/python" -m mcpgateway.utils.create_jwt_token \
      --username admin@example.com --exp 120 --secret "$JWT_SECRET_KEY" 2>/dev/null | tail -1)
  [[ $CF_TOKEN == ey* ]] || die "could not mint a ContextForge token"
  local H="Authorization: Bearer $CF_TOKEN" base="http://127.0.0.1:$CF_PORT"
  # Register the upstream (unversioned paths: /v1/servers/{id}/mcp is advertised as successor but 404s in 1.0.6).
  curl -sf -X POST -H "$H" -H 'Content-Type: application/json' \
    -d "{\"name\":\"fast_upstream\",\"url\":\"http://127.0.0.1:$UP_PORT/mcp\",\"transport\":\"STREAMABLEHTTP\"}" \
    "$base/gateways" > "$d/gateway.json" || die "POST /gateways failed"
  local tid=""
  for _ in $(seq 1 40); do
    tid=$(curl -sf -H "$H" "$base/tools" | "$PY" -c '
import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("items",[])
print(next((t["id"] for t in d if t.get("originalName")=="echo" or t["name"].endswith("echo")),""))' || true)
    [[ -n $tid ]] && break; sleep 0.5
  done
  [[ -n $tid ]] || die "echo tool did not appear in ContextForge"
  CF_TOOL=$(curl -sf -H "$H" "$base/tools" | "$PY" -c '
import json,sys
d=json.load(sys.stdin); d=d if isinstance(d,list) else d.get("items",[])
print(next(t["name"] for t in d if t["id"]=="'"$tid"'"))')
  CF_SID=$(curl -sf -X POST -H "$H" -H 'Content-Type: application/json' \
    -d "{\"server\":{\"name\":\"bench\",\"description\":\"peerbench\",\"associated_tools\":[\"$tid\"]}}" \
    "$base/servers" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || die "POST /servers failed"
  CF_URL="$base/servers/$CF_SID/mcp"
  log "ContextForge ready in ${CF_READY_S}s, $CF_WORKERS workers; server $CF_SID, tool $CF_TOOL"
}

start_extra() {
  local d=$RUN/extra; mkdir -p "$d"
  log "starting extra target '$EXTRA_NAME' via $EXTRA_SETUP"
  UPSTREAM_URL="http://127.0.0.1:$UP_PORT/mcp" WORKDIR="$d" bash "$EXTRA_SETUP" > "$d/setup.out" 2> "$d/setup.err" \
    || die "extra setup failed (see $d/setup.err)"
  local k v
  EXTRA_URL=""; EXTRA_TOOL=echo; EXTRA_AUTH=""; EXTRA_HEADER=""; EXTRA_TARGETS=()
  while IFS='=' read -r k v; do
    case $k in URL) EXTRA_URL=$v;; TOOL) EXTRA_TOOL=$v;; AUTH) EXTRA_AUTH=$v;; HEADER) EXTRA_HEADER=$v;; PIDS) EXTRA_PIDS=$v;;
      TARGET) EXTRA_TARGETS+=("$v");; esac
  done < "$d/setup.out"
  local p; for p in $EXTRA_PIDS; do track "$p"; done
  # A hook either names one target (URL=, TOOL=, AUTH=, HEADER=) or several (TARGET=name|url|tool|auth|header lines).
  [[ -n $EXTRA_URL ]] && EXTRA_TARGETS+=("$EXTRA_NAME|$EXTRA_URL|$EXTRA_TOOL|$EXTRA_AUTH|$EXTRA_HEADER")
  ((${#EXTRA_TARGETS[@]})) || die "extra setup printed no URL= or TARGET="
}

# ---------------------------------------------------------------- 3. measure
CSV=$RUN/results.csv
# one wrk run: name url c round tool auth header
wrk_run() {
  local name=$1 url=$2 c=$3 round=$4 tool=${5:-echo} auth=${6:-} header=${7:-} dur=${8:-$DURATION}
  local before after out line
  before=$(upstream_total || echo 0)
  out=$(BENCH_TOOL=$tool BENCH_AUTH=$auth BENCH_EXTRA_HEADER=$header \
        wrk -t1 -c"$c" -d"${dur}s" --timeout 10s -s "$HERE/mcp_call.lua" "$url" 2>&1) || true
  after=$(upstream_settled)
  line=$(grep '^RESULT' <<<"$out" || true)
  [[ -n $line ]] || { log "wrk failed for $name c=$c: $out"; return 0; }
  [[ $round == warm ]] && return 0
  # RESULT rps=… p50_ms=… p99_ms=… requests=… non2xx=… sockerr=… bad=…
  local kv; declare -A r; for kv in ${line#RESULT }; do r[${kv%%=*}]=${kv#*=}; done
  echo "$round,$name,$c,${r[rps]},${r[p50_ms]},${r[p99_ms]},${r[requests]},${r[non2xx]},${r[sockerr]},${r[bad]},$((after-before))" >> "$CSV"
  log "$(printf '%-16s c=%-3s round %s: %9.1f rps  p50 %8.3f ms  p99 %8.3f ms  err %s/%s/%s' \
      "$name" "$c" "$round" "${r[rps]}" "${r[p50_ms]}" "${r[p99_ms]}" "${r[non2xx]}" "${r[sockerr]}" "${r[bad]}")"
}

main() {
  mkdir -p "$WORK"
  install_prereqs
  [[ -f $RUN/pids ]] && cp "$RUN/pids" "$WORK/previous-run.pids"
  rm -rf "$RUN"; mkdir -p "$RUN"; : > "$RUN/pids"
  echo "round,path,c,rps,p50_ms,p99_ms,requests,non2xx,sockerr,bad,upstream_reqs" > "$CSV"

  start_upstreams
  start_nginx
  [[ $SKIP_CF == 1 ]] || start_contextforge
  if [[ -n $EXTRA_SETUP ]]; then start_extra; fi

  # targets: name|url|tool|auth|header
  local targets=("direct|http://127.0.0.1:$UP_PORT/mcp|echo||" "nginx|http://127.0.0.1:$NGINX_PORT/mcp|echo||")
  if [[ $SKIP_CF != 1 ]]; then
    targets+=("contextforge|$CF_URL|$CF_TOOL|Bearer $CF_TOKEN|")
    [[ $CF_SESSION_ROW == 1 ]] && targets+=("contextforge+sid|$CF_URL|$CF_TOOL|Bearer $CF_TOKEN|Mcp-Session-Id: peerbench-fixed-session")
  fi
  [[ -n $EXTRA_SETUP ]] && targets+=("${EXTRA_TARGETS[@]}")

  # correctness probe: one call per target, JSON-RPC id must come back unchanged
  local t name url tool auth header body
  for t in "${targets[@]}"; do
    IFS='|' read -r name url tool auth header <<<"$t"
    local hdrs=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')
    [[ -n $auth ]] && hdrs+=(-H "Authorization: $auth")
    [[ -n $header ]] && hdrs+=(-H "$header")
    body=$(curl -s -m 10 -X POST "${hdrs[@]}" "$url" \
      -d "{\"jsonrpc\":\"2.0\",\"id\":\"probe-$name-7\",\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":{\"text\":\"probe-ok\"}}}")
    grep -q "\"probe-$name-7\"" <<<"$body" && grep -q 'probe-ok' <<<"$body" \
      || die "probe through $name failed: $body"
  done
  log "probes ok: ${#targets[@]} targets answer tools/call and echo JSON-RPC ids"

  # idle memory (after setup and one probe, before load)
  MEM_IDLE_UP=$(mem_kb $UP_PID); MEM_IDLE_NGINX=$(mem_kb $NGINX_PID)
  [[ $SKIP_CF == 1 ]] || MEM_IDLE_CF=$(mem_kb $CF_PID)
  [[ -n $EXTRA_SETUP && -n $EXTRA_PIDS ]] && MEM_IDLE_EXTRA=$(mem_kb $EXTRA_PIDS)

  # warm-up
  for t in "${targets[@]}"; do
    IFS='|' read -r name url tool auth header <<<"$t"
    wrk_run "$name" "$url" 8 warm "$tool" "$auth" "$header" "$WARMUP"
  done

  # upstream-only figures (not alternated with the proxies: they describe the upstreams)
  local c round
  for c in $CONCURRENCY; do
    [[ $SKIP_SDK == 1 ]] || wrk_run "sdk-upstream" "http://127.0.0.1:$SDK_PORT/mcp" "$c" 1 echo
  done

  # alternating rounds: round r, concurrency c, every target in turn
  for ((round=1; round<=ROUNDS; round++)); do
    for c in $CONCURRENCY; do
      for t in "${targets[@]}"; do
        IFS='|' read -r name url tool auth header <<<"$t"
        wrk_run "$name" "$url" "$c" "$round" "$tool" "$auth" "$header"
      done
    done
  done

  [[ $SKIP_CF == 1 ]] || MEM_LOADED_CF=$(mem_kb $CF_PID)
  [[ $SKIP_SDK == 1 ]] || MEM_IDLE_SDK=$(mem_kb $SDK_PID)

  # ------------------------------------------------------------ 4. report
  local elapsed=$(( $(date +%s) - T_START ))
  {
    echo "## MCP gateway peer baseline — $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Machine: $NCPU cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)." \
         "Load generator wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}') (1 thread) on the same cores." \
         "$ROUNDS alternating round(s) of ${DURATION}s per cell; the table shows the mean over rounds."
    echo "Generator: wrk (Benchmarks/peers/run.sh with mcp_call.lua), back-to-back calls on kept-alive connections."
    echo "tools/call of one \`echo\` tool over Streamable HTTP, JSON responses. Upstream: raw-ASGI uvicorn (1 process, uvloop+httptools)."
    echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (worker_processes auto, upstream keepalive)."
    [[ $SKIP_CF == 1 ]] || echo "ContextForge $CF_VERSION (mcp $MCP_VERSION): gunicorn $CF_WORKERS UvicornWorkers, SQLite, CACHE_TYPE=$([[ $CF_REDIS == 1 ]] && echo redis || echo memory), MCP-only profile, rate limiting off; ready in ${CF_READY_S}s."
    echo
  } > "$RUN/report.md"
  MEM_IDLE_UP=$MEM_IDLE_UP MEM_IDLE_NGINX=$MEM_IDLE_NGINX MEM_IDLE_CF=${MEM_IDLE_CF:-} MEM_LOADED_CF=${MEM_LOADED_CF:-} \
  MEM_IDLE_SDK=${MEM_IDLE_SDK:-} MEM_IDLE_EXTRA=${MEM_IDLE_EXTRA:-} EXTRA_NAME=$EXTRA_NAME \
  ELAPSED=$elapsed "$PY" - "$CSV" >> "$RUN/report.md" <<'PYEOF'
import csv, os, sys
from collections import defaultdict, OrderedDict
rows = list(csv.DictReader(open(sys.argv[1])))
agg = OrderedDict()
for r in rows:
    k = (r["path"], int(r["c"]))
    agg.setdefault(k, []).append(r)
def mean(xs): return sum(xs) / len(xs)
stat = {}
for k, rs in agg.items():
    reqs = sum(int(r["requests"]) for r in rs)
    # wrk abandons c calls in flight when it stops; the upstream still sees them, so count them too
    calls = sum(int(r["requests"]) + int(r["c"]) for r in rs)
    stat[k] = dict(
        rps=mean([float(r["rps"]) for r in rs]), p50=mean([float(r["p50_ms"]) for r in rs]),
        p99=mean([float(r["p99_ms"]) for r in rs]), n=len(rs), reqs=reqs,
        err=sum(int(r["non2xx"]) + int(r["sockerr"]) + int(r["bad"]) for r in rs),
        up=sum(int(r["upstream_reqs"]) for r in rs) / calls if calls else 0.0)
# upstream requests per client call, taken at the lowest concurrency (exact there; at high c the
# calls that wrk abandons when it stops blur it for slow gateways)
low_c = {}
for (path, c) in stat:
    low_c[path] = min(c, low_c.get(path, c))
print(f"| path | c | rps | p50 ms | p99 ms | rps ratio to direct | p50 added vs direct (ms) | upstream req per call (c={min(low_c.values())}) | errors |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for (path, c), s in stat.items():
    if path == "sdk-upstream":
        continue
    d = stat.get(("direct", c))
    ratio = f"{s['rps'] / d['rps']:.3f}" if d else "-"
    added = f"{s['p50'] - d['p50']:+.3f}" if d else "-"
    up = stat[(path, low_c[path])]["up"]
    print(f"| {path} | {c} | {s['rps']:.1f} | {s['p50']:.3f} | {s['p99']:.3f} | {ratio} | {added} | {up:.2f} | {s['err']} |")
print()
print("Upstreams on their own (direct, no proxy):")
print()
print("| upstream | c | rps | p50 ms | p99 ms |")
print("|---|---:|---:|---:|---:|")
for (path, c), s in stat.items():
    if path in ("direct", "sdk-upstream"):
        label = "fast raw-ASGI (uvicorn)" if path == "direct" else "MCP Python SDK FastMCP (stateless, json_response)"
        print(f"| {label} | {c} | {s['rps']:.1f} | {s['p50']:.3f} | {s['p99']:.3f} |")
print()
def mem(name, v, note=""):
    if not v: return
    rss, pss, n = (int(x) for x in v.split())
    print(f"| {name} | {n} | {rss/1024:.1f} | {pss/1024:.1f} | {note} |")
print("| memory | processes | RSS MiB (sum) | PSS MiB (sum) | when |")
print("|---|---:|---:|---:|---|")
mem("fast upstream", os.environ.get("MEM_IDLE_UP"), "idle, after setup")
mem("nginx", os.environ.get("MEM_IDLE_NGINX"), "idle, after setup")
mem("ContextForge", os.environ.get("MEM_IDLE_CF"), "idle, after setup")
mem("ContextForge", os.environ.get("MEM_LOADED_CF"), "after the load runs")
mem("SDK upstream", os.environ.get("MEM_IDLE_SDK"), "after its load runs")
mem(os.environ.get("EXTRA_NAME", "extra"), os.environ.get("MEM_IDLE_EXTRA"), "idle, after setup")
print()
print(f"Total script time: {os.environ.get('ELAPSED')} s. Raw per-run figures: results.csv.")
PYEOF
  cat "$RUN/report.md"
  log "report: $RUN/report.md   raw: $CSV"
}

main "$@"
