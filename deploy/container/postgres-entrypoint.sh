#!/bin/sh
# Entrypoint of localhost/portcullis-postgres:15 (deploy/scripts/container-base-images.sh), the compose
# stack's PostgreSQL where no registry is reachable. It follows the official postgres image where
# the compose file relies on it, so that image can take its place: on the first start (empty
# PGDATA) initdb with POSTGRES_USER (default postgres) and POSTGRES_PASSWORD, password
# (scram-sha-256) authentication over TCP, the database POSTGRES_DB, and every
# /docker-entrypoint-initdb.d/*.sql and *.sh run once; then `postgres` with the given options.
set -eu
case ${1:-} in -*) set -- postgres "$@" ;; esac
if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?is required on the first start (the superuser password)}"
    export POSTGRES_USER="${POSTGRES_USER:-postgres}" POSTGRES_DB="${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
    password_file=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$password_file"
    initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$password_file" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$password_file"
    # Connections from other containers (any address) with a password; sockets in /tmp, which exists.
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    printf "listen_addresses = '*'\nunix_socket_directories = '/tmp'\n" >>"$PGDATA/postgresql.conf"

    # The init scripts run against a server that listens on its socket only.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    export PGHOST=/tmp PGUSER="$POSTGRES_USER"
    [ "$POSTGRES_DB" = postgres ] || echo 'CREATE DATABASE :"db"' | psql -q -v ON_ERROR_STOP=1 -d postgres -v db="$POSTGRES_DB"
    for script in /docker-entrypoint-initdb.d/*; do
        case $script in
        *.sql) psql -q -v ON_ERROR_STOP=1 -d "$POSTGRES_DB" -f "$script" ;;
        *.sh) sh "$script" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    unset PGHOST PGUSER
    echo "postgres-entrypoint: initialized $PGDATA"
fi
exec "$@"
