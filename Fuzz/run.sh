#!/usr/bin/env bash
# Fuzz/run.sh SECONDS TARGET...: runs each libFuzzer target (json, sse, policy, audit-spool) for
# SECONDS over its seed corpus (Fuzz/Corpus/TARGET, read only) and its working corpus
# (Fuzz/.work/corpus/TARGET, where new inputs go). Stops at the first target that finds a crash,
# a violated property, a leak or an input slower than 10 s; the reproducer is in Fuzz/artifacts/.
# Reproduce one: Fuzz/.build/release/FuzzPolicy Fuzz/artifacts/policy-crash-...
# Expects the targets built: swift build -c release --package-path Fuzz (make fuzz does both).
set -euo pipefail
seconds=$1; shift
cd "$(dirname "$0")"
bin=.build/release
# Swift's own crash backtracer reads the stack in a way AddressSanitizer reports as an error,
# hiding the real one; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no

for target in "$@"; do
    case $target in
        json)        binary=FuzzJSON;       max_len=65536 ;;
        sse)         binary=FuzzSSE;        max_len=16384 ;;  # fed three ways, byte by byte among them
        policy)      binary=FuzzPolicy;     max_len=16384 ;;
        audit-spool) binary=FuzzAuditSpool; max_len=65536 ;;
        *) echo "unknown fuzz target $target (json, sse, policy, audit-spool)" >&2; exit 2 ;;
    esac
    mkdir -p ".work/corpus/$target" artifacts
    echo "fuzz $target: ${seconds}s"
    "$bin/$binary" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="artifacts/$target-" -print_final_stats=1 \
        ".work/corpus/$target" "Corpus/$target"
done
