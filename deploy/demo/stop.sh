#!/usr/bin/env bash
# Stops what `make demo` started; the data folder stays for the next run.
set -uo pipefail
data=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
"$here/../nginx/nginx.sh" stop "$data/nginx" && [ -d "$data/nginx" ] && echo "stopped nginx"
for pidfile in "$data"/run/gateway-*.pid "$data/run/gateway.pid" "$data/run/upstream.pid" "$data/run/controlplane.pid"; do
    [ -f "$pidfile" ] || continue
    service=$(basename "$pidfile" .pid)
    pid=$(cat "$pidfile")
    if kill -TERM "$pid" 2>/dev/null; then
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        echo "stopped $service"
    fi
    rm -f "$pidfile"
done
"$here/../scripts/postgres.sh" stop "$data/postgres"
