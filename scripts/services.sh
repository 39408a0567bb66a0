#!/usr/bin/env bash
# Starts the local services the store tests talk to, if they are installed and not already
# answering: PostgreSQL (127.0.0.1:5432, database `test`), Redis (127.0.0.1:6379) and the
# 3-master Redis Cluster on 127.0.0.1:7001-7003 (scripts/redis-cluster.sh).
# A service that cannot be started is reported; its tests then fail (or are skipped with
# KEYCARD_SKIP_POSTGRES / KEYCARD_SKIP_REDIS / KEYCARD_SKIP_REDIS_CLUSTER, never in CI).
set -uo pipefail
cd "$(dirname "$0")/.."

wait_for() { # what, command...
  local what=$1; shift
  for _ in $(seq 1 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "services: $what did not come up" >&2
  return 1
}

status=0
if command -v pg_isready >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432 || status=1
  fi
else
  echo "services: PostgreSQL is not installed" >&2; status=1
fi

if command -v redis-server >/dev/null; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    wait_for Redis redis-cli -h 127.0.0.1 -p 6379 ping || status=1
  fi
  bash scripts/redis-cluster.sh start || status=1
else
  echo "services: Redis is not installed" >&2; status=1
fi
exit $status
