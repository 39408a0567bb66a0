#!/usr/bin/env bash
# The HTTP benchmark: run by hand, never by CI.
#
# Builds `keycard` in release, then for each mode (session, jwt, hybrid) starts
# `keycard serve` on a loopback port over a fresh temporary data dir, creates a user, logs
# in for the mode's credential, and drives with wrk, from loopback:
#   - GET /healthz          the trivial unauthenticated baseline of the same server;
#   - GET /v1/me            authenticated (cookie in session mode, bearer otherwise);
#   - GET /v1/auth/check    authenticated, for nginx auth_request (when the route answers).
# Each run is fixed length (DURATION, default 10s) after a short unreported warm-up. It
# prints requests/s, p50 and p99 latency, and each route's throughput as a ratio of
# /healthz's, per mode. Any non-2xx answer during a run fails the benchmark: a run of fast
# 401s is not a measurement.
#
# Usage: bench/http/run.sh
# Environment (defaults in brackets):
#   DURATION [10s]  THREADS [2]  CONNECTIONS [32]  WARMUP [2s]
#   MODES ["session jwt hybrid"]  PORT [18480]  (the first port; one per mode)
#   KEYCARD_BIN     use this binary instead of building target/release/keycard
#   KEYCARD_LOG     the server's log filter [warn]
#   KEYCARD_ARGS    more `keycard serve` arguments, e.g. the stores or cache sizes:
#                   "--store postgres://… --session-store redis://…",
#                   "--token-cache-size 0 --session-cache-size 0 --user-cache-size 0"
# Needs curl, jq and wrk (`apt-get install -y wrk` is attempted when run as root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "$here/../.." && pwd)"
DURATION="${DURATION:-10s}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
WARMUP="${WARMUP:-2s}"
MODES="${MODES:-session jwt hybrid}"
PORT="${PORT:-18480}"
export KEYCARD_LOG="${KEYCARD_LOG:-warn}"
# A fresh address per run and mode: a shared PostgreSQL keeps the users of earlier runs.
EMAIL_PREFIX="bench-$(date +%s)-$$"
PASSWORD="correct horse battery staple"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in curl jq; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done
if ! command -v wrk >/dev/null 2>&1; then
    [[ "$(id -u)" == 0 ]] || die "wrk not found (apt-get install -y wrk)"
    log "installing wrk (Debian package)"
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; } \
        || die "apt-get install wrk failed"
fi

if [[ -n "${KEYCARD_BIN:-}" ]]; then
    keycard="$KEYCARD_BIN"
else
    log "building keycard (release; fat LTO, a few minutes on 2 cores)"
    (cd "$workspace" && cargo build --release --locked -p keycard-cli --bin keycard) >&2
    keycard="$workspace/target/release/keycard"
fi
[[ -x "$keycard" ]] || die "no keycard binary at $keycard"

server_pid=""
scratch=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    [[ -n "$scratch" ]] && rm -rf "$scratch"
    server_pid=""
    scratch=""
}
trap cleanup EXIT

# start_server MODE PORT: serves MODE on 127.0.0.1:PORT over a fresh data dir.
start_server() {
    local mode="$1" port="$2"
    scratch="$(mktemp -d -t keycard-bench-XXXXXX)"
    # shellcheck disable=SC2086 # KEYCARD_ARGS is a list of words
    "$keycard" serve --mode "$mode" --addr "127.0.0.1:$port" --data-dir "$scratch/data" \
        ${KEYCARD_ARGS:-} >"$scratch/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/serve.log" >&2; die "keycard serve exited"; }
        sleep 0.1
    done
    cat "$scratch/serve.log" >&2
    die "keycard serve did not answer /healthz within 10 s"
}

