#!/usr/bin/env bash
# Tests/swift-test.sh [swift test options]: `swift test --skip-build` against one private PostgreSQL
# cluster started before the run (PORTCULLIS_TEST_DATABASE_URL), so that initdb and the server's
# start-up do not count against the first tests' time limits: a clean-clone run on a loaded machine
# saw the in-process start take a minute and time out the tests waiting on it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/portcullis-swift-test-XXXXXX)
chmod 755 "$work"  # the server runs as postgres when we are root
cleanup() { "$root/deploy/scripts/postgres.sh" stop "$work/pg" || true; rm -rf "$work"; }
trap cleanup EXIT
conninfo=$(POSTGRES_INITDB_OPTIONS="--no-sync" \
    POSTGRES_SERVER_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    "$root/deploy/scripts/postgres.sh" start "$work/pg")
echo "test database: private PostgreSQL cluster at $conninfo"
# --no-parallel: in parallel, the suite's ~100 process-spawning integration tests overloaded two cores
# until tests passed their time limits (four to six failures per clean-clone run).
PORTCULLIS_TEST_DATABASE_URL="$conninfo" swift test --skip-build --no-parallel "$@"
