#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and a fresh Debian machine lacks:
# PostgreSQL server binaries, libpq headers, python3-venv. Swift itself is a prerequisite.
set -euo pipefail

command -v swift >/dev/null || { echo "Swift 6.3 is required (https://swift.org/install)" >&2; exit 1; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
[ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
command -v curl >/dev/null || missing+=(curl)

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing: ${missing[*]}"
    # Debian's postgresql package would create and start a system-wide cluster; ours are private.
    $sudo mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
