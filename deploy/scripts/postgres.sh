#!/usr/bin/env bash
# A private PostgreSQL cluster in a folder of ours: `postgres.sh start DIR` / `postgres.sh stop DIR`.
# The server refuses to run as root, so as root it runs as the `postgres` user, which owns DIR.
# It listens on a unix socket in DIR only; the connection string is printed by `start`.
# POSTGRES_INITDB_OPTIONS and POSTGRES_SERVER_OPTIONS add options (the test run's: no fsync, more
# connections).
set -euo pipefail
action=$1
dir=$(realpath -m "$2")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || bin=$(dirname "$(command -v initdb)")

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case $action in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 ${POSTGRES_INITDB_OPTIONS:-} >"$dir/initdb.log"
    fi
    if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
            -o "-c listen_addresses='' -k $dir -p 5432 ${POSTGRES_SERVER_OPTIONS:-}" start >/dev/null
    fi
    echo "host=$dir port=5432 user=postgres dbname=postgres"
    ;;
stop)
    [ -f "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
