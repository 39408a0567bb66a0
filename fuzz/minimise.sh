#!/usr/bin/env bash
# Folds what afl found into the committed corpora: minimises each target's queue
# (fuzz/out/<target>/default/queue, left by fuzz/run.sh) with afl's `afl-cmin` to the
# inputs that keep its coverage, and copies those not already committed into
# fuzz/corpus/<target>/ as afl-<sha256 prefix> (names without afl's colons). The CI replay
# (`cargo test -p keycard-fuzz`) then runs them on every build.
#
# Usage: fuzz/minimise.sh [target ...]   (default: every target with a queue)
# Uses the instrumented binaries fuzz/run.sh built (same CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/fuzz"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for queue in fuzz/out/*/default/queue; do
        [[ -d "$queue" ]] && targets+=("$(basename "$(dirname "$(dirname "$queue")")")")
    done
fi
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
# `cargo afl cmin` runs afl's Python cmin, which records no coverage from these binaries
# (it kept 0 of 1,818 inputs); the shell version that cargo-afl installs beside it works.
cmin="$(ls "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/rustc-*/afl.rs-*/afl/bin/afl-cmin.bash 2>/dev/null | tail -1)"
[[ -n "$cmin" ]] || { echo "minimise: afl-cmin.bash not found; run fuzz/run.sh first (it installs cargo-afl)" >&2; exit 1; }
for target in "${targets[@]}"; do
    queue="fuzz/out/$target/default/queue"
    minimised="fuzz/out/$target.cmin"
    corpus="fuzz/corpus/$target"
    rm -rf "$minimised"
    "$cmin" -i "$queue" -o "$minimised" -- "$bin/fuzz-$target" >"fuzz/out/$target.cmin.log" 2>&1 \
        || { echo "minimise: $target: cmin failed, see fuzz/out/$target.cmin.log" >&2; exit 1; }
    declare -A known=()
    for file in "$corpus"/*; do
        known["$(sha256sum <"$file" | cut -c1-64)"]=1
    done
    added=0
    for file in "$minimised"/*; do
        digest="$(sha256sum <"$file" | cut -c1-64)"
        [[ -n "${known[$digest]:-}" ]] && continue
        cp "$file" "$corpus/afl-${digest:0:16}"
        known["$digest"]=1
        added=$((added + 1))
    done
    unset known
    echo "minimise: $target: queue $(ls "$queue" | wc -l), minimised $(ls "$minimised" | wc -l), added $added to $corpus"
done
