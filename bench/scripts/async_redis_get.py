# An async def handler that reads one key from a local redis-server through redis.asyncio (Debian's
# python3-redis), one connection pool per worker made at load time (issue 23's benchmark). The port comes
# from SPOA_BENCH_REDIS_PORT (bench/run-async-bench.sh starts the server and stores the key).
import os

import redis.asyncio as aioredis

import spoa

pool = aioredis.Redis(host="127.0.0.1", port=int(os.environ["SPOA_BENCH_REDIS_PORT"]))


async def check_client_ip(args):
    score = await pool.get("bench:score")
    spoa.set_var_int32("ip_score", spoa.scope_sess, int(score))


spoa.register_message("check-client-ip", check_client_ip)
