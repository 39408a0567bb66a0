#!/usr/bin/env bash
# Runs Keycard's fuzz targets under afl (coverage-guided, stable toolchain): builds the
# instrumented binaries once, then fuzzes each target for DURATION seconds from its corpus
# in fuzz/corpus/<target>/, with JOBS targets at a time. Findings land in
# fuzz/out/<target>/default/{crashes,hangs}; see docs/FUZZING.md for what to do with them.
# Run by hand, never by CI (CI replays the committed corpora: `cargo test -p keycard-fuzz`).
#
# Usage: fuzz/run.sh [target ...]     (default: every target)
# Environment (defaults in brackets): DURATION [600]  JOBS [1]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-600}"
JOBS="${JOBS:-1}"
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(json base64url jws jwk headers config opaque sse)

command -v cargo-afl >/dev/null 2>&1 || cargo install cargo-afl --locked
cargo afl config --build >/dev/null 2>&1 || true
cargo afl build --profile fuzz --locked -p keycard-fuzz --features afl
bin="${CARGO_TARGET_DIR:-target}/fuzz"

# afl refuses to start on a machine that sends core dumps to a helper, or scales CPU
# frequency; these make it start anyway (the findings are the same).
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1

fuzz() {
    local target="$1"
    mkdir -p "fuzz/out/$target"
    echo "fuzz: $target for ${DURATION}s"
    cargo afl fuzz -V "$DURATION" -i "fuzz/corpus/$target" -o "fuzz/out/$target" \
        "$bin/fuzz-$target" >"fuzz/out/$target.log" 2>&1 || true
    local stats="fuzz/out/$target/default/fuzzer_stats"
    [[ -f "$stats" ]] || { echo "fuzz: $target did not start; see fuzz/out/$target.log"; return 1; }
    local crashes hangs execs paths
    crashes="$(awk -F: '/^saved_crashes/ {gsub(/ /, "", $2); print $2}' "$stats")"
    hangs="$(awk -F: '/^saved_hangs/ {gsub(/ /, "", $2); print $2}' "$stats")"
    execs="$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$stats")"
    paths="$(awk -F: '/^corpus_count/ {gsub(/ /, "", $2); print $2}' "$stats")"
    echo "fuzz: $target: $execs executions, $paths inputs in the queue, $crashes crashes, $hangs hangs"
}

running=0
for target in "${targets[@]}"; do
    fuzz "$target" &
    running=$((running + 1))
    if [[ "$running" -ge "$JOBS" ]]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait
