#!/usr/bin/env bash
# Stops what `make demo` started; the data folder stays for the next run.
set -uo pipefail
data=$1
here=$(cd "$(dirname "$0")" && pwd)
for service in gateway controlplane; do
    pidfile="$data/run/$service.pid"
    if [ -f "$pidfile" ]; then
        kill -TERM "$(cat "$pidfile")" 2>/dev/null && echo "stopped $service"
        rm -f "$pidfile"
    fi
done
"$here/../scripts/postgres.sh" stop "$data/postgres"
