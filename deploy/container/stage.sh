#!/usr/bin/env bash
# Lays out under OUT what the Portcullis image holds in /opt/portcullis, from a folder of built
# binaries (BIN_DIR, as `swift build [-c release] --show-bin-path` prints it):
#   bin/controlplane, bin/gateway   the binaries, debug information stripped (symbols stay, for backtraces)
#   bin/portcullis_*.resources      migrations, the console and openapi.yaml: Foundation's Bundle.module
#                                   looks for them beside the executable
#   lib/                            the Swift runtime libraries the binaries link, copied from the
#                                   toolchain (ldd tells which); none after --static-swift-stdlib
# Used by `make image` and the compose test (OUT is then the build context), and by the
# Containerfile's source stage.
#   stage.sh BIN_DIR OUT
set -euo pipefail
bin=$(realpath "$1")
out=$2
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib"
for binary in controlplane gateway; do
    strip --strip-debug -o "$out/bin/$binary" "$bin/$binary"
done
cp -R "$bin"/portcullis_*.resources "$out/bin/"
# The toolchain's runtime folder is where libswiftCore.so resolves; what else resolves there is copied too.
runtime=$(ldd "$out/bin/controlplane" | awk '$1 == "libswiftCore.so" { print $3 }')
if [ -n "$runtime" ]; then
    ldd "$out/bin/controlplane" "$out/bin/gateway" | awk -v dir="$(dirname "$runtime")/" 'index($3, dir) == 1 { print $3 }' \
        | sort -u | xargs cp -L -t "$out/lib/"
fi
