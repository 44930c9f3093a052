#!/usr/bin/env bash
# Memory of one spoa worker: RSS over a long run of NOTIFYs (does it stay flat?) and the memory each
# idle connection costs (RSS delta after opening many connections that only did the handshake).
# RSS is VmRSS from /proc/<worker>/status.
#
# Usage: bench/run-memory-bench.sh [BUILD_DIR] [NOTIFYS] [IDLE_CONNECTIONS]
#   BUILD_DIR         a build tree with agent/spoa and bench/spoa_load (default: build/release)
#   NOTIFYS           NOTIFYs for the RSS run (default: 10000000), 10 connections x 20 in flight
#   IDLE_CONNECTIONS  idle connections for the per-connection figure (default: 2000)
# Environment: SCRIPT=<file> runs the agent with -f SCRIPT; AGENT_CPU / LOAD_CPU (default 0 / 1) pin them.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
notifies=${2:-10000000}
idle=${3:-2000}
agent_cpu=${AGENT_CPU:-0}
load_cpu=${LOAD_CPU:-1}
spoa="$build/agent/spoa"
load="$build/bench/spoa_load"
for exe in "$spoa" "$load"; do
  [[ -x "$exe" ]] || { echo "missing $exe: build the targets spoa and spoa_load first" >&2; exit 1; }
done

tmp=$(mktemp -d)
agent_pid=
load_pid=
stop_agent() {
  if [[ -n "$agent_pid" ]]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
    agent_pid=
  fi
}
cleanup() {
  [[ -n "$load_pid" ]] && kill "$load_pid" 2>/dev/null || true
  stop_agent
  rm -rf "$tmp"
}
trap cleanup EXIT

start_agent() {
  rm -f "$tmp/ready"
  local args=(-n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning)
  [[ -n "${SCRIPT:-}" ]] && args+=(-f "$SCRIPT")
  taskset -c "$agent_cpu" "$spoa" "${args[@]}" >/dev/null 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 500); do
    [[ -s "$tmp/ready" ]] && break
    kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log" >&2; exit 1; }
    sleep 0.01
  done
  [[ -s "$tmp/ready" ]] || { echo "spoa did not get ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  worker=$(awk '{print $1}' "/proc/$agent_pid/task/$agent_pid/children")
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$worker/status"; }
open_fds() { ls "/proc/$worker/fd" | wc -l; }

echo "spoa: 1 worker on CPU $agent_cpu${SCRIPT:+, -f $SCRIPT}; spoa_load on CPU $load_cpu"

# 1. RSS across NOTIFYs, sampled every 0.5 s; the first sample is taken after 1 s of load.
start_agent
taskset -c "$load_cpu" "$load" -p "$port" -c 10 -d 20 -n "$notifies" >"$tmp/load.out" &
load_pid=$!
sleep 1
: >"$tmp/rss"
while kill -0 "$load_pid" 2>/dev/null; do
  rss_kib >>"$tmp/rss"
  sleep 0.5
done
wait "$load_pid" || { echo "spoa_load failed" >&2; cat "$tmp/load.out" >&2; exit 1; }
load_pid=
rss_kib >>"$tmp/rss"
rate=$(awk '$1 == "result" {print $2}' "$tmp/load.out")
awk -v n="$notifies" -v rate="$rate" '
  NR == 1 { first = $1; min = $1; max = $1 }
  { last = $1; if ($1 < min) min = $1; if ($1 > max) max = $1 }
  END {
    printf "RSS over %d NOTIFYs (%s/s, %d samples): first %d KiB, last %d KiB, min %d, max %d, growth %+.1f %%\n",
      n, rate, NR, first, last, min, max, (last - first) * 100.0 / first
  }' "$tmp/rss"
stop_agent

# 2. Idle connections: RSS before, and once the worker holds all of them.
start_agent
before=$(rss_kib)
fds_before=$(open_fds)
"$load" -p "$port" -i "$idle" -t 3600 >"$tmp/idle.out" &
load_pid=$!
for _ in $(seq 1 3000); do
  grep -q idle-ready "$tmp/idle.out" 2>/dev/null && (( $(open_fds) >= fds_before + idle )) && break
  kill -0 "$load_pid" 2>/dev/null || { echo "spoa_load -i failed" >&2; exit 1; }
  sleep 0.01
done
(( $(open_fds) >= fds_before + idle )) || { echo "the worker did not accept all connections" >&2; exit 1; }
after=$(rss_kib)
kill "$load_pid" 2>/dev/null || true
wait "$load_pid" 2>/dev/null || true
load_pid=
awk -v b="$before" -v a="$after" -v n="$idle" 'BEGIN {
  printf "idle connections: %d; RSS %d KiB -> %d KiB: %.1f KiB per connection\n", n, b, a, (a - b) / n }'
