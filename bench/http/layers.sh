#!/usr/bin/env bash
# What Keycard's middleware stack costs over the network: `GET /healthz` of `keycard serve`
# against the same handler on a bare axum router (`keycard-bench`'s `bare-axum`), driven
# by wrk with the same settings, in alternating rounds so that both see the same machine.
# Prints each round and the median req/s of each, and Keycard's as a ratio of the bare
# route's. Run by hand, never by CI. (The in-process view of the same question, without
# sockets: `cargo run --release -p keycard-bench --bin layer-cost`.)
#
# Usage: bench/http/layers.sh
# Environment (defaults in brackets):
#   ROUNDS [5]  DURATION [5s]  THREADS [1]  CONNECTIONS [32]  WARMUP [2s]  PORT [18470]
#   KEYCARD_LOG   the server's log filter [info, the default of `keycard serve`]
#   KEYCARD_ARGS  more `keycard serve` arguments
# Needs curl and wrk (`apt-get install -y wrk` is attempted when run as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5s}"
THREADS="${THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-32}"
WARMUP="${WARMUP:-2s}"
PORT="${PORT:-18470}"
export KEYCARD_LOG="${KEYCARD_LOG:-info}"

log() { printf 'layers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v curl >/dev/null 2>&1 || die "curl not found"
if ! command -v wrk >/dev/null 2>&1; then
    [[ "$(id -u)" == 0 ]] || die "wrk not found (apt-get install -y wrk)"
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; } \
        || die "apt-get install wrk failed"
fi

log "building keycard and bare-axum (release; fat LTO, a few minutes on 2 cores)"
[[ "${SKIP_BUILD:-0}" == 1 ]] || (cd "$workspace" && cargo build --release --locked -p keycard-cli --bin keycard -p keycard-bench --bin bare-axum) >&2
target="${CARGO_TARGET_DIR:-$workspace/target}/release"

pids=()
scratch="$(mktemp -d -t keycard-layers-XXXXXX)"
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT

keycard_url="http://127.0.0.1:$PORT/healthz"
bare_url="http://127.0.0.1:$((PORT + 1))/healthz"
loop_url="http://127.0.0.1:$((PORT + 2))/healthz"
# shellcheck disable=SC2086 # KEYCARD_ARGS is a list of words
"$target/keycard" serve --addr "127.0.0.1:$PORT" --data-dir "$scratch/data" ${KEYCARD_ARGS:-} \
    >"$scratch/serve.log" 2>&1 &
pids+=($!)
"$target/bare-axum" --addr "127.0.0.1:$((PORT + 1))" >"$scratch/bare.log" 2>&1 &
pids+=($!)
"$target/bare-axum" --addr "127.0.0.1:$((PORT + 2))" --serve keycard >"$scratch/loop.log" 2>&1 &
pids+=($!)
for url in "$keycard_url" "$bare_url" "$loop_url"; do
    for _ in $(seq 1 100); do
        curl -fsS "$url" >/dev/null 2>&1 && continue 2
        sleep 0.1
    done
    cat "$scratch"/*.log >&2
    die "$url did not answer within 10 s"
done

# rps URL: one wrk run after a warm-up; prints its requests/s.
rps() {
    local args=(-t "$THREADS" -c "$CONNECTIONS")
    wrk "${args[@]}" -d "$WARMUP" "$1" >/dev/null
    local out
    out="$(wrk "${args[@]}" -d "$DURATION" "$1")"
    grep -q 'Non-2xx or 3xx responses' <<<"$out" && { printf '%s\n' "$out" >&2; die "$1 answered errors"; }
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

log "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "wrk: $THREADS thread(s), $CONNECTIONS connections, $DURATION per run, $ROUNDS rounds"
keycard_runs=()
bare_runs=()
loop_runs=()
for round in $(seq 1 "$ROUNDS"); do
    bare_runs+=("$(rps "$bare_url")")
    loop_runs+=("$(rps "$loop_url")")
    keycard_runs+=("$(rps "$keycard_url")")
    log "round $round: bare axum ${bare_runs[-1]}, bare on Keycard's loop ${loop_runs[-1]}, Keycard ${keycard_runs[-1]} req/s"
done
bare="$(printf '%s\n' "${bare_runs[@]}" | median)"
loop="$(printf '%s\n' "${loop_runs[@]}" | median)"
keycard="$(printf '%s\n' "${keycard_runs[@]}" | median)"
printf '\n| `GET /healthz` | median req/s of %s rounds | / bare |\n|---|---:|---:|\n' "$ROUNDS"
printf '| bare axum, same handler (`axum::serve`) | %.0f | 1.00 |\n' "$bare"
awk -v r="$loop" -v b="$bare" 'BEGIN {printf "| the same on Keycard'"'"'s connection loop | %.0f | %.2f |\n", r, r / b}'
awk -v r="$keycard" -v b="$bare" -v f="$KEYCARD_LOG" 'BEGIN {printf "| Keycard (every route and layer, log filter `%s`) | %.0f | %.2f |\n", f, r, r / b}'
