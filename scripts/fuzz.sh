#!/bin/bash
# libFuzzer over isoprobe's readers of untrusted bytes (RELIABILITY.md, "Fuzzing").
#
#   scripts/fuzz.sh build                   the fuzz build, in .build-fuzz (the normal build is untouched)
#   scripts/fuzz.sh run SECONDS [TARGET...]  each target (default: all) for SECONDS, then a table
#   scripts/fuzz.sh seeds                   rewrites the generated seeds in fixtures/fuzz
#
# A target's corpus is fixtures/fuzz/<target> (seeds, and regressions/ for inputs that once
# crashed it); new inputs the fuzzer finds go to .build-fuzz/corpus/<target>, and crashes
# to .build-fuzz/artifacts/<target>, never into git by themselves. A crash worth keeping is
# copied into fixtures/fuzz/<target>/regressions/ by hand; `make test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
BUILD_PATH=${FUZZ_BUILD_PATH:-.build-fuzz}
RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-512}
# One allocation beyond this is a failure: inputs are a few KiB, so a buffer of hundreds of
# MiB means a size taken from the input unchecked.
MALLOC_LIMIT_MB=${FUZZ_MALLOC_LIMIT_MB:-256}
# Seconds one input may take before it counts as a hang.
UNIT_TIMEOUT=${FUZZ_UNIT_TIMEOUT:-10}
# ASan holds freed memory back to catch its use (256 MiB by default); with less, the RSS
# limit measures the target's own memory.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64}
# release fuzzes about three times as fast; debug builds in half the time (CI's short run).
CONFIG=${FUZZ_CONFIG:-release}
FLAGS=(-c "$CONFIG" -Xswiftc -DFUZZING -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# target (the folder in fixtures/fuzz) and its product (Fuzz/<product>)
TARGETS=(suite:FuzzSuite oci-config:FuzzOCIConfig workload-spec:FuzzWorkloadSpec
         agent-frames:FuzzAgentFrames agent-message:FuzzAgentMessage)

product_of() {
    local entry
    for entry in "${TARGETS[@]}"; do
        if [ "${entry%%:*}" = "$1" ]; then echo "${entry##*:}"; return; fi
    done
    echo "unknown fuzz target '$1'; targets: ${TARGETS[*]%%:*}" >&2
    exit 2
}

# libFuzzer comes with the Swift toolchain (compiler-rt); some distributions' packages leave it out.
check_toolchain() {
    local swiftc lib
    swiftc=$(command -v swiftc || true)
    [ -n "$swiftc" ] || { echo "fuzz: swiftc not found on PATH" >&2; exit 3; }
    lib=$(dirname "$(readlink -f "$swiftc")")/../lib/swift/clang/lib/linux
    if ! ls "$lib"/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
        echo "fuzz: this Swift toolchain has no libFuzzer runtime ($lib/libclang_rt.fuzzer-*.a);" \
             "install a toolchain from swift.org, which has it" >&2
        exit 3
    fi
}

build() {
    check_toolchain
    local entry log=$BUILD_PATH/logs/build.log
    mkdir -p "$BUILD_PATH/logs"
    for entry in "${TARGETS[@]}"; do
        if ! "$SWIFT" build --build-path "$BUILD_PATH" "${FLAGS[@]}" --product "${entry##*:}" >"$log" 2>&1; then
            cat "$log" >&2
            exit 1
        fi
        grep "^Build of product" "$log" || true
    done
}

run() {
    local seconds=$1; shift
    local names=("$@")
    [ ${#names[@]} -gt 0 ] || names=("${TARGETS[@]%%:*}")
    local bin status=0 rows=()
    bin=$("$SWIFT" build --build-path "$BUILD_PATH" "${FLAGS[@]}" --show-bin-path)
    for name in "${names[@]}"; do
        local product corpus scratch artifacts log dict=() before after start end execs crashes
        product=$(product_of "$name")
        corpus=fixtures/fuzz/$name
        scratch=$BUILD_PATH/corpus/$name
        artifacts=$BUILD_PATH/artifacts/$name
        log=$BUILD_PATH/logs/$name.log
        mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
        [ -f "fixtures/fuzz/$name.dict" ] && dict=(-dict="fixtures/fuzz/$name.dict")
        before=$(find "$artifacts" -type f | wc -l)
        start=$(date +%s.%N)
        echo "fuzz: $name for $seconds s (log: $log)"
        # Swift's crash handler would spend half a minute on a backtrace libFuzzer does not need.
        SWIFT_BACKTRACE=enable=no "$bin/$product" "$scratch" "$corpus" "${dict[@]}" \
            -max_total_time="$seconds" -rss_limit_mb="$RSS_LIMIT_MB" -malloc_limit_mb="$MALLOC_LIMIT_MB" \
            -timeout="$UNIT_TIMEOUT" -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || true
        end=$(date +%s.%N)
        execs=$(awk '/stat::number_of_executed_units:/ { n = $2 } END { print n + 0 }' "$log")
        after=$(find "$artifacts" -type f | wc -l)
        crashes=$((after - before))
        if [ "$crashes" -gt 0 ] || ! grep -q "stat::number_of_executed_units" "$log"; then
            status=1
            grep -E "^(SUMMARY|==[0-9]+==ERROR|Fatal error|.*fuzz invariant broken)" "$log" | head -3 | sed "s/^/fuzz: $name: /"
            find "$artifacts" -type f -newermt "@${start%.*}" | sed "s/^/fuzz: $name: input saved in /"
        fi
        rows+=("$(printf '%-14s %8.0f %12s %8s' "$name" "$(awk "BEGIN { print $end - $start }")" "$execs" "$crashes")")
    done
    printf '%-14s %8s %12s %8s\n' target seconds executions crashes
    printf '%s\n' "${rows[@]}"
    return $status
}

seeds() {
    "$SWIFT" build 2>&1 | tail -1
    local bin entry name
    bin=$("$SWIFT" build --show-bin-path)
    for entry in "${TARGETS[@]}"; do
        name=${entry%%:*}
        "$bin/${entry##*:}" --seeds "fixtures/fuzz/$name"
    done
    # Real files as well as generated ones: the repository's suites, and runc's own default config.
    for f in fixtures/suites/*.toml; do cp "$f" fixtures/fuzz/suite/; done
    for f in fixtures/suites/bad/*.toml; do cp "$f" "fixtures/fuzz/suite/bad-$(basename "$f")"; done
    if command -v runc >/dev/null; then
        local dir
        dir=$(mktemp -d)
        runc spec --bundle "$dir" && cp "$dir/config.json" fixtures/fuzz/oci-config/runc-spec.json
        rm -rf "$dir"
    fi
}

case "${1:-}" in
    build) build ;;
    run) [ $# -ge 2 ] || { echo "usage: $0 run SECONDS [TARGET...]" >&2; exit 2; }; shift; build; run "$@" ;;
    seeds) seeds ;;
    *) echo "usage: $0 build | run SECONDS [TARGET...] | seeds" >&2; exit 2 ;;
esac
