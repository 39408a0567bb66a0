#!/usr/bin/env bash
# The login benchmark: run by hand, never by CI.
#
# Starts `keycard serve` (session mode) on a loopback port over a fresh data dir and the
# stores named in KEYCARD_ARGS, creates one user, and drives `POST /v1/login` with the
# right password with wrk for DURATION (after a short unreported warm-up). Every login
# passes the limiter's check, verifies an argon2id hash (OWASP parameters: most of the
# time) and records the success, so the run shows what the limiter adds to a login. It
# prints requests/s, p50 and p99, and the count of each status. Any non-2xx answer fails
# the run (a 429 or a 503 is not a measurement), so every limit is raised out of reach:
# each login still makes every limiter call, none is refused. (With the default account
# limit of 5, the logins wrk cancels at the end of its warm-up keep their charges, being
# cut before their success is recorded, and the run meets 429s.)
#
# Usage: KEYCARD_BIN=path/to/keycard bench/http/login.sh
# Environment (defaults in brackets):
#   DURATION [15s]  THREADS [1]  CONNECTIONS [4]  WARMUP [3s]  PORT [18490]
#   KEYCARD_BIN     the binary to measure (required: compare two builds with the same load)
#   KEYCARD_ARGS    more `keycard serve` arguments, e.g.
#                   "--store postgres://… --session-store redis://…"
# Needs curl, jq and wrk.
set -euo pipefail

DURATION="${DURATION:-15s}"
THREADS="${THREADS:-1}"
CONNECTIONS="${CONNECTIONS:-4}"
WARMUP="${WARMUP:-3s}"
PORT="${PORT:-18490}"
export KEYCARD_LOG="${KEYCARD_LOG:-warn}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
keycard="${KEYCARD_BIN:?set KEYCARD_BIN to the keycard binary to measure}"
email="bench-login-$(date +%s)-$$@example.com"
password="correct horse battery staple"
base="http://127.0.0.1:$PORT"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

scratch="$(mktemp -d -t keycard-login-bench-XXXXXX)"
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    rm -rf "$scratch"
}
trap cleanup EXIT

# shellcheck disable=SC2086 # KEYCARD_ARGS is a list of words
"$keycard" serve --mode session --addr "127.0.0.1:$PORT" --data-dir "$scratch/data" \
    --login-limit-per-account 100000 --login-limit-per-ip 100000 \
    --login-success-limit-per-ip 100000 --max-sessions-per-user 0 \
    ${KEYCARD_ARGS:-} >"$scratch/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/serve.log" >&2; die "keycard serve exited"; }
    sleep 0.1
done

export LOGIN_BODY
LOGIN_BODY="$(jq -nc --arg e "$email" --arg p "$password" '{email: $e, password: $p}')"
status="$(curl -sS -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d "$LOGIN_BODY" "$base/v1/users")"
[[ "$status" == 201 ]] || die "POST /v1/users answered $status"

log "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
args=(-t "$THREADS" -c "$CONNECTIONS" --latency -s "$here/login.lua")
wrk "${args[@]}" -d "$WARMUP" "$base/v1/login" >/dev/null
out="$(wrk "${args[@]}" -d "$DURATION" "$base/v1/login")"
if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
    printf '%s\n' "$out" >&2
    die "POST /v1/login answered errors under load"
fi
rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep '^status' <<<"$out" >&2
printf '| `POST /v1/login` | %s | %s | %s |\n' "$rps" "$p50" "$p99"
