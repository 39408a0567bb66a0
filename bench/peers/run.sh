#!/usr/bin/env bash
# Keycard beside the peers a session-mode user would otherwise pick, under one load
# generator with the same settings: run by hand, never by CI.
#
# Builds `keycard` (release) and the tower-sessions peer (release, its own Cargo project),
# installs the express peer (`npm ci`), then starts:
#   - the tower-sessions peer: axum + tower-sessions + tower-sessions-redis-store;
#   - the express peer: express + express-session + connect-redis (one Node process);
#   - `keycard serve` in session, jwt and hybrid modes in turn, users in PostgreSQL (a
#     fresh schema per mode, dropped after) and sessions in Redis, login limits off;
# and drives each with `keycard bench`'s load generator: Keycard through
# `keycard bench --target URL` (its routes, the login storm included), the peers through
# `keycard bench --target URL --get PATH [-H Cookie]` (their unauthenticated route and
# their session route). Same connections, threads, warm-up and duration for all. Then it
# prints the ratios against their targets.
#
# Why keycard bench's generator and not wrk: it is the one the `keycard bench` numbers come
# from, it reports non-2xx answers as failures per route, it drives Keycard's login storm
# (two request kinds at once) and refresh rotation, which wrk needs Lua for, and it needs
# nothing installed.
#
# Usage: bench/peers/run.sh
# Environment (defaults in brackets):
#   DURATION [5s]  WARMUP [1s]  CONNECTIONS [32]  THREADS [2]  STORM_LOGINS [32]
#   POSTGRES_URL [postgres://postgres@127.0.0.1:5432/test]  REDIS_URL [redis://127.0.0.1:6379]
#   PORT [18600] (Keycard; the peers use PORT+1 and PORT+2)
#   KEYCARD_BIN    use this keycard binary instead of building one
#   PEER_BIN       use this tower-sessions peer binary instead of building one
#   OUT [target/peers]  where the JSON of every run is written
# Needs cargo, node + npm, curl, jq, psql, and PostgreSQL and Redis running.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-1s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
STORM_LOGINS="${STORM_LOGINS:-32}"
POSTGRES_URL="${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PORT="${PORT:-18600}"
target_dir="${CARGO_TARGET_DIR:-$workspace/target}"
OUT="${OUT:-$target_dir/peers}"
export KEYCARD_LOG="${KEYCARD_LOG:-warn}"

log() { printf 'peers: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in cargo node npm curl jq psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
psql "$POSTGRES_URL" -qtAc 'select 1' >/dev/null || die "PostgreSQL does not answer at $POSTGRES_URL"
mkdir -p "$OUT"

if [[ -n "${KEYCARD_BIN:-}" ]]; then
    keycard="$KEYCARD_BIN"
else
    log "building keycard (release, fat LTO: several minutes on 2 cores)"
    (cd "$workspace" && CARGO_TARGET_DIR="$target_dir" cargo build --release --locked -p keycard-cli) >&2
    keycard="$target_dir/release/keycard"
fi
if [[ -n "${PEER_BIN:-}" ]]; then
    peer="$PEER_BIN"
else
    log "building the tower-sessions peer (release)"
    CARGO_TARGET_DIR="$target_dir" cargo build --release --locked \
        --manifest-path "$here/tower-sessions/Cargo.toml" >&2
    peer="$target_dir/release/peer-tower-sessions"
fi
log "installing the express peer (npm ci)"
(cd "$here/express" && npm ci --no-audit --no-fund --silent) >&2

pids=()
schemas=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    for schema in "${schemas[@]}"; do
        psql "$POSTGRES_URL" -qc "drop schema if exists $schema cascade" >/dev/null 2>&1 || true
    done
    [[ -n "${scratch:-}" ]] && rm -rf "$scratch"
}
trap cleanup EXIT
scratch="$(mktemp -d -t keycard-peers-XXXXXX)"

# wait_for URL PID NAME: until URL answers, or the process has exited.
wait_for() {
    for _ in $(seq 1 150); do
        curl -fsS "$1" >/dev/null 2>&1 && return 0
        kill -0 "$2" 2>/dev/null || { cat "$scratch/$3.log" >&2; die "$3 exited"; }
        sleep 0.1
    done
    cat "$scratch/$3.log" >&2
    die "$3 did not answer $1"
}

# bench NAME ARGS...: one `keycard bench` run with the shared settings, JSON to $OUT/NAME.json.
bench() {
    local name="$1"
    shift
    log "$name (load average $(cut -d' ' -f1 /proc/loadavg))"
    "$keycard" bench --duration "$DURATION" --warmup "$WARMUP" --connections "$CONNECTIONS" \
        --threads "$THREADS" --storm-logins "$STORM_LOGINS" --json "$OUT/$name.json" "$@" >&2 \
        || die "$name: keycard bench reported failures (see above)"
}

