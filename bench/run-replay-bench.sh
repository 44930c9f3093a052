#!/usr/bin/env bash
# Throughput of spop-sim replay from a file: a recording of COUNT exchanges (bench/make_recording) replayed
# against spoa with one worker and no script (empty ACKs, as recorded: every ACK is compared and found
# identical) on one core, spop-sim on the other (taskset), HAProxy 2.6's 20 NOTIFYs in flight per
# connection. Prints the rate reached and spop-sim's CPU time per NOTIFY (getrusage; 1 / that cost is
# what one core can drive when it is not shared). Loading the file is not in the rate.
#
# Usage: bench/run-replay-bench.sh [BUILD_DIR] [COUNT]
# Environment: AGENT_CPU (default 0) and SIM_CPU (default 1) choose the cores.
set -euo pipefail

build=${1:-build/release}
count=${2:-1000000}
agent_cpu=${AGENT_CPU:-0}
sim_cpu=${SIM_CPU:-1}
spoa="$build/agent/spoa"
sim="$build/simulator/spop-sim"
make="$build/bench/make_recording"
for exe in "$spoa" "$sim" "$make"; do
  [[ -x "$exe" ]] || { echo "missing $exe: build the targets spoa, spop-sim and make_recording first" >&2; exit 1; }
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

"$make" "$tmp/traffic.rec" "$count"
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

echo "spoa: 1 worker on CPU $agent_cpu, no script; spop-sim replay on CPU $sim_cpu;" \
  "$count recorded exchanges ($(du -h "$tmp/traffic.rec" | cut -f1)) per row"
printf '%-12s %-10s %12s %10s %8s %8s %16s\n' connections in-flight NOTIFY/s compared "p50 us" "p99 us" \
  "sim us/NOTIFY"
for c in 1 4 10; do
  status=0
  taskset -c "$sim_cpu" "$sim" replay "$tmp/traffic.rec" --json --port "$port" --connections "$c" \
    --in-flight 20 >"$tmp/r.json" || status=$?
  [[ $status -eq 0 ]] || { echo "spop-sim replay exited with $status" >&2; cat "$tmp/r.json" >&2; exit 1; }
  python3 - "$tmp/r.json" "$c" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
l = r["latency"]["replayed"]
print("%-12s %-10s %12.0f %10d %8.0f %8.0f %16.2f" % (sys.argv[2], 20, r["rate"], r["compared"], l["p50_ms"] * 1000,
      l["p99_ms"] * 1000, r["cpu_s"] * 1e6 / max(r["sent"], 1)))
PY
done
