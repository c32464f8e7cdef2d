#!/usr/bin/env bash
# Prepares the compose stack's folder (default deploy/compose/env, or PORTCULLIS_ENV_DIR):
#   postgres.env, controlplane.env, gateway.env   from env.example/, every @...@ replaced by a new
#                                                 random secret (worker token: the image's
#                                                 `controlplane new-token worker`); mode 600
#   settings.env                                  a copy of env.example/settings.env
#   nginx/nginx.conf                              deploy/nginx/nginx.conf.template for the three workers
# Files that exist are kept, so secrets survive a second run; nginx.conf is rendered every time, from
# the same variables as compose.yaml (PORTCULLIS_LISTEN_ADDRESS, PORTCULLIS_HTTP_PORT,
# PORTCULLIS_GATEWAY_{1,2,3}_PORT) and with the same defaults.
#   configure.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$(realpath -m "${PORTCULLIS_ENV_DIR:-$here/env}")
image=${PORTCULLIS_IMAGE:-localhost/portcullis:latest}
mkdir -p "$dir"

random() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }

secrets=0
for name in postgres controlplane gateway; do [ -f "$dir/$name.env" ] && secrets=$((secrets + 1)); done
if [ $secrets -eq 1 ] || [ $secrets -eq 2 ]; then
    echo "$dir holds only some of postgres.env, controlplane.env and gateway.env: their secrets must match; remove them all to make new ones" >&2
    exit 1
fi
if [ $secrets -eq 0 ]; then
    owner_password=$(random 24 | tr -d '/+=')
    worker_password=$(random 24 | tr -d '/+=')
    secret_keys="v1:$(random 32)"
    worker_token=$("$here/../scripts/podman.sh" run --rm --network host "$image" controlplane new-token worker)
    for name in postgres controlplane gateway; do
        (umask 077 && sed -e "s|@OWNER_DB_PASSWORD@|$owner_password|" -e "s|@WORKER_DB_PASSWORD@|$worker_password|" \
            -e "s|@SECRET_KEYS@|$secret_keys|" -e "s|@WORKER_TOKEN@|$worker_token|" \
            "$here/env.example/$name.env" >"$dir/$name.env")
    done
fi
[ -f "$dir/settings.env" ] || cp "$here/env.example/settings.env" "$dir/settings.env"

# nginx runs in its image with everything it writes under /var/lib/portcullis-nginx.
listen=${PORTCULLIS_LISTEN_ADDRESS:-0.0.0.0}
NGINX_PREFIX=/var/lib/portcullis-nginx "$here/../nginx/nginx.sh" render "$dir/nginx" "$listen:${PORTCULLIS_HTTP_PORT:-8000}" \
    "gateway-1:${PORTCULLIS_GATEWAY_1_PORT:-8081}" "gateway-2:${PORTCULLIS_GATEWAY_2_PORT:-8082}" \
    "gateway-3:${PORTCULLIS_GATEWAY_3_PORT:-8083}"
echo "compose settings in $dir"
