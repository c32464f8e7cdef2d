#!/usr/bin/env bash
# The interoperability suite (issue 6): the official MCP Python SDK as client and upstream, through
# nginx and two gateway workers, with a private PostgreSQL; everything on loopback.
# Usage: Tests/interop/run.sh BIN_DIR VENV_DIR [VENV_V2_DIR]    (run by `make test`)
# PORTCULLIS_SUITE_DIR runs another pytest suite on the same harness (Tests/console, the browser suite;
# Tests/oauth, the SDKs' OAuth clients).
# Bounded: the whole run is stopped after PORTCULLIS_INTEROP_TIMEOUT seconds (default 900), and
# every process it started (PostgreSQL included) is stopped when it ends, however it ends.
set -uo pipefail
bin=$(realpath "$1")
python=$(realpath "$2")/bin/python
venv2=${3:-}
here=$(cd "${PORTCULLIS_SUITE_DIR:-$(dirname "$0")}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/portcullis-interop.XXXXXX)
chmod 755 "$work"
limit=${PORTCULLIS_INTEROP_TIMEOUT:-900}

args=("$here" -c "$here/pytest.ini" --rootdir "$here" -v -rfEs "--bin=$bin" "--workdir=$work")
[ -n "$venv2" ] && args+=("--venv2=$(realpath "$venv2")")

# pytest runs in a process group of its own, so everything it started can be ended together.
cd "$here"
setsid "$python" -m pytest "${args[@]}" "${@:4}" &
pid=$!
cleanup() {
    kill -TERM -- "-$pid" 2>/dev/null && sleep 2
    kill -KILL -- "-$pid" 2>/dev/null
    "$root/deploy/scripts/postgres.sh" stop "$work/pg" 2>/dev/null
    [ "${status:-1}" -eq 0 ] && rm -rf "$work"
}
trap cleanup EXIT
(
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$limit" & sleeper=$!
    wait "$sleeper" || exit 0
    echo "interop suite: over ${limit}s, stopping it" >&2
    kill -TERM -- "-$pid" 2>/dev/null
) &
watchdog=$!
wait "$pid"
status=$?
kill "$watchdog" 2>/dev/null
[ $status -eq 0 ] || echo "interop suite failed; logs in $work/logs" >&2
exit $status
