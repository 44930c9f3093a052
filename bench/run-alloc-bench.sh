#!/usr/bin/env bash
# Heap allocations per NOTIFY of one spoa worker, no script, 10 connections x 20 in flight, plaintext and
# over mutual TLS: counts the worker's calls of libc's malloc (which operator new and OpenSSL's
# CRYPTO_malloc end in) with a perf uprobe while spoa_load runs, after a warm-up run on the same
# connections' worker. Needs root (perf probe) and Debian's linux-perf.
#
# Usage: bench/run-alloc-bench.sh [BUILD_DIR] [SECONDS]
# Where they come from: `perf record -e probe_libc:malloc --call-graph dwarf -p WORKER` during a run.
set -euo pipefail
build=${1:-build/release}
seconds=${2:-3}
libc=$(ldconfig -p | awk '/libc.so.6 .*x86-64/ {print $NF; exit}')
tmp=$(mktemp -d)
agent_pid=""
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
  wait 2>/dev/null || true
  perf probe -q -d probe_libc:malloc 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
perf probe -q -d probe_libc:malloc 2>/dev/null || true
perf probe -q -x "$libc" malloc
bash "$(dirname "$0")/../scripts/make-test-certs.sh" "$tmp/certs" >/dev/null

# measure <tls 0|1>: prints "mallocs notifies"
measure() {
  local tls=() load_tls=()
  if [ "$1" = 1 ]; then
    tls=(--tls-cert "$tmp/certs/server.pem" --tls-key "$tmp/certs/server.key" --tls-ca "$tmp/certs/ca.pem")
    load_tls=(--tls-ca "$tmp/certs/ca.pem" --tls-cert "$tmp/certs/client.pem" --tls-key "$tmp/certs/client.key")
  fi
  rm -f "$tmp/ready"
  "$build/agent/spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning "${tls[@]}" \
    2>"$tmp/agent.log" &
  agent_pid=$!
  for _ in $(seq 1 200); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
  [ -s "$tmp/ready" ] || { echo "spoa did not become ready" >&2; cat "$tmp/agent.log" >&2; exit 1; }
  local port worker counter out
  port=$(awk 'NR==1 {print $2}' "$tmp/ready")
  worker=$(awk '{print $1}' "/proc/$agent_pid/task/$agent_pid/children")
  "$build/bench/spoa_load" -p "$port" -c 10 -d 20 -t 1 -w 0 "${load_tls[@]}" >/dev/null  # warm-up
  perf stat -x, -e probe_libc:malloc -p "$worker" -o "$tmp/stat.txt" &
  counter=$!
  out=$("$build/bench/spoa_load" -p "$port" -c 10 -d 20 -t "$seconds" -w 0 "${load_tls[@]}" | awk '$1 == "result"')
  kill -INT "$counter"; wait "$counter" 2>/dev/null || true
  kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true; agent_pid=""
  local rate mallocs
  rate=$(awk '{print $2}' <<<"$out")
  mallocs=$(awk -F, '/probe_libc:malloc/ {print $1}' "$tmp/stat.txt")
  echo "$mallocs $(awk -v r="$rate" -v s="$seconds" 'BEGIN { printf "%.0f", r * s }')"
}

echo "one worker, no script, 10 connections x 20 in flight, ${seconds}s; malloc calls of the worker"
printf '%-12s %12s %12s %16s\n' transport NOTIFYs mallocs "mallocs/NOTIFY"
for tls in 0 1; do
  read -r mallocs notifies < <(measure "$tls")
  per=$(awk -v m="$mallocs" -v n="$notifies" 'BEGIN { if (n == 0) print "-"; else printf "%.4f", m / n }')
  printf '%-12s %12s %12s %16s\n' "$([ "$tls" = 1 ] && echo "mutual TLS" || echo plaintext)" "$notifies" "$mallocs" "$per"
done
