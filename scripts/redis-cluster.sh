#!/usr/bin/env bash
# A throwaway three-master Redis Cluster on loopback, for the Redis Cluster store tests
# (crates/keycard-store/tests/redis_cluster.rs).
#
#   scripts/redis-cluster.sh          start ports 7001-7003 if they are not answering, form
#                                     the cluster if it is not formed, wait for cluster_state:ok
#   scripts/redis-cluster.sh stop     shut the three nodes down and remove their files
#
# Idempotent and non-interactive: running it again on a healthy cluster changes nothing.
# Nothing is persisted (no RDB, no AOF); each node keeps its nodes.conf under
# $KEYCARD_REDIS_CLUSTER_DIR (default /tmp/keycard-redis-cluster/<port>).
# The tests find the nodes through KEYCARD_REDIS_CLUSTER_NODES, whose default matches this.
set -euo pipefail

PORTS=(7001 7002 7003)
HOST=127.0.0.1
BASE="${KEYCARD_REDIS_CLUSTER_DIR:-/tmp/keycard-redis-cluster}"

die() { echo "redis-cluster.sh: $*" >&2; exit 1; }
answering() { redis-cli -h "$HOST" -p "$1" ping 2>/dev/null | grep -q PONG; }
# `cluster info` answers with CRLF line ends.
info() { redis-cli -h "$HOST" -p "$1" cluster info 2>/dev/null | tr -d '\r'; }
state_ok() { info "$1" | grep -q '^cluster_state:ok$'; }

stop() {
  for port in "${PORTS[@]}"; do
    if answering "$port"; then
      redis-cli -h "$HOST" -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 50); do answering "$port" || break; sleep 0.1; done
    answering "$port" && die "node $port did not stop"
    rm -rf "${BASE:?}/$port"
  done
  echo "redis-cluster.sh: stopped"
}

start() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
    || die "redis-server and redis-cli are needed (apt-get install redis-server)"

  for port in "${PORTS[@]}"; do
    answering "$port" && continue
    dir="$BASE/$port"
    # A node that died leaves a nodes.conf naming a cluster its peers may no longer share.
    rm -rf "$dir" && mkdir -p "$dir"
    redis-server --port "$port" --bind "$HOST" --daemonize yes \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --save "" --appendonly no --dir "$dir" --logfile "$dir/redis.log" \
      --pidfile "$dir/redis.pid"
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 100); do answering "$port" && break; sleep 0.1; done
    answering "$port" || die "node $port does not answer (see $BASE/$port/redis.log)"
  done

  # Formed means: every node sees all three masters and all 16384 slots are assigned.
  formed=true
  for port in "${PORTS[@]}"; do
    info="$(info "$port")"
    grep -q '^cluster_known_nodes:3$' <<<"$info" && grep -q '^cluster_slots_assigned:16384$' <<<"$info" \
      || formed=false
  done
  if ! $formed; then
    for port in "${PORTS[@]}"; do
      info="$(info "$port")"
      if ! grep -q '^cluster_known_nodes:1$' <<<"$info" || ! grep -q '^cluster_slots_assigned:0$' <<<"$info"; then
        die "node $port is part of another or half-formed cluster; run '$0 stop' first"
      fi
    done
    nodes=()
    for port in "${PORTS[@]}"; do nodes+=("$HOST:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
  fi

  for _ in $(seq 200); do
    all_ok=true
    for port in "${PORTS[@]}"; do state_ok "$port" || all_ok=false; done
    if $all_ok; then
      echo "redis-cluster.sh: cluster_state:ok on ${PORTS[*]}"
      return 0
    fi
    sleep 0.1
  done
  die "cluster did not reach cluster_state:ok"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 [start|stop]" ;;
esac
