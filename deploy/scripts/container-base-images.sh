#!/usr/bin/env bash
# Local images made from Debian's packages with mmdebstrap, so that no registry is needed. Each is
# made only when podman does not hold it yet (PORTCULLIS_REMAKE_IMAGES=1 remakes them):
#   base      localhost/portcullis-base:bookworm     the Portcullis image's runtime base: ca-certificates,
#                                                    libpq5, libre2-9 (the policy engine's regexes) and
#                                                    curl (compose health checks)
#   postgres  localhost/portcullis-postgres:15       PostgreSQL 15 for the compose stack (entrypoint:
#                                                    deploy/container/postgres-entrypoint.sh)
#   nginx     localhost/portcullis-nginx:bookworm    nginx (and curl) for the compose stack
# Usage: container-base-images.sh [base|postgres|nginx]...   (none: all three; about 1 to 4 minutes each)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
podman=$here/podman.sh
work=$(mktemp -d /tmp/portcullis-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# make_image NAME IMAGE INCLUDES [mmdebstrap option]... [-- podman import --change...]
make_image() {
    local name=$1 image=$2 include=$3; shift 3
    local options=() changes=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do options+=("$1"); shift; done
    [ $# -gt 0 ] && shift && changes=("$@")
    if [ -z "${PORTCULLIS_REMAKE_IMAGES:-}" ] && "$podman" image exists "$image"; then
        return 0
    fi
    echo "making $image (mmdebstrap bookworm: $include)"
    mmdebstrap --quiet --variant=minbase --include="$include" "${options[@]}" bookworm "$work/$name.tar"
    local change_args=()
    for change in "${changes[@]}"; do change_args+=(--change "$change"); done
    "$podman" import --quiet "${change_args[@]}" "$work/$name.tar" "$image" >/dev/null
    rm -f "$work/$name.tar"
}

# Debian's postgresql package would create a cluster in the image; the entrypoint makes its own in
# the volume, whose folder belongs to postgres in the image (podman and docker give a new volume the
# owner of the folder it is mounted on).
no_main_cluster='mkdir -p "$1/etc/postgresql-common" && echo "create_main_cluster = false" >"$1/etc/postgresql-common/createcluster.conf"'
postgres_data='chroot "$1" install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data'
# nginx runs as www-data with everything it writes under one folder (deploy/nginx/nginx.sh renders
# the configuration with that folder); its logs go to the container's output.
nginx_prefix='mkdir -p "$1/var/lib/portcullis-nginx/tmp" && ln -s /dev/stdout "$1/var/lib/portcullis-nginx/access.log" && ln -s /dev/stderr "$1/var/lib/portcullis-nginx/error.log" && chroot "$1" chown -R www-data:www-data /var/lib/portcullis-nginx'

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(base postgres nginx)
for name in "${names[@]}"; do
    case $name in
    base)
        make_image base localhost/portcullis-base:bookworm ca-certificates,libpq5,libre2-9,curl
        ;;
    postgres)
        make_image postgres localhost/portcullis-postgres:15 ca-certificates,postgresql-15 \
            --setup-hook="$no_main_cluster" --customize-hook="$postgres_data" \
            --customize-hook="copy-in $here/../container/postgres-entrypoint.sh /usr/local/bin" \
            -- "USER postgres" "ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin" \
            "ENV PGDATA=/var/lib/postgresql/data" \
            'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]' 'CMD ["postgres"]'
        ;;
    nginx)
        make_image nginx localhost/portcullis-nginx:bookworm nginx-light,curl \
            --customize-hook="$nginx_prefix" \
            -- "USER www-data" 'CMD ["nginx", "-g", "daemon off;"]'
        ;;
    *)
        echo "usage: $0 [base|postgres|nginx]..." >&2
        exit 2
        ;;
    esac
done
