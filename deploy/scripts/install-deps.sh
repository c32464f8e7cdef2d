#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and a fresh Debian machine lacks:
# PostgreSQL server binaries, libpq headers, RE2 headers (policy regexes), python3-venv, curl, nginx,
# chromium and chromium-driver (the console's browser suite), podman, buildah, runc and mmdebstrap
# (the container image and the compose test), kubectl, promtool and systemd-analyze (the deployment
# checks), pgbouncer (the PgBouncer test); with the argument `bench` also wrk, strace and perf.
# Swift itself is a prerequisite.
set -euo pipefail

command -v swift >/dev/null || { echo "Swift 6.3 is required (https://swift.org/install)" >&2; exit 1; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
# The CRE2 target links RE2 (issue 10 item 10); libre2-dev brings the runtime libre2-9 with it.
[ -f /usr/include/re2/re2.h ] || missing+=(libre2-dev)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
# The console's browser suite (Tests/console): Debian's chromium and its WebDriver.
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
# The container image and the compose test (deploy/container, deploy/compose): podman runs with runc
# (deploy/scripts/podman.sh), buildah builds, mmdebstrap makes the base images from Debian's packages.
for tool in podman buildah runc mmdebstrap; do command -v $tool >/dev/null || missing+=($tool); done
# The deployment checks (Tests/deploy): `kubectl kustomize` renders deploy/kubernetes (Debian's
# kubectl 1.20 embeds kustomize v2.0.3; the manifests render the same under v5), promtool checks
# and tests the alert rules, systemd-analyze verifies the units.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
command -v promtool >/dev/null || missing+=(prometheus)
command -v systemd-analyze >/dev/null || missing+=(systemd)
# The PgBouncer test (Tests/GatewayTests/PgBouncerTests.swift, deploy/pgbouncer/): Debian's pgbouncer.
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
# `install-deps.sh bench` (make bench): the peer bench's load generator and the per-call cost tools.
if [ "${1:-}" = bench ]; then
    command -v wrk >/dev/null || missing+=(wrk)
    command -v strace >/dev/null || missing+=(strace)
    command -v perf >/dev/null || missing+=(linux-perf)
fi

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    # Debian's postgresql package would create and start a system-wide cluster; ours are private.
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
    # Debian's nginx package starts a system-wide server on port 80 where init allows it; ours are
    # private instances (deploy/nginx/nginx.sh), so the system one is stopped and disabled again.
    if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
    # Likewise Debian's prometheus package starts a server on port 9090: only promtool is wanted.
    if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
    # Likewise Debian's pgbouncer package enables a system-wide pooler; the test runs its own.
    if [[ " ${missing[*]} " == *" pgbouncer "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $sudo systemctl disable --now pgbouncer >/dev/null 2>&1 || true
    fi
fi
