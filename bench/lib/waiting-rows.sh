# Shared by run-wait-bench.sh and run-async-bench.sh (sourced, not run): one worker on CPU 0, spoa_load
# and a local redis-server on CPU 1, 10 connections x 20 in flight; rows of handler scripts measured in
# interleaved rounds, each cell the median round.
#
# The sourcing script sets nothing beforehand; it gets root, build, seconds, rounds, old_build, load and
# tmp from its arguments ([BUILD_DIR] [SECONDS] [ROUNDS]) and OLD_BUILD, and then calls:
#   start_redis KEY VALUE        a redis-server on a free port holding KEY=VALUE; sets redis_port
#   measure NAME SPOA ARGS...    one row of one round: appends "rate p50 p99" to $tmp/NAME
#   median FILE COLUMN           the median of a column of such a file
#   ratio LABEL FILE_A FILE_B    prints LABEL and the median of the per-round ratios of the rates
#   print_rows WIDTH             the table: for each "label|..." of the array rows, its new and old cells
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
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

start_redis() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed (Debian package redis-server)" >&2; exit 1; }
  redis_port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" \
    >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 200); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.05
  done
  redis-cli -p "$redis_port" set "$1" "$2" >/dev/null
}

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
  if grep -q '\[error\]' "$tmp/agent.log"; then
    echo "the agent logged errors:" >&2
    head -5 "$tmp/agent.log" >&2
  fi
}

median() {
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
  paste "$2" "$3" | awk '{ print $1 / $4 }' | sort -n |
    awk -v l="$1" '{ v[NR] = $1 } END { printf "%-52s %.2f\n", l, v[int((NR + 1) / 2)] }'
}

print_rows() {
  local width=$1 i label which f
  printf "%-${width}s %-4s %10s %8s %8s\n" handler spoa NOTIFY/s "p50 us" "p99 us"
  for i in "${!rows[@]}"; do
    IFS='|' read -r label _ <<<"${rows[$i]}"
    for which in new old; do
      f="$tmp/$which$i"
      [ -s "$f" ] || continue
      printf "%-${width}s %-4s %10s %8s %8s\n" "$label" "$which" "$(median "$f" 1)" "$(median "$f" 2)" "$(median "$f" 3)"
    done
  done
}
