#!/usr/bin/env bash
# HAProxy with and without the SPOE filter, under wrk at a fixed concurrency: what the agent costs per
# HTTP request. One haproxy (2.6+) serves two frontends on loopback: "plain" and "spoe" (the standard
# example's message check-client-ip with its five arguments sent to spoa for every request). Both
# forward to a tiny origin served by the same haproxy (`http-request return`), so no other server is
# needed. spoa runs one worker with the standard example's handler without printing.
#
# Usage: bench/run-haproxy-bench.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#   defaults: build/release, 10 s per run, 20 connections (wrk -t1)
# Environment: SCRIPT (default bench/scripts/standard_noprint.lua; examples/ps_lua.lua adds its printing),
#   SERVER_CPUS (default 0: haproxy and spoa), WRK_CPUS (default 1), HAPROXY (default: haproxy in PATH).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-10}
connections=${3:-20}
script=${SCRIPT:-$root/bench/scripts/standard_noprint.lua}
server_cpus=${SERVER_CPUS:-0}
wrk_cpus=${WRK_CPUS:-1}
haproxy=${HAPROXY:-haproxy}
spoa="$build/agent/spoa"
[[ -x "$spoa" ]] || { echo "missing $spoa: build the target spoa first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }
command -v "$haproxy" >/dev/null || { echo "haproxy is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Three free loopback ports (the kernel's choice for port 0, released just before haproxy binds them).
read -r plain_port spoe_port origin_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

taskset -c "$server_cpus" "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$tmp/ready" --log-level warning \
  -f "$script" >/dev/null 2>"$tmp/spoa.log" &
spoa_pid=$!
pids+=("$spoa_pid")
for _ in $(seq 1 500); do [[ -s "$tmp/ready" ]] && break; sleep 0.01; done
[[ -s "$tmp/ready" ]] || { echo "spoa did not get ready" >&2; cat "$tmp/spoa.log" >&2; exit 1; }
agent_port=$(awk 'NR==1 {print $2}' "$tmp/ready")
worker=$(awk '{print $1}' "/proc/$spoa_pid/task/$spoa_pid/children")

cat >"$tmp/spoe.conf" <<CONF
[ps]
spoe-agent iprep-agent
    messages check-client-ip
    option var-prefix iprep
    timeout hello 2s
    timeout idle 2m
    timeout processing 500ms
    use-backend agents

spoe-message check-client-ip
    args always_true int(1234) src ipv6(::55) req.fhdr(host)
    event on-frontend-http-request
CONF

cat >"$tmp/haproxy.cfg" <<CONF
global
    nbthread 1
    maxconn 4000

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive

frontend plain
    bind 127.0.0.1:$plain_port
    default_backend origin

frontend spoe
    bind 127.0.0.1:$spoe_port
    filter spoe engine ps config $tmp/spoe.conf
    http-request set-header x-ip-score %[var(sess.iprep.ip_score)]
    default_backend origin

backend origin
    server origin 127.0.0.1:$origin_port

frontend origin
    bind 127.0.0.1:$origin_port
    http-request return status 200 content-type text/plain string "ok\n"

backend agents
    mode tcp
    timeout server 3m
    server agent1 127.0.0.1:$agent_port
CONF

taskset -c "$server_cpus" "$haproxy" -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
haproxy_pid=$!
pids+=("$haproxy_pid")
for _ in $(seq 1 500); do
  curl -fs "http://127.0.0.1:$spoe_port/" >/dev/null 2>&1 && break
  kill -0 "$haproxy_pid" 2>/dev/null || { cat "$tmp/haproxy.log" >&2; exit 1; }
  sleep 0.02
done
curl -fs "http://127.0.0.1:$spoe_port/" >/dev/null || { echo "haproxy is not answering" >&2; cat "$tmp/haproxy.log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# Prints: requests/s, p50, p99 (as wrk writes them), haproxy CPU us/request, spoa CPU us/request.
run_wrk() {
  local port=$1
  local h0 s0 h1 s1 out
  h0=$(ticks "$haproxy_pid"); s0=$(ticks "$worker")
  out=$(taskset -c "$wrk_cpus" wrk -t1 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port/")
  h1=$(ticks "$haproxy_pid"); s1=$(ticks "$worker")
  awk -v h=$((h1 - h0)) -v s=$((s1 - s0)) -v hz="$hz" '
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /requests in/ { n = $1 }
    /Non-2xx/ { bad = $NF }
    END {
      if (bad != "") { print "non-2xx responses: " bad > "/dev/stderr"; exit 1 }
      printf "%s %s %s %.2f %.2f\n", rps, p50, p99, h / hz * 1e6 / n, s / hz * 1e6 / n
    }' <<<"$out"
}

echo "haproxy $("$haproxy" -v | awk 'NR==1 {print $3}') (1 thread) and spoa (1 worker, $(basename "$script")) on CPU $server_cpus;" \
  "wrk -t1 -c$connections on CPU $wrk_cpus; ${seconds}s per run"
read -r plain_rps plain_p50 plain_p99 plain_hap plain_spoa < <(run_wrk "$plain_port")
read -r spoe_rps spoe_p50 spoe_p99 spoe_hap spoe_spoa < <(run_wrk "$spoe_port")
printf '%-22s %12s %10s %10s %16s %16s\n' config requests/s "p50" "p99" "haproxy us/req" "spoa us/req"
printf '%-22s %12s %10s %10s %16s %16s\n' "without SPOE" "$plain_rps" "$plain_p50" "$plain_p99" "$plain_hap" "-"
printf '%-22s %12s %10s %10s %16s %16s\n' "with SPOE + spoa" "$spoe_rps" "$spoe_p50" "$spoe_p99" "$spoe_hap" "$spoe_spoa"
awk -v a="$plain_rps" -v b="$spoe_rps" -v ha="$plain_hap" -v hb="$spoe_hap" -v s="$spoe_spoa" 'BEGIN {
  extra = 1e6 / b - 1e6 / a
  printf "wall time per request: %.1f us without, %.1f us with SPOE (+%.1f us, throughput %.0f %% of plain)\n",
    1e6 / a, 1e6 / b, extra, b * 100 / a
  printf "CPU per request: haproxy +%.1f us for the SPOE filter, spoa %.1f us: the agent is %.0f %% of the added CPU\n",
    hb - ha, s, ((hb - ha + s) > 0 ? s * 100 / (hb - ha + s) : 0)
}'
