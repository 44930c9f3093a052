"""Python `async def` handlers against a real HAProxy and a real Redis.

* async-redis-python: one agent process (-n 1), every request's handler is a coroutine that looks the
  request's id up in a redis-server started by the case, through redis.asyncio with one pool per worker;
  HAProxy sets the score it returns as a response header. 50 clients send requests concurrently, so
  many lookups are in flight at once on the worker's one event loop. Every request must get its own
  score and id (no SPOE error, no other request's value).
"""

import os
import random
import shutil
import socket
import threading
import uuid

import harness
from harness import check, check_eq

CLIENTS = 50
REQUESTS_PER_CLIENT = 4


def resp(*args):
    """A Redis command in RESP (the protocol's request form)."""
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        data = str(a).encode()
        out.append(f"${len(data)}\r\n".encode() + data + b"\r\n")
    return b"".join(out)


def redis_send(port, commands):
    """Sends commands and reads one reply line per command (all the commands used here answer one)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"".join(resp(*c) for c in commands))
        data = b""
        while data.count(b"\r\n") < len(commands):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def start_redis(case):
    port = harness.free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", case.dir]
    process = harness.Process("redis", argv, case.dir, stop_grace=2.0)
    case.processes.append(process)

    def answers():
        process.check_alive()
        try:
            return redis_send(port, [("PING",)]).startswith(b"+PONG")
        except OSError:
            return False

    harness.wait_until(answers, 20.0, f"redis-server on port {port}")
    return port


def async_redis_python(case):
    if shutil.which("redis-server") is None:
        raise harness.TestFailure("redis-server is not installed (Debian package redis-server)")
    redis_port = start_redis(case)
    tokens = {f"c{n}-r{i}-{uuid.uuid4().hex[:8]}": random.randint(1, 1_000_000)
              for n in range(CLIENTS) for i in range(REQUESTS_PER_CLIENT)}
    reply = redis_send(redis_port, [("SET", f"score:{t}", s) for t, s in tokens.items()])
    check_eq(reply.count(b"+OK"), len(tokens), "scores stored in Redis")

    os.environ["SPOA_IT_REDIS_PORT"] = str(redis_port)  # the agent inherits it
    agent = case.start_agent(["async_redis.py"], workers=1)
    spoe = case.spoe_file("async-redis.spoe.conf.in")
    case.start_haproxy("async-redis.cfg.in", agent.port, spoe_conf=spoe, nbthread=2)
    failures = []
    lock = threading.Lock()
    by_client = list(tokens.items())

    def client(n):
        for token, score in by_client[n * REQUESTS_PER_CLIENT:(n + 1) * REQUESTS_PER_CLIENT]:
            try:
                r = case.get("/", {"x-id": token}, timeout=10.0)
                if (r.status != 200 or r.header("x-io") != token or r.header("x-score") != str(score)
                        or r.header("x-err-found") is not None):
                    raise harness.TestFailure(f"request {token} (score {score}): {r!r}")
            except Exception as e:  # noqa: BLE001 - collected and reported below
                with lock:
                    failures.append(f"{token}: {e}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{len(tokens)} requests, {len(failures)} failed")
    check(not failures, f"{len(failures)} request(s) did not get their own score: {failures[:5]}")
    check(agent.process.alive(), "the agent should still run")
    check("[error]" not in agent.log_text(), "the agent logged no error")


if __name__ == "__main__":
    harness.main({"async-redis-python": async_redis_python})
