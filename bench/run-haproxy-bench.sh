#!/usr/bin/env bash
# HAProxy with and without the SPOE filter, under wrk at a fixed concurrency: what the agent costs per
# HTTP request, for each haproxy binary given. One haproxy serves two frontends on loopback: "plain" and
# "spoe" (the standard example's message check-client-ip with its five arguments sent to spoa for every
# request). Both forward to a tiny origin served by the same haproxy (`http-request return`), so no
# other server is needed. spoa runs one worker with the standard example's handler without printing
# (a fresh spoa per binary).
#
# Usage: bench/run-haproxy-bench.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
#   defaults: build/release, 10 s per run, 20 connections (wrk -t1)
# Environment: HAPROXY_BINS (colon-separated haproxy binaries, measured in turn and shown side by side),
#   else HAPROXY_BIN or HAPROXY (one binary), default: haproxy in PATH (Debian's 2.6); a binary that is
#   not there is reported and skipped. SCRIPT (default bench/scripts/standard_noprint.lua;
#   examples/ps_lua.lua adds its printing), SERVER_CPUS (default 0: haproxy and spoa), WRK_CPUS (default 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${2:-10}
connections=${3:-20}
script=${SCRIPT:-$root/bench/scripts/standard_noprint.lua}
server_cpus=${SERVER_CPUS:-0}
wrk_cpus=${WRK_CPUS:-1}
IFS=: read -r -a haproxys <<<"${HAPROXY_BINS:-${HAPROXY_BIN:-${HAPROXY:-haproxy}}}"
spoa="$build/agent/spoa"
[[ -x "$spoa" ]] || { echo "missing $spoa: build the target spoa first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

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

# One haproxy binary: a fresh spoa and haproxy, both frontends measured, the table printed and a summary
# line appended to $tmp/summary.
bench_one() {
  local haproxy=$1 dir version mode
  dir=$(mktemp -d -p "$tmp")
  version=$("$haproxy" -v | awk 'NR==1 {print $3}')
  # 3.1+ run SPOE on the SPOP mux: the agents backend is `mode spop` there (a `mode tcp` one declared
  # before the frontend would never reuse its connections; haproxy-it/test_reuse.py).
  mode=tcp
  [[ $version =~ ^([0-9]+)\.([0-9]+) ]] && ((BASH_REMATCH[1] > 3 || (BASH_REMATCH[1] == 3 && BASH_REMATCH[2] >= 1))) && mode=spop

  # Three free loopback ports (the kernel's choice for port 0, released just before haproxy binds them).
  read -r plain_port spoe_port origin_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

  taskset -c "$server_cpus" "$spoa" -n 1 -p 0 --address 127.0.0.1 --ready-file "$dir/ready" --log-level warning \
    -f "$script" >/dev/null 2>"$dir/spoa.log" &
  spoa_pid=$!
  pids+=("$spoa_pid")
  for _ in $(seq 1 500); do [[ -s "$dir/ready" ]] && break; sleep 0.01; done
  [[ -s "$dir/ready" ]] || { echo "spoa did not get ready" >&2; cat "$dir/spoa.log" >&2; exit 1; }
  agent_port=$(awk 'NR==1 {print $2}' "$dir/ready")
  worker=$(awk '{print $1}' "/proc/$spoa_pid/task/$spoa_pid/children")

  cat >"$dir/spoe.conf" <<CONF
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

  cat >"$dir/haproxy.cfg" <<CONF
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
    filter spoe engine ps config $dir/spoe.conf
    http-request set-header x-ip-score %[var(sess.iprep.ip_score)]
    default_backend origin

backend origin
    server origin 127.0.0.1:$origin_port

frontend origin
    bind 127.0.0.1:$origin_port
    http-request return status 200 content-type text/plain string "ok\n"

backend agents
    mode $mode
    timeout server 3m
    server agent1 127.0.0.1:$agent_port
CONF

  taskset -c "$server_cpus" "$haproxy" -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
  haproxy_pid=$!
  pids+=("$haproxy_pid")
  for _ in $(seq 1 500); do
    curl -fs "http://127.0.0.1:$spoe_port/" >/dev/null 2>&1 && break
    kill -0 "$haproxy_pid" 2>/dev/null || { cat "$dir/haproxy.log" >&2; exit 1; }
    sleep 0.02
  done
  curl -fs "http://127.0.0.1:$spoe_port/" >/dev/null || { echo "haproxy is not answering" >&2; cat "$dir/haproxy.log" >&2; exit 1; }

  echo "haproxy $version ($haproxy, 1 thread, agents backend mode $mode) and spoa (1 worker, $(basename "$script"))" \
    "on CPU $server_cpus; wrk -t1 -c$connections on CPU $wrk_cpus; ${seconds}s per run"
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
  printf '%-18s %12s %12s %10s %10s %14s %14s\n' "$version" "$plain_rps" "$spoe_rps" "$spoe_p50" "$spoe_p99" \
    "$(awk -v a="$plain_hap" -v b="$spoe_hap" 'BEGIN {printf "%+.1f", b - a}')" "$spoe_spoa" >>"$tmp/summary"

  kill "$haproxy_pid" "$spoa_pid" 2>/dev/null || true
  wait "$haproxy_pid" "$spoa_pid" 2>/dev/null || true
  echo
}

missing=()
for haproxy in "${haproxys[@]}"; do
  [[ -n $haproxy ]] || continue
  if ! command -v "$haproxy" >/dev/null; then
    echo "haproxy $haproxy: not found, skipped" >&2
    missing+=("$haproxy")
    continue
  fi
  bench_one "$(command -v "$haproxy")"
done
[[ -s "$tmp/summary" ]] || { echo "no haproxy to measure (${missing[*]})" >&2; exit 1; }
if (($(wc -l <"$tmp/summary") > 1)); then
  echo "side by side (SPOE frontend; haproxy us/req: CPU the SPOE filter adds to haproxy):"
  printf '%-18s %12s %12s %10s %10s %14s %14s\n' haproxy "plain req/s" "SPOE req/s" "SPOE p50" "SPOE p99" \
    "haproxy us/req" "spoa us/req"
  cat "$tmp/summary"
fi
