#!/bin/sh
# Runs once, on PostgreSQL's first start (official image or localhost/portcullis-postgres): the role
# gateway workers connect as, with the password from postgres.env. `controlplane migrate` finds it
# and grants it what a worker may do (docs/architecture.md "Database roles and who connects as what").
set -eu
: "${PORTCULLIS_WORKER_DB_PASSWORD:?is required (postgres.env)}"
echo "CREATE ROLE portcullis_worker LOGIN PASSWORD :'password';" \
    | psql -q -v ON_ERROR_STOP=1 -v password="$PORTCULLIS_WORKER_DB_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"
