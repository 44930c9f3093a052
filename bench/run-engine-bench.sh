#!/usr/bin/env bash
# Throughput of spoa with the standard example's handler (no printing) in Lua, Python and PHP, next to no
# script at all and to an empty Lua and Python handler: one worker pinned to CPU 0 and the load generator to CPU 1, then (Python, PHP) two workers
# sharing both cores with the load generator.
#
# Besides NOTIFY/s, each row gives the agent's CPU time per NOTIFY (utime + stime of all workers from
# /proc, warm-up included) and its inverse, the NOTIFYs one fully used core could answer. The CPU figure
# stays meaningful on a shared machine and when the load generator competes with the workers for the
# cores (the two-worker row on a 2-core machine).
# Usage: bench/run-engine-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]   (ROUNDS > 1 on a noisy machine)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-5}
rounds=${3:-1}
spoa="$build/agent/spoa"
load="$build/bench/spoa_load"
tmp=$(mktemp -d)
agent_pid=""
cleanup() { [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
hz=$(getconf CLK_TCK)

workers_ticks() {  # utime + stime of every worker of the running agent
  local total=0 w
  for w in $(cat "/proc/$agent_pid/task/$agent_pid/children"); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$w/stat")))
  done
  echo "$total"
}

measure() {  # row workers agent_cpus load_cpus connections depth [script]: appends "rate cost" to $tmp/row<row>
  local row=$1 workers=$2 agent_cpus=$3 load_cpus=$4 connections=$5 depth=$6 script=${7:-}
  rm -f "$tmp/ready"
  local args=(-n "$workers" -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning)
  [ -n "$script" ] && args+=(-f "$script")
  taskset -c "$agent_cpus" "$spoa" "${args[@]}" >/dev/null 2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
  [ -s "$tmp/ready" ] || { echo "spoa did not become ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  local port; port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  local before after rate
  before=$(workers_ticks)
  rate=$(taskset -c "$load_cpus" "$load" -p "$port" -c "$connections" -d "$depth" -t "$seconds" -w 1 | awk '$1 == "result" {print $2}')
  after=$(workers_ticks)
  awk -v rate="${rate:-0}" -v t=$((after - before)) -v hz="$hz" -v s="$seconds" 'BEGIN {
    n = rate * (s + 1); printf "%.0f %.4f\n", rate, (n > 0 ? t / hz * 1e6 / n : 0) }' >>"$tmp/row$row"
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
}

# label|workers|agent CPUs|load CPUs|connections|in flight per connection|script
# The last rows measure how the workers scale: with two workers the load generator shares both cores
# with them, so it runs with deeper pipelines (fewer system calls per NOTIFY: it then needs about a
# quarter of a core), and the one-worker row beside it uses the same load.
py=$root/bench/scripts/standard_noprint.py
php=$root/bench/scripts/standard_noprint.php
rows=(
  "empty handler (no script)|1|0|1|10|20|"
  "Lua empty handler|1|0|1|10|20|$root/bench/scripts/empty.lua"
  "Lua standard handler|1|0|1|10|20|$root/bench/scripts/standard_noprint.lua"
  "Lua 11 no-op C calls (floor)|1|0|1|10|20|$root/bench/scripts/noop_calls.lua"
  "Python empty handler|1|0|1|10|20|$root/bench/scripts/empty.py"
  "Python standard handler|1|0|1|10|20|$py"
  "Python standard handler, CPUs 0-1|2|0,1|0,1|10|20|$py"
  "PHP standard handler|1|0|1|10|20|$php"
  "PHP standard handler, CPUs 0-1|2|0,1|0,1|10|20|$php"
  "Python standard, 4x400|1|0|1|4|400|$py"
  "Python standard, 4x400, CPUs 0-1|2|0,1|0,1|4|400|$py"
  "PHP standard, 4x400|1|0|1|4|400|$php"
  "PHP standard, 4x400, CPUs 0-1|2|0,1|0,1|4|400|$php"
)

# Rounds interleave the rows, so that a slow spell of a shared machine hits every row alike; each row
# then shows its median round.
echo "10 connections x 20 in flight unless the row says otherwise (4x400: 4 x 400); ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
printf '%-36s %8s %10s %12s %14s\n' handler workers NOTIFY/s "us/NOTIFY" "NOTIFY/s/core"
for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label workers agent_cpus load_cpus connections depth script <<<"${rows[$i]}"
    measure "$i" "$workers" "$agent_cpus" "$load_cpus" "$connections" "$depth" "$script"
  done
done
for i in "${!rows[@]}"; do
  IFS='|' read -r label workers _ <<<"${rows[$i]}"
  sort -n "$tmp/row$i" | awk -v label="$label" -v w="$workers" '{ r[NR] = $1; c[NR] = $2 } END {
    m = int((NR + 1) / 2); printf "%-36s %8d %10.0f %12.2f %14.0f\n", label, w, r[m], c[m], (c[m] > 0 ? 1e6 / c[m] : 0) }'
done

# The goals are ratios between rows. Each is taken within a round (rows of one round run minutes apart at
# most, so a slow spell hits both sides) and the median over rounds is printed with every round's value.
ratios=(
  "Lua standard / no script|Lua standard handler|empty handler (no script)"
  "Lua standard / Lua empty|Lua standard handler|Lua empty handler"
  "Lua floor / no script|Lua 11 no-op C calls (floor)|empty handler (no script)"
  "Python standard / no script|Python standard handler|empty handler (no script)"
  "Python 2 workers / 1 (10x20)|Python standard handler, CPUs 0-1|Python standard handler"
  "Python 2 workers / 1 (4x400)|Python standard, 4x400, CPUs 0-1|Python standard, 4x400"
  "PHP 2 workers / 1 (4x400)|PHP standard, 4x400, CPUs 0-1|PHP standard, 4x400"
)
row_of() {  # label -> index in rows
  local i
  for i in "${!rows[@]}"; do [[ "${rows[$i]%%|*}" == "$1" ]] && { echo "$i"; return; }; done
  echo "no row $1" >&2; exit 1
}
echo
printf '%-32s %8s   %s\n' ratio median "per round"
for entry in "${ratios[@]}"; do
  IFS='|' read -r label top bottom <<<"$entry"
  values=$(paste -d' ' "$tmp/row$(row_of "$top")" "$tmp/row$(row_of "$bottom")" |
    awk '{ printf "%.2f\n", ($3 > 0 ? $1 / $3 : 0) }')
  median=$(sort -n <<<"$values" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '%-32s %8s   %s\n' "$label" "$median" "$(tr '\n' ' ' <<<"$values")"
done
