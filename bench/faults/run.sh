#!/usr/bin/env bash
# Keycard's fault drills at length, on the release build (CI runs each briefly:
# `cargo test -p keycard-bench --test faults`). Loopback only: the drills start private
# PostgreSQL and Redis servers in scratch directories and stop, kill and restart them and
# `keycard serve`; the shared servers on 5432 and 6379 are not touched.
#
#   outage        Redis, PostgreSQL (holding everything), PostgreSQL (holding the users beside
#                 Redis), each stopped for OUTAGE seconds under load, in each mode
#   crash         keycard serve killed with SIGKILL KILLS times under load, on SQLite,
#                 PostgreSQL and PostgreSQL + Redis, in each mode; the ledger checked each time
#   slow-headers  slow-header attackers (127.0.0.2) past the connection limit while clients
#                 (127.0.0.1) are served: once with the per-address limit off, once with it
#
# Usage: bench/faults/run.sh [outage|crash|slow-headers ...]   (default: all three)
# Environment (defaults in brackets): SKIP_BUILD [0]  WORKERS [8]  OUTAGE [15]  KILLS [5]
# Exit status: 1 if any drill found a violation (the table says which), 2 if one could not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
drills=("$@")
[[ ${#drills[@]} -gt 0 ]] || drills=(outage crash slow-headers)
target="${CARGO_TARGET_DIR:-target}/release"
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    cargo build --release --locked -p keycard-cli -p keycard-bench --bin keycard --bin faults
fi
workers="${WORKERS:-8}"
status=0
for drill in "${drills[@]}"; do
    echo
    echo "## $drill ($(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    case "$drill" in
        outage) args=(outage --outage "${OUTAGE:-15}") ;;
        crash) args=(crash --kills "${KILLS:-5}") ;;
        slow-headers)
            "$target/faults" --keycard "$target/keycard" --workers "$workers" slow-headers --per-address 0 || status=$?
            echo
            args=(slow-headers) ;;
        *) echo "unknown drill $drill: outage, crash or slow-headers" >&2; exit 2 ;;
    esac
    "$target/faults" --keycard "$target/keycard" --workers "$workers" "${args[@]}" || status=$?
done
exit "$status"
