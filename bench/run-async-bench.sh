#!/usr/bin/env bash
# Python async def handlers (issue 23): one worker, 10 connections x 20 in flight, the agent on CPU 0
# and the load generator on CPU 1 (as bench/run-exec-bench.sh), with
#  * await asyncio.sleep(0.005) then the standard handler's eleven setters (the ceiling is 200 calls in
#    flight / 5 ms = 40,000 NOTIFY/s);
#  * one GET through redis.asyncio from a local redis-server (started here on a free port, on CPU 1 with
#    the load generator: the agent keeps CPU 0 to itself);
#  * the plain standard handler, on executor threads as before.
# The two async handlers run twice: on the default loop (--asyncio-loop auto: uvloop when python3-uvloop is
# installed) and on asyncio's own (--asyncio-loop asyncio), interleaved within each round.
# With OLD_BUILD set (a build tree of the previous version, e.g. the main checkout's), the plain row also
# runs the old binary, interleaved within each round, and the ratio new / old is printed: the plain
# handlers must not pay for the event loop. Each cell is the median round.
#
# Usage: [OLD_BUILD=/path/to/old/build] bench/run-async-bench.sh [BUILD_DIR] [SECONDS] [ROUNDS]
# shellcheck source=bench/lib/waiting-rows.sh
source "$(dirname "$0")/lib/waiting-rows.sh"
start_redis bench:score 42
export SPOA_BENCH_REDIS_PORT=$redis_port

s=$root/bench/scripts
# label|script|compare with OLD_BUILD (1) or not (0)|extra spoa arguments
rows=(
  "async: asyncio.sleep(5 ms) + setters|$s/async_sleep5ms.py|0|"
  "  same, --asyncio-loop asyncio|$s/async_sleep5ms.py|0|--asyncio-loop asyncio"
  "async: redis.asyncio GET|$s/async_redis_get.py|0|"
  "  same, --asyncio-loop asyncio|$s/async_redis_get.py|0|--asyncio-loop asyncio"
  "plain standard handler|$s/standard_noprint.py|1|"
)

for round in $(seq 1 "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r label script compare extra <<<"${rows[$i]}"
    # shellcheck disable=SC2086 # extra is a list of arguments
    measure "new$i" "$build/agent/spoa" -f "$script" $extra
    [ -n "$old_build" ] && [ "$compare" = 1 ] && measure "old$i" "$old_build/agent/spoa" -f "$script"
  done
done

echo "one worker on CPU 0, spoa_load (and redis-server) on CPU 1, 10 connections x 20 in flight, ${seconds}s per row (+1 s warm-up); median of $rounds round(s)"
print_rows 40
echo
echo "NOTIFY/s ratios, median of the per-round ratios:"
ratio "asyncio.sleep: default loop / --asyncio-loop asyncio" "$tmp/new0" "$tmp/new1"
ratio "redis.asyncio: default loop / --asyncio-loop asyncio" "$tmp/new2" "$tmp/new3"
[ -n "$old_build" ] && ratio "plain standard handler: new / old" "$tmp/new4" "$tmp/old4"
exit 0
