#!/bin/sh
# podman with the settings containers need on machines like this project's CI: runc (crun refuses
# their hybrid cgroup layout) and deploy/container/containers.conf (cgroupfs, no default ulimits).
# `make image`, the compose test and podman-compose (--podman-path) all go through it; on an
# ordinary host plain podman works as well.
CONTAINERS_CONF=${CONTAINERS_CONF:-$(cd "$(dirname "$0")/../container" && pwd)/containers.conf}
export CONTAINERS_CONF
exec podman --runtime runc "$@"
