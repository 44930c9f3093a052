#!/usr/bin/env bash
# End-to-end benchmark of spoa: one worker, no script (empty ACKs), load from spoa_load.
# The agent and the load generator are pinned to different cores so that they do not compete.
#
# Usage: bench/run-agent-bench.sh [BUILD_DIR] [SECONDS]
#   BUILD_DIR  a build tree with agent/spoa and bench/spoa_load (default: build/release)
#   SECONDS    measured time per row (default: 5; each row also has 1 s of warm-up)
# Environment: AGENT_CPU (default 0) and LOAD_CPU (default 1) choose the cores. TLS=1 runs every row over
# mutual TLS (test certificates from scripts/make-test-certs.sh; spoa --tls-cert/--tls-key/--tls-ca,
# spoa_load --tls-ca/--tls-cert/--tls-key), for the rows next to plaintext. SCRIPT=FILE runs the agent
# with that handler script (e.g. bench/scripts/standard_noprint.lua) instead of none. ROWS="C D;C D"
# chooses the rows (connections and NOTIFYs in flight; default "1 1;1 20;10 20;50 20;100 1").
set -euo pipefail

build=${1:-build/release}
seconds=${2:-5}
agent_cpu=${AGENT_CPU:-0}
load_cpu=${LOAD_CPU:-1}
spoa="$build/agent/spoa"
load="$build/bench/spoa_load"
for exe in "$spoa" "$load"; do
  [[ -x "$exe" ]] || { echo "missing $exe: build the targets spoa and spoa_load first" >&2; exit 1; }
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

agent_tls=()
load_tls=()
script_args=()
[[ -n "${SCRIPT:-}" ]] && script_args=(-f "$SCRIPT")
if [[ "${TLS:-0}" == 1 ]]; then
  bash "$(dirname "$0")/../scripts/make-test-certs.sh" "$tmp/certs"
  agent_tls=(--tls-cert "$tmp/certs/server.pem" --tls-key "$tmp/certs/server.key" --tls-ca "$tmp/certs/ca.pem")
  load_tls=(--tls-ca "$tmp/certs/ca.pem" --tls-cert "$tmp/certs/client.pem" --tls-key "$tmp/certs/client.key")
fi

taskset -c "$agent_cpu" "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" \
  --log-level warning "${agent_tls[@]}" "${script_args[@]}" 2>"$tmp/agent.log" &
agent_pid=$!

# Wait for readiness through the ready file (bounded; no fixed sleep).
for _ in $(seq 1 500); do
  [[ -s "$tmp/ready" ]] && break
  kill -0 "$agent_pid" 2>/dev/null || { cat "$tmp/agent.log" >&2; exit 1; }
  sleep 0.01
done
[[ -s "$tmp/ready" ]] || { echo "spoa did not get ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
port=$(awk 'NR==1 {print $2}' "$tmp/ready")
worker=$(cat "/proc/$agent_pid/task/$agent_pid/children" | awk '{print $1}')
# CPU time (utime + stime, in clock ticks) the worker has used so far: with the rate it gives the
# agent's CPU cost per NOTIFY, which stays meaningful when other processes share the machine.
worker_ticks() { awk '{print $14 + $15}' "/proc/$worker/stat"; }
hz=$(getconf CLK_TCK)

echo "spoa: 1 worker on CPU $agent_cpu, ${SCRIPT:-no script}$([[ ${#agent_tls[@]} -gt 0 ]] && echo ', mutual TLS'); spoa_load on CPU $load_cpu; ${seconds}s per row"
printf '%-12s %-10s %12s %8s %8s %8s %8s %8s %14s\n' connections in-flight NOTIFY/s "p50 us" "p90 us" "p99 us" \
  "p99.9 us" "max us" "agent us/NOTIFY"
IFS=';' read -r -a rows <<<"${ROWS:-1 1;1 20;10 20;50 20;100 1}"
for row in "${rows[@]}"; do
  set -- $row
  before=$(worker_ticks)
  line=$(taskset -c "$load_cpu" "$load" -p "$port" -c "$1" -d "$2" -t "$seconds" -w 1 "${load_tls[@]}" | awk '$1 == "result"')
  after=$(worker_ticks)
  set -- $row $line
  # The worker's CPU covers warm-up too (1 s at about the same rate): count it in the NOTIFYs.
  cost=$(awk -v t=$((after - before)) -v hz="$hz" -v rate="$4" -v s="$seconds" \
    'BEGIN { n = rate * (s + 1); if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "-" }')
  printf '%-12s %-10s %12s %8s %8s %8s %8s %8s %14s\n' "$1" "$2" "$4" "$5" "$6" "$7" "$8" "$9" "$cost"
done