# login_cookie URL: the session cookie a peer sets on POST /login, as `name=value`.
login_cookie() {
    curl -fsS -D - -o /dev/null -X POST "$1/login" | grep -i '^set-cookie:' | head -1 \
        | sed -e 's/^[^:]*: //' -e 's/;.*//' | tr -d '\r'
}

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"

# The peers.
PEER_ADDR="127.0.0.1:$((PORT + 1))" REDIS_URL="$REDIS_URL" "$peer" >"$scratch/tower-sessions.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$((PORT + 1))/healthz" "$!" tower-sessions
(cd "$here/express" && PEER_ADDR="127.0.0.1:$((PORT + 2))" REDIS_URL="$REDIS_URL" exec node server.mjs) \
    >"$scratch/express.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$((PORT + 2))/healthz" "$!" express
for name in tower-sessions express; do
    port=$((PORT + 1))
    [[ "$name" == express ]] && port=$((PORT + 2))
    base="http://127.0.0.1:$port"
    cookie="$(login_cookie "$base")"
    [[ -n "$cookie" ]] || die "$name: POST /login set no cookie"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/me")" == 200 ]] \
        || die "$name: GET /me with the session cookie did not answer 200"
    bench "$name-healthz" --target "$base" --get /healthz
    bench "$name-me" --target "$base" --get /me -H "Cookie: $cookie"
done

# Keycard, one mode at a time, on PostgreSQL (users) + Redis (sessions).
run_tag="$(date +%s)_$$"
for mode in session jwt hybrid; do
    schema="kc_peers_${run_tag}_$mode"
    psql "$POSTGRES_URL" -qc "create schema $schema" >/dev/null
    schemas+=("$schema")
    separator='?'
    [[ "$POSTGRES_URL" == *\?* ]] && separator='&'
    "$keycard" serve --mode "$mode" --addr "127.0.0.1:$PORT" --data-dir "$scratch/data-$mode" \
        --user-store "$POSTGRES_URL${separator}options=-csearch_path%3D$schema" \
        --session-store "$REDIS_URL" --redis-prefix "kc-peers-$run_tag-$mode" \
        --login-limit-per-account 0 --login-limit-per-ip 0 --login-success-limit-per-ip 0 \
        --registration-limit-per-ip 0 --max-sessions-per-user 0 \
        >"$scratch/keycard-$mode.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_for "http://127.0.0.1:$PORT/healthz" "$pid" "keycard-$mode"
    bench "keycard-$mode" --target "http://127.0.0.1:$PORT" --routes healthz,auth-check,me,me-during-logins --no-costs
    kill "$pid"
    wait "$pid" 2>/dev/null || true
done

# The ratios.
rps() { jq -r --arg r "$2" '.routes[] | select(.route == $r) | .req_per_sec' "$OUT/$1.json"; }
p99() { jq -r --arg r "$2" '.routes[] | select(.route == $r) | .latency.p99_us' "$OUT/$1.json"; }
check() { # LABEL VALUE OP TARGET
    awk -v label="$1" -v v="$2" -v op="$3" -v t="$4" 'BEGIN {
        met = (op == ">=") ? (v >= t) : (v <= t);
        printf "%-62s %7.2f  target %s %-5s %s\n", label, v, op, t, met ? "MET" : "MISSED" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", (b > 0) ? a / b : 0 }'; }

session_me="$(rps keycard-session me)"
printf '\n%-34s %12s %12s %12s\n' "server" "route" "req/s" "p99 µs"
for name in tower-sessions express; do
    for route in /healthz /me; do
        printf '%-34s %12s %12.0f %12.0f\n' "$name" "$route" "$(rps "$name${route/\//-}" "$route")" "$(p99 "$name${route/\//-}" "$route")"
    done
done
for mode in session jwt hybrid; do
    for route in healthz auth-check me me-during-logins; do
        printf '%-34s %12s %12.0f %12.0f\n' "keycard $mode (postgres+redis)" "$route" "$(rps "keycard-$mode" "$route")" "$(p99 "keycard-$mode" "$route")"
    done
done
echo
check "Keycard session /v1/me vs tower-sessions /me" "$(ratio "$session_me" "$(rps tower-sessions-me /me)")" ">=" 1.7
check "Keycard session /v1/me vs express-session /me" "$(ratio "$session_me" "$(rps express-me /me)")" ">=" 20
for mode in jwt hybrid; do
    check "Keycard $mode /v1/me vs its /healthz" "$(ratio "$(rps "keycard-$mode" me)" "$(rps "keycard-$mode" healthz)")" ">=" 0.9
done
check "Keycard session /v1/me vs its /healthz" "$(ratio "$session_me" "$(rps keycard-session healthz)")" ">=" 0.85
for mode in session jwt hybrid; do
    check "Keycard $mode /v1/me p99, $STORM_LOGINS logins running vs idle" \
        "$(ratio "$(p99 "keycard-$mode" me-during-logins)" "$(p99 "keycard-$mode" me)")" "<=" 2
done
log "JSON of every run in $OUT"
