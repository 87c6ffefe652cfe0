#!/usr/bin/env bash
# Fuzzes Weft's decoders of outside bytes (the targets of crates/weft-fuzz, driven by
# cargo-fuzz and libFuzzer from fuzz/), one target after another, each for a budget:
#
#   scripts/fuzz.sh [--runs N] [--seconds N] [--sanitizer S] [--cmin] [target...]
#
# Default: every target in fuzz/fuzz_targets, 10,000,000 runs each (with --seconds alone, that
# long each; with both, whichever comes first). --sanitizer is cargo-fuzz's: `address` (the
# default, for memory errors in unsafe and C code, such as SQLite) or `none`, two to three
# times faster for the decoders that are safe Rust, whose faults show as panics either way.
# New inputs that reach new code are added to fuzz/corpus/<target>; --cmin minimises each
# corpus afterwards (commit it then). A crash stops the run with a non-zero exit and names the
# input cargo-fuzz kept (fuzz/artifacts/<target>/crash-*): fix the decoder, copy the input to
# fuzz/regressions/<target>/, and the ordinary test run replays it from then on.
#
# Run by hand or on a schedule, not in CI (CI replays the corpora: crates/weft-fuzz/tests).
# Installs what it needs on a fresh machine with Rust: a nightly toolchain (libFuzzer's
# sanitizer flags need it) and cargo-fuzz. The fuzzers run at the lowest priority.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
runs=""
seconds=""
cmin=false
sanitizer=address
targets=()
while (($#)); do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --sanitizer) sanitizer="$2"; shift 2 ;;
        --cmin) cmin=true; shift ;;
        -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if ((${#targets[@]} == 0)); then
    for f in fuzz/fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi
for t in "${targets[@]}"; do
    [[ -f "fuzz/fuzz_targets/$t.rs" ]] || { echo "no fuzz target '$t' (see fuzz/fuzz_targets)" >&2; exit 2; }
done

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "== installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo +nightly install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

[[ -n "$runs$seconds" ]] || runs=10000000
budget=()
[[ -z "$runs" ]] || budget+=(-runs="$runs")
[[ -z "$seconds" ]] || budget+=(-max_total_time="$seconds")
logs=$(mktemp -d -t weft-fuzz.XXXXXX)
summary=()
status=0
for t in "${targets[@]}"; do
    echo "== $t: building"
    cargo +nightly fuzz build -s "$sanitizer" "$t" 2>&1 | tail -1
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log="$logs/$t.log"
    echo "== $t: fuzzing (${budget[*]}), log $log"
    # -timeout: an input one decoder takes 20 s over is a finding (a hang), like a crash.
    if nice -n 19 cargo +nightly fuzz run -s "$sanitizer" "$t" "fuzz/corpus/$t" -- "${budget[@]}" -timeout=20 \
        -print_final_stats=1 >"$log" 2>&1; then
        crashed=0
    else
        crashed=1
        status=1
    fi
    stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
    files=$(find "fuzz/corpus/$t" -type f | wc -l)
    size=$(du -sh --apparent-size "fuzz/corpus/$t" | cut -f1)
    line=$(printf '%-14s %-7s executions %10s  crashes %d  exec/s %7s  corpus %5d files %6s' "$t" "$sanitizer" \
        "$(stat number_of_executed_units)" "$crashed" "$(stat average_exec_per_sec)" "$files" "$size")
    echo "$line"
    summary+=("$line")
    if ((crashed)); then
        echo "!! $t crashed; the input kept:" >&2
        grep -E "Test unit written to|artifact_prefix" "$log" >&2 || tail -30 "$log" >&2
        grep -m1 -E "panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer" "$log" >&2 || true
        break
    fi
    if $cmin; then
        echo "== $t: minimising the corpus"
        nice -n 19 cargo +nightly fuzz cmin -s "$sanitizer" "$t" "fuzz/corpus/$t" >"$logs/$t.cmin.log" 2>&1
        echo "   now $(find "fuzz/corpus/$t" -type f | wc -l) files, $(du -sh --apparent-size "fuzz/corpus/$t" | cut -f1)"
    fi
done

echo
echo "== summary (logs in $logs)"
printf '%s\n' "${summary[@]}"
exit "$status"
