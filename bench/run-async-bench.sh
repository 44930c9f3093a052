#!/usr/bin/env bash
# Python async def handlers (issue 23): one worker, 10 connections x 20 in flight, the agent on CPU 0
# and the load generator on CPU 1 (as bench/run-exec-bench.sh), with
#  * await asyncio.sleep(0.005) then the standard handler's eleven setters (the ceiling is 200 calls in
#    flight / 5 ms = 40,000 NOTIFY/s);
#  * one GET through redis.asyncio from a local redis-server (started here on a free port, on CPU 1 with
#    the load generator: the agent keeps CPU 0 to itself);
#  * the plain standard handler, on executor threads as before.
# The two async handlers run twice: on the default loop (--asyncio-loop auto: uvloop when python3-uvloop is
# installed) and on asyncio's own (--asyncio-loop asyncio), interleaved within each round.
# With OLD_BUILD set (a build tree of the previous version, e.g. the main checkout's), the plain row also
# runs the old binary, interleaved within each round, and the ratio new / old is printed: the plain
# handlers must not pay for the event loop. Each cell is the median round.
#
# Usage: [OLD_BUILD=/path/to/old/build] bench/run-async-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
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

command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian package redis-server)" >&2; exit 1; }
redis_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
  >"$tmp/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 200); do
  [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
  sleep 0.05
done
redis-cli -p "$redis_port" set bench:score 42 >/dev/null
export SPOA_BENCH_REDIS_PORT=$redis_port

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
  if grep -q '\[error\]' "$tmp/agent.log"; then
    echo "the agent logged errors:" >&2
    head -5 "$tmp/agent.log" >&2
  fi
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
}

s=$root/bench/scripts
# label|script|compare with OLD_BUILD (1) or not (0)|extra spoa arguments
rows=(
  "async: asyncio.sleep(5 ms) + setters|$s/async_sleep5ms.py|0|"
  "  same, --asyncio-loop asyncio|$s/async_sleep5ms.py|0|--asyncio-loop asyncio"
  "async: redis.asyncio GET|$s/async_redis_get.py|0|"
  "  same, --asyncio-loop asyncio|$s/async_redis_get.py|0|--asyncio-loop asyncio"
  "plain standard handler|$s/standard_noprint.py|1|"
)

for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label script compare extra <<<"${rows[$i]}"
    # shellcheck disable=SC2086 # extra is a list of arguments
    measure "new$i" "$build/agent/spoa" -f "$script" $extra
    [ -n "$old_build" ] && [ "$compare" = 1 ] && measure "old$i" "$old_build/agent/spoa" -f "$script"
  done
done

median() {  # median of column $2 of file $1
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
echo "one worker on CPU 0, spoa_load (and redis-server) on CPU 1, 10 connections x 20 in flight, ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
printf '%-40s %-4s %10s %8s %8s\n' handler spoa NOTIFY/s "p50 us" "p99 us"
for i in "${!rows[@]}"; do
  IFS='|' read -r label _ <<<"${rows[$i]}"
  for which in new old; do
    f="$tmp/$which$i"
    [ -s "$f" ] || continue
    printf '%-40s %-4s %10s %8s %8s\n' "$label" "$which" "$(median "$f" 1)" "$(median "$f" 2)" "$(median "$f" 3)"
  done
done
# ratio <label> <file a> <file b>: the median of the per-round ratios of column 1 (NOTIFY/s)
ratio() {
  paste "$2" "$3" | awk '{ print $1 / $4 }' | sort -n |
    awk -v l="$1" '{ v[NR] = $1 } END { printf "%-52s %.2f\n", l, v[int((NR + 1) / 2)] }'
}
echo
echo "NOTIFY/s ratios, median of the per-round ratios:"
ratio "asyncio.sleep: default loop / --asyncio-loop asyncio" "$tmp/new0" "$tmp/new1"
ratio "redis.asyncio: default loop / --asyncio-loop asyncio" "$tmp/new2" "$tmp/new3"
[ -n "$old_build" ] && ratio "plain standard handler: new / old" "$tmp/new4" "$tmp/old4"
exit 0
