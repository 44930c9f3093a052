#!/usr/bin/env bash
# What spoa --record costs (issue 27): one worker without a script (every NOTIFY answered at once with an
# empty ACK, so recording is the largest share of the work it can be), 10 connections x 20 in flight from
# spoa_load, the agent on CPU 0 (its recorder's writer thread too) and the load generator on CPU 1, as in
# bench/run-exec-bench.sh. Each round runs the agent without --record, then with --record at 100 %
# (a fresh file), so that a slow spell of a shared machine hits both alike; the table gives the median
# round, and the cost is the median of the per-round ratios: throughput lost, and CPU time added per
# NOTIFY, of the whole worker and of its event loop alone (the recorder's writer thread runs on the same
# CPU here; with a core to spare it would not take the event loop's time). Also shows what the recorder
# wrote: records, bytes per record, and the records it dropped (a full buffer: none expected).
#
# Usage: bench/run-record-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
#   BUILD_DIR  a build tree with agent/spoa and bench/spoa_load (default: build/release)
#   SECONDS    measured time per run (default: 5; each run also has 1 s of warm-up)
#   ROUNDS     rounds of the two runs (default: 5)
# Environment: RECORD_DIR, where the recordings go (default: a temporary directory).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-5}
rounds=${3:-5}
spoa="$build/agent/spoa"
load="$build/bench/spoa_load"
for exe in "$spoa" "$load"; do
  [[ -x "$exe" ]] || { echo "missing $exe: build the targets spoa and spoa_load first" >&2; exit 1; }
done
tmp=$(mktemp -d)
record_dir=${RECORD_DIR:-$tmp}
agent_pid=""
cleanup() {
  if [[ -n "$agent_pid" ]]; then kill "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
  rm -f "$record_dir"/spoa-record-bench.rec*
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)

# CPU time (utime + stime, in clock ticks) of the worker's threads: "<all> <writer>", the writer being
# the recorder's thread (named spoa-recorder), the rest the event loop (and idle executor threads).
worker_ticks() {
  local w t all=0 writer=0 ticks
  for w in $(cat "/proc/$agent_pid/task/$agent_pid/children"); do
    for t in /proc/"$w"/task/*; do
      ticks=$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0)
      all=$((all + ticks))
      [[ $(cat "$t/comm" 2>/dev/null) == spoa-recorder ]] && writer=$((writer + ticks))
    done
  done
  echo "$all $writer"
}

# measure <key> <spoa args...>: appends "rate p50 p99 us/NOTIFY records bytes dropped loop-us writer-us" to
# $tmp/<key>
measure() {
  local key=$1
  shift
  rm -f "$tmp/ready" "$record_dir"/spoa-record-bench.rec*
  taskset -c 0 "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level info "$@" \
    >/dev/null 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 200); do [[ -s "$tmp/ready" ]] && break; sleep 0.05; done
  [[ -s "$tmp/ready" ]] || { echo "spoa did not become ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  local port out before after
  port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  read -r before writer_before < <(worker_ticks)
  out=$(taskset -c 1 "$load" -p "$port" -c 10 -d 20 -t "$seconds" -w 1)
  read -r after writer_after < <(worker_ticks)
  kill "$agent_pid"
  wait "$agent_pid" 2>/dev/null || true
  agent_pid=""
  # The worker's last line: "recording: N exchange(s) written to FILE, S left out by --record-sample, D dropped".
  local written=0 dropped=0 bytes=0
  if grep -q 'recording: ' "$tmp/agent.log"; then
    read -r written dropped < <(sed -n 's/.*recording: \([0-9]*\) exchange.* \([0-9]*\) dropped$/\1 \2/p' "$tmp/agent.log")
    bytes=$(stat -c %s "$record_dir/spoa-record-bench.rec")
  fi
  awk -v t=$((after - before)) -v wt=$((writer_after - writer_before)) -v hz="$hz" -v s="$seconds" \
      -v w="$written" -v b="$bytes" -v d="$dropped" '
    $1 == "result" { rate = $2; p50 = $3; p99 = $5 }
    END { n = rate * (s + 1); us = (n > 0 ? 1e6 / hz / n : 0)
          printf "%.0f %.0f %.0f %.3f %d %.0f %d %.3f %.3f\n", rate, p50, p99, t * us, w, (w > 0 ? (b - 32) / w : 0), d,
                 (t - wt) * us, wt * us }' <<<"$out" >>"$tmp/$key"
}

for _ in $(seq 1 "$rounds"); do
  measure off
  measure on --record "$record_dir/spoa-record-bench.rec"
done

median() {  # median of column $2 of file $1
  sort -g -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
echo "one worker on CPU 0 without a script, spoa_load on CPU 1, 10 connections x 20 in flight," \
  "${seconds}s per run (+1 s warm-up), median of $rounds round(s)"
printf '%-15s %9s %7s %7s %10s %8s %8s %10s %9s %8s\n' recording NOTIFY/s "p50 us" "p99 us" "us/NOTIFY" "loop us" \
  "write us" records B/record dropped
for key in off on; do
  label=$([[ $key == on ]] && echo "--record 100%" || echo "off")
  printf '%-15s %9s %7s %7s %10s %8s %8s %10s %9s %8s\n' "$label" "$(median "$tmp/$key" 1)" \
    "$(median "$tmp/$key" 2)" "$(median "$tmp/$key" 3)" "$(median "$tmp/$key" 4)" "$(median "$tmp/$key" 8)" \
    "$(median "$tmp/$key" 9)" "$(median "$tmp/$key" 5)" "$(median "$tmp/$key" 6)" "$(median "$tmp/$key" 7)"
done
echo
# Per round: the throughput lost, and the CPU added per NOTIFY (all threads, then the event loop alone).
paste "$tmp/on" "$tmp/off" | awk '{ print 1 - $1 / $10, $4 / $13 - 1, $8 / $17 - 1 }' >"$tmp/ratios"
printf 'recording cost, median of the per-round ratios: %.1f %% of the throughput; CPU per NOTIFY %+.0f %% (event loop alone %+.0f %%)\n' \
  "$(median "$tmp/ratios" 1 | awk '{ print 100 * $1 }')" "$(median "$tmp/ratios" 2 | awk '{ print 100 * $1 }')" \
  "$(median "$tmp/ratios" 3 | awk '{ print 100 * $1 }')"
