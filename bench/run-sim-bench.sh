#!/usr/bin/env bash
# Throughput of spop-sim itself: spoa with one worker and no script (empty ACKs) on one core, spop-sim
# on the other (taskset), closed loop with HAProxy 2.6's 20 NOTIFYs in flight per connection.
# Prints the rate reached and spop-sim's CPU time per NOTIFY (getrusage; 1 / that cost is what one
# core can drive when it is not shared).
#
# Usage: bench/run-sim-bench.sh [BUILD_DIR] [SECONDS]
# Environment: AGENT_CPU (default 0) and SIM_CPU (default 1) choose the cores.
set -euo pipefail

build=${1:-build/release}
seconds=${2:-5}
agent_cpu=${AGENT_CPU:-0}
sim_cpu=${SIM_CPU:-1}
here=$(cd "$(dirname "$0")" && pwd)
spoa="$build/agent/spoa"
sim="$build/simulator/spop-sim"
for exe in "$spoa" "$sim"; do
  [[ -x "$exe" ]] || { echo "missing $exe: build the targets spoa and spop-sim first" >&2; exit 1; }
done

tmp=$(mktemp -d)
agent_pid=
cleanup() {
  if [[ -n "$agent_pid" ]]; then
    kill -TERM "$agent_pid" 2>/dev/null || true
    wait "$agent_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

taskset -c "$agent_cpu" "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" \
  --log-level warning 2>"$tmp/agent.log" &
agent_pid=$!
for _ in $(seq 1 500); do
  [[ -s "$tmp/ready" ]] && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log" >&2; exit 1; }
  sleep 0.01
done
[[ -s "$tmp/ready" ]] || { echo "spoa did not get ready" >&2; exit 1; }
port=$(awk 'NR==1 {print $2}' "$tmp/ready")

echo "spoa: 1 worker on CPU $agent_cpu, no script; spop-sim on CPU $sim_cpu; ${seconds}s per row"
printf '%-12s %-10s %12s %8s %8s %8s %16s\n' connections in-flight NOTIFY/s "p50 us" "p99 us" "p99.9 us" \
  "sim us/NOTIFY"
for c in 1 4 10; do
  taskset -c "$sim_cpu" "$sim" run -q --json -c "$here/sim/spoe-trivial.conf" -s "$here/sim/trivial.yaml" \
    --port "$port" --connections "$c" --in-flight 20 --duration "${seconds}s" >"$tmp/r.json"
  python3 - "$tmp/r.json" "$c" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latency"]
print("%-12s %-10s %12.0f %8.0f %8.0f %8.0f %16.2f" % (sys.argv[2], 20, r["throughput_rps"], l["p50_ms"] * 1000,
      l["p99_ms"] * 1000, l["p99.9_ms"] * 1000, r["cpu_us_per_notify"]))
PY
done