# credential MODE BASE: creates the user, logs in and prints the request header that
# authenticates as them.
credential() {
    local mode="$1" base="$2" status headers body
    local EMAIL="$EMAIL_PREFIX-$mode@example.com"
    status="$(curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
        -d "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')" "$base/v1/users")"
    [[ "$status" == 201 ]] || die "POST /v1/users answered $status"
    headers="$scratch/login.headers"
    body="$(curl -sS -D "$headers" -H 'content-type: application/json' \
        -d "$(jq -nc --arg e "$EMAIL" --arg p "$PASSWORD" '{email: $e, password: $p}')" "$base/v1/login")"
    if [[ "$mode" == session ]]; then
        local cookie
        cookie="$(grep -i '^set-cookie: __Host-keycard_session=' "$headers" | head -1 \
            | sed -e 's/^[^:]*: //' -e 's/;.*//' | tr -d '\r')"
        [[ -n "$cookie" ]] || die "no session cookie from POST /v1/login"
        printf 'Cookie: %s' "$cookie"
    else
        local token
        token="$(jq -r '.access_token // empty' <<<"$body")"
        [[ -n "$token" ]] || die "no access_token from POST /v1/login: $body"
        printf 'Authorization: Bearer %s' "$token"
    fi
}

# measure URL [HEADER]: one wrk run; prints "req/s p50 p99" (latencies as wrk prints them).
measure() {
    local url="$1" header="${2:-}" out
    local args=(-t "$THREADS" -c "$CONNECTIONS" --latency)
    [[ -n "$header" ]] && args+=(-H "$header")
    wrk "${args[@]}" -d "$WARMUP" "$url" >/dev/null
    out="$(wrk "${args[@]}" -d "$DURATION" "$url")"
    if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
        printf '%s\n' "$out" >&2
        die "$url answered errors under load"
    fi
    if grep -q 'Socket errors' <<<"$out"; then
        log "$url: $(grep 'Socket errors' <<<"$out" | sed 's/^ *//')"
    fi
    local rps p50 p99
    rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    [[ -n "$rps" && -n "$p50" && -n "$p99" ]] || { printf '%s\n' "$out" >&2; die "cannot read wrk's output"; }
    printf '%s %s %s\n' "$rps" "$p50" "$p99"
}

log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'): $THREADS threads, $CONNECTIONS connections, $DURATION per run (after $WARMUP warm-up)"

results=()
port="$PORT"
for mode in $MODES; do
    start_server "$mode" "$port"
    base="http://127.0.0.1:$port"
    header="$(credential "$mode" "$base")"
    status="$(curl -sS -o /dev/null -w '%{http_code}' -H "$header" "$base/v1/me")"
    [[ "$status" == 200 ]] || die "$mode: GET /v1/me answered $status"
    routes=("/healthz" "/v1/me")
    status="$(curl -sS -o /dev/null -w '%{http_code}' -H "$header" "$base/v1/auth/check")"
    if [[ "$status" == 204 ]]; then
        routes+=("/v1/auth/check")
    else
        log "$mode: GET /v1/auth/check answered $status; not measured"
    fi
    baseline=""
    for route in "${routes[@]}"; do
        log "$mode: $route (load average $(cut -d' ' -f1 /proc/loadavg))"
        if [[ "$route" == /healthz ]]; then
            line="$(measure "$base$route")"
        else
            line="$(measure "$base$route" "$header")"
        fi
        read -r rps p50 p99 <<<"$line"
        [[ "$route" == /healthz ]] && baseline="$rps"
        ratio="$(awk -v a="$rps" -v b="$baseline" 'BEGIN {printf "%.2f", a / b}')"
        results+=("$mode|$route|$rps|$p50|$p99|$ratio")
    done
    cleanup
    port=$((port + 1))
done

printf '\n| mode | route | req/s | p50 | p99 | req/s vs /healthz |\n'
printf '|---|---|---:|---:|---:|---:|\n'
for row in "${results[@]}"; do
    IFS='|' read -r mode route rps p50 p99 ratio <<<"$row"
    printf '| %s | `GET %s` | %s | %s | %s | %s |\n' "$mode" "$route" \
        "$(printf '%.0f' "$rps" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')" "$p50" "$p99" "$ratio"
done
