#!/usr/bin/env bash
# Lua handlers that wait without holding a thread (issue 22): one worker, one Lua state (--threads 1),
# 10 connections x 20 in flight, the agent on CPU 0 and the load generator (and redis-server) on CPU 1:
#  * spoa.sleep(0.005) then the standard handler's eleven setters (the ceiling is 200 in flight / 5 ms
#    = 40,000 NOTIFY/s);
#  * a GET of one key from a local redis-server through spoa.tcp() with keepalive;
#  * the standard handler (no waiting), which must cost no more than before.
# With OLD_BUILD set (a build tree of the previous version, e.g. the main checkout's), every row also
# runs on the old binary, interleaved with the new one in each round, so that a slow spell of a shared
# machine hits both alike; each cell is the median round.
#
# Usage: [OLD_BUILD=/path/to/old/build] bench/run-wait-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
# shellcheck source=bench/lib/waiting-rows.sh
source "$(dirname "$0")/lib/waiting-rows.sh"
start_redis bench:key 42
export SPOA_REDIS_PORT=$redis_port

s=$root/bench/scripts
# label|script
rows=(
  "spoa.sleep(5 ms) + 11 setters|$s/spoa_sleep5ms.lua"
  "Redis GET via spoa.tcp keepalive|$s/redis_get_tcp.lua"
  "standard handler (no waiting)|$s/standard_noprint.lua"
)

for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label script <<<"${rows[$i]}"
    measure "new$i" "$build/agent/spoa" --threads 1 -f "$script"
    if [ -n "$old_build" ]; then measure "old$i" "$old_build/agent/spoa" --threads 1 -f "$script"; fi
  done
done

echo "one worker, --threads 1 (one Lua state) on CPU 0, spoa_load (and redis-server) on CPU 1,"
echo "10 connections x 20 in flight, ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
print_rows 34
if [ -n "$old_build" ]; then
  echo
  ratio "spoa.sleep, new / old NOTIFY/s (median of the per-round ratios):" "$tmp/new0" "$tmp/old0"
  ratio "Redis GET, new / old NOTIFY/s (median of the per-round ratios):" "$tmp/new1" "$tmp/old1"
  ratio "standard handler, new / old NOTIFY/s (median of the per-round ratios):" "$tmp/new2" "$tmp/old2"
fi
