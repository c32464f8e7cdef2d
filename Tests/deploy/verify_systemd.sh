#!/usr/bin/env bash
# Checks deploy/systemd with `systemd-analyze verify` (issue 13 item 4). verify needs every
# ExecStart binary to exist, so it runs on a copy whose /usr/local/bin/ paths point at the
# binaries this build made; the template is verified as the instance portcullis-gateway@8081.
# verify only warns about unknown directives (exit 0), so any output fails the check. Also
# prints `systemd-analyze security --offline` for each unit and fails above exposure 2.0.
# Usage: Tests/deploy/verify_systemd.sh BIN_FOLDER
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for unit in deploy/systemd/*.service; do
    name=$(basename "$unit")
    [ "$name" = "portcullis-gateway@.service" ] && name="portcullis-gateway@8081.service"
    sed "s|/usr/local/bin/|$bin/|g" "$unit" >"$work/$name"
done
cd "$work"
status=0
for unit in *.service; do
    output=$(systemd-analyze verify --man=no "./$unit" 2>&1) || status=1
    if [ -n "$output" ]; then
        echo "FAIL systemd-analyze verify $unit:"; echo "$output"; status=1
    else
        echo "ok   systemd-analyze verify $unit"
    fi
    exposure=$(systemd-analyze security --offline=yes "./$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
    if [ -z "$exposure" ] || awk "BEGIN { exit !($exposure > 2.0) }"; then
        echo "FAIL systemd-analyze security $unit: exposure '${exposure}' (at most 2.0)"; status=1
    else
        echo "ok   systemd-analyze security $unit: exposure $exposure"
    fi
done
exit $status
