#!/usr/bin/env bash
# The execution model's benchmark (issue 21): one worker, 10 connections x 20 in flight, the agent on
# CPU 0 and the load generator on CPU 1 (as bench/run-engine-bench.sh), with
#  * handlers that do not wait (no script, the standard Lua and Python handlers): the hand-off to the
#    executor threads must cost little;
#  * handlers that wait 5 ms in a blocking call (Python time.sleep, Lua socket.sleep from lua-socket)
#    with --threads 64: they overlap;
#  * health checks (spoa_load -k: one every 20 ms on a new connection) while every executor thread of
#    the worker waits (Python 5 ms handler, --threads 8, 200 NOTIFYs in flight).
# With OLD_BUILD set (a build tree of the previous version, e.g. the main checkout's), every row also runs
# the old binary (without --threads: it runs handlers inline) and rows interleave old and new within
# each round, so that a slow spell of a shared machine hits both alike; each cell is the median round.
#
# Usage: [OLD_BUILD=/path/to/old/build] bench/run-exec-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-5}
rounds=${3:-1}
old_build=${OLD_BUILD:-}
load="$build/bench/spoa_load"
tmp=$(mktemp -d)
agent_pid=""
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
hz=$(getconf CLK_TCK)

workers_ticks() {
  local total=0 w
  for w in $(cat "/proc/$agent_pid/task/$agent_pid/children"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$w/stat")))
  done
  echo "$total"
}

# measure <key> <spoa binary> <check ms> <spoa args...>: appends "rate p50 p99 check_p99 cost" to $tmp/<key>
measure() {
  local key=$1 spoa=$2 check=$3
  shift 3
  rm -f "$tmp/ready"
  taskset -c 0 "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning "$@" \
    >/dev/null 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
  [ -s "$tmp/ready" ] || { echo "spoa did not become ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  local port out before after
  port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  before=$(workers_ticks)
  local kargs=()
  [ "$check" != 0 ] && kargs=(-k "$check")
  out=$(taskset -c 1 "$load" -p "$port" -c 10 -d 20 -t "$seconds" -w 1 "${kargs[@]}")
  after=$(workers_ticks)
  awk -v t=$((after - before)) -v hz="$hz" -v s="$seconds" '
    $1 == "result" { rate = $2; p50 = $3; p99 = $5 }
    $1 == "check" { check = $5 }
    END { n = rate * (s + 1); printf "%.0f %.0f %.0f %s %.2f\n", rate, p50, p99, (check == "" ? "-" : check),
          (n > 0 ? t / hz * 1e6 / n : 0) }' <<<"$out" >>"$tmp/$key"
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
}

s=$root/bench/scripts
# label|script|new binary's extra arguments|health check every (ms, 0 = none)
rows=(
  "no script||--threads 8|0"
  "Lua standard handler|$s/standard_noprint.lua|--threads 8|0"
  "Python standard handler|$s/standard_noprint.py|--threads 8|0"
  "Python time.sleep(5 ms)|$s/sleep5ms.py|--threads 64|0"
  "Lua socket.sleep(5 ms)|$s/sleep5ms.lua|--threads 64|0"
  "health checks, 8 threads busy|$s/sleep5ms.py|--threads 8|20"
)

for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label script extra check <<<"${rows[$i]}"
    files=()
    [ -n "$script" ] && files=(-f "$script")
    # shellcheck disable=SC2086
    measure "new$i" "$build/agent/spoa" "$check" "${files[@]}" $extra
    [ -n "$old_build" ] && measure "old$i" "$old_build/agent/spoa" "$check" "${files[@]}"
  done
done

median() {  # median of column $2 of file $1
  sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
echo "one worker on CPU 0, spoa_load on CPU 1, 10 connections x 20 in flight, ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
printf '%-32s %-4s %10s %8s %8s %12s %10s\n' handler spoa NOTIFY/s "p50 us" "p99 us" "check p99 us" "us/NOTIFY"
for i in "${!rows[@]}"; do
  IFS='|' read -r label _ <<<"${rows[$i]}"
  for which in new old; do
    f="$tmp/$which$i"
    [ -s "$f" ] || continue
    printf '%-32s %-4s %10s %8s %8s %12s %10s\n' "$label" "$which" "$(median "$f" 1)" "$(median "$f" 2)" \
      "$(median "$f" 3)" "$(median "$f" 4)" "$(median "$f" 5)"
  done
done
if [ -n "$old_build" ]; then
  echo
  echo "new / old NOTIFY/s, median of the per-round ratios:"
  for i in 0 1 2; do
    IFS='|' read -r label _ <<<"${rows[$i]}"
    paste "$tmp/new$i" "$tmp/old$i" | awk '{ print $1 / $6 }' | sort -n |
      awk -v l="$label" '{ v[NR] = $1 } END { printf "  %-30s %.2f\n", l, v[int((NR + 1) / 2)] }'
  done
fi
