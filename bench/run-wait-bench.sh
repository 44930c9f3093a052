#!/usr/bin/env bash
# Lua handlers that wait without holding a thread (issue 22): one worker, one Lua state (--threads 1),
# 10 connections x 20 in flight, the agent on CPU 0 and the load generator (and redis-server) on CPU 1:
#  * spoa.sleep(0.005) then the standard handler's eleven setters (the ceiling is 200 in flight / 5 ms
#    = 40,000 NOTIFY/s);
#  * a GET of one key from a local redis-server through spoa.tcp() with keepalive;
#  * the standard handler (no waiting), which must cost no more than before.
# With OLD_BUILD set (a build tree of the previous version, e.g. the main checkout's), the standard
# handler also runs on the old binary, interleaved with the new one in each round, so that a slow
# spell of a shared machine hits both alike; each cell is the median round.
#
# Usage: [OLD_BUILD=/path/to/old/build] bench/run-wait-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-5}
rounds=${3:-1}
old_build=${OLD_BUILD:-}
load="$build/bench/spoa_load"
tmp=$(mktemp -d)
agent_pid=""
redis_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
  >"$tmp/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 200); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$redis_port" set bench:key 42 >/dev/null
export SPOA_REDIS_PORT=$redis_port

# measure <key> <spoa binary> <spoa args...>: appends "rate p50 p99" to $tmp/<key>
measure() {
  local key=$1 spoa=$2
  shift 2
  rm -f "$tmp/ready"
  taskset -c 0 "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning "$@" \
    >/dev/null 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
  [ -s "$tmp/ready" ] || { echo "spoa did not become ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  local port out
  port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  out=$(taskset -c 1 "$load" -p "$port" -c 10 -d 20 -t "$seconds" -w 1)
  awk '$1 == "result" { printf "%.0f %.0f %.0f\n", $2, $3, $5 }' <<<"$out" >>"$tmp/$key"
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
  if grep -q "error" "$tmp/agent.log"; then echo "handler errors:" >&2; head -5 "$tmp/agent.log" >&2; fi
}

s=$root/bench/scripts
# label|script
rows=(
  "spoa.sleep(5 ms) + 11 setters|$s/spoa_sleep5ms.lua"
  "Redis GET via spoa.tcp keepalive|$s/redis_get_tcp.lua"
  "standard handler (no waiting)|$s/standard_noprint.lua"
)

for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label script <<<"${rows[$i]}"
    measure "new$i" "$build/agent/spoa" --threads 1 -f "$script"
    if [ -n "$old_build" ] && [ "$i" = 2 ]; then measure "old$i" "$old_build/agent/spoa" --threads 1 -f "$script"; fi
  done
done

median() {  # median of column $2 of file $1
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
echo "one worker, --threads 1 (one Lua state) on CPU 0, spoa_load (and redis-server) on CPU 1,"
echo "10 connections x 20 in flight, ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
printf '%-34s %-4s %10s %8s %8s\n' handler spoa NOTIFY/s "p50 us" "p99 us"
for i in "${!rows[@]}"; do
  IFS='|' read -r label _ <<<"${rows[$i]}"
  for which in new old; do
    f="$tmp/$which$i"
    [ -s "$f" ] || continue
    printf '%-34s %-4s %10s %8s %8s\n' "$label" "$which" "$(median "$f" 1)" "$(median "$f" 2)" "$(median "$f" 3)"
  done
done
if [ -n "$old_build" ]; then
  echo
  paste "$tmp/new2" "$tmp/old2" | awk '{ print $1 / $4 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "standard handler, new / old NOTIFY/s (median of the per-round ratios): %.2f\n", v[int((NR + 1) / 2)] }'
fi
