# Handler of the async-redis integration case: an `async def` on the worker's asyncio loop reads the
# score of the request's id from Redis through redis.asyncio (Debian's python3-redis), with one
# connection pool per worker made when the script loads, then sets txn score and io = id.
import os

import redis.asyncio as aioredis

import spoa

pool = aioredis.Redis(host="127.0.0.1", port=int(os.environ["SPOA_IT_REDIS_PORT"]))


async def lookup(args):
    a = {arg["name"]: arg["value"] for arg in args}
    score = await pool.get("score:" + a["id"])
    spoa.set_var_int32("score", spoa.scope_txn, int(score) if score is not None else -1)
    spoa.set_var_str("io", spoa.scope_txn, a["id"])


spoa.register_message("async-redis", lookup)
