#!/usr/bin/env bash
# Coverage-guided fuzzing of SwiftVTP's parsers with libFuzzer (README, "Reliability").
#
#   scripts/fuzz.sh --list                  the targets, one per line
#   scripts/fuzz.sh --build                 build the instrumented harness (fuzz/, into .build-fuzz)
#   scripts/fuzz.sh TARGET SECONDS [FLAGS]  build, then fuzz TARGET for SECONDS (FLAGS go to libFuzzer)
#   scripts/fuzz.sh --smoke [SECONDS]       every target SECONDS (default 3) on its seed corpus (CI)
#   scripts/fuzz.sh --reproduce TARGET FILE...  run the harness once on each FILE
#
# The harness is one executable (fuzz/Sources/vtp-fuzz) built with `-sanitize=fuzzer,address` (one swiftc flag: of
# two separate -sanitize= flags swiftc keeps only the last, which left the Swift code without coverage counters),
# which instruments the library targets it links (Swift and C) too. Seeds live in fuzz/corpus/TARGET (committed,
# read-only here); a campaign's growing corpus goes to .build-fuzz/corpus/TARGET and findings to
# .build-fuzz/findings/TARGET/. Exit status is non-zero when libFuzzer finds a crash, a hang (-timeout), a leak
# or an out-of-memory (-rss_limit_mb / -malloc_limit_mb).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build="${VTP_FUZZ_BUILD:-$root/.build-fuzz}"  # VTP_FUZZ_BUILD: another build folder (CI caches)
corpus="$root/fuzz/corpus"
harness="$build/debug/vtp-fuzz"

targets() { (cd "$corpus" && ls -d -- */ | tr -d /); }

build_harness() {
    # SWIFTVTP_PORTABLE is cleared: the library keeps its -O flags (an unoptimised instrumented build is too slow
    # to fuzz); the flags are the same ones the normal build uses.
    # The linker's warnings about ASan's local symbols are noise: the log is shown only when the build fails.
    mkdir -p "$build"
    if ! SWIFTVTP_PORTABLE= swift build --package-path fuzz --build-path "$build" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
        --product vtp-fuzz >"$build/build.log" 2>&1; then
        grep -v 'ld.gold: warning' "$build/build.log" | tail -n 80 >&2
        exit 1
    fi
}

# Largest input per target (bytes): big enough for the seeds, small enough to keep executions fast.
max_len() {
    case "$1" in
        png|jpeg|tar|torch|npz|safetensors|dit-weights) echo 65536 ;;
        tokenizer) echo 4096 ;;
        *) echo 16384 ;;
    esac
}

check_target() { [ -d "$corpus/$1" ] || { echo "fuzz.sh: unknown target '$1' (see --list)" >&2; exit 2; }; }

# harness TARGET [ARGS]: the harness with the sanitizer settings (leak checks, suppressions of toolchain leaks).
harness() {
    local target=$1
    shift
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:handle_abort=1}" \
    LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp:print_suppressions=0}" \
    VTP_FUZZ_TARGET="$target" "$harness" "$@"
}

# fuzz TARGET SECONDS WORKDIR [FLAGS]: libFuzzer writes new inputs to WORKDIR and reads the seeds.
fuzz() {
    local target=$1 seconds=$2 work=$3
    shift 3
    check_target "$target"
    local findings="$build/findings/$target"
    mkdir -p "$work" "$findings"
    harness "$target" "$work" "$corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
        -max_len="$(max_len "$target")" -artifact_prefix="$findings/" -print_final_stats=1 "$@"
}

case "${1:-}" in
    --list) targets ;;
    --build) build_harness ;;
    --smoke)
        seconds=${2:-3}
        build_harness
        # Every target of the harness must have seeds and every seed folder a target.
        known=$( (VTP_FUZZ_TARGET= "$harness" 2>&1 || true) | sed -n 's/.*one of: //p' | tr -d ' ' | tr ',' '\n' | LC_ALL=C sort)
        if [ "$known" != "$(targets | LC_ALL=C sort)" ]; then
            echo "fuzz.sh: harness targets and fuzz/corpus folders differ:" >&2
            diff <(echo "$known") <(targets | LC_ALL=C sort) >&2 || true
            exit 1
        fi
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        for t in $(targets); do
            echo "== fuzz smoke: $t (${seconds}s)"
            fuzz "$t" "$seconds" "$work/$t" 2>"$work/$t.log" || { tail -n 60 "$work/$t.log" >&2; exit 1; }
            grep -E 'stat::number_of_executed_units|cov:' "$work/$t.log" | tail -n 2
        done
        ;;
    --reproduce)
        [ $# -ge 3 ] || { echo "usage: scripts/fuzz.sh --reproduce TARGET FILE..." >&2; exit 2; }
        target=$2
        shift 2
        check_target "$target"
        build_harness
        harness "$target" -runs=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 "$@"
        ;;
    ""|-h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
    *)
        [ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags]" >&2; exit 2; }
        target=$1 seconds=$2
        shift 2
        check_target "$target"
        build_harness
        fuzz "$target" "$seconds" "$build/corpus/$target" "$@"
        ;;
esac
