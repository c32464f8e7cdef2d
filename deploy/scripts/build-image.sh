#!/usr/bin/env bash
# Builds the Portcullis image (deploy/container/Containerfile, its default `staged` target) from
# binaries built on the host, on the local base image (made first when podman lacks it):
#   build-image.sh BIN_DIR IMAGE     e.g. build-image.sh .build/release localhost/portcullis:latest
# `make image` passes the release build; the compose test the debug build `make test` made.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
image=$2
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/../container/containers.conf}
"$here/container-base-images.sh" base
context=$(mktemp -d /tmp/portcullis-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
"$here/../container/stage.sh" "$bin" "$context"
# chroot isolation: RUN steps work without the user namespaces and cgroups a sandbox may lack.
buildah bud --quiet --isolation chroot -f "$here/../container/Containerfile" -t "$image" "$context"
