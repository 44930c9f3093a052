"""Lua handlers that wait without holding a thread (issue 22), against a real HAProxy and a real Redis.

* redis-reputation-lua: examples/redis_reputation.lua on one agent process with one executor thread
  (-n 1 --threads 1: one Lua state); each request names an address in header x-ip, whose score the
  handler reads from a redis-server (started here on a free port) through spoa.tcp() with its
  keepalive pool, and HAProxy returns it as header x-score. 50 concurrent clients: every request must
  get its own address's score (no SPOE error, no other request's value) although one thread serves
  them all, and the handlers must have reused their connections (Redis saw few of them).
"""

import os
import shutil
import socket
import threading

import harness
from harness import check, check_eq

CLIENTS = 50
REQUESTS_PER_CLIENT = 4
ADDRESSES = 64


def redis_command(port, *args, timeout=5.0):
    """One command in RESP; returns the reply's first line (and the bulk's bytes, if any) as text."""
    out = f"*{len(args)}\r\n".encode()
    for a in args:
        a = str(a).encode()
        out += b"$" + str(len(a)).encode() + b"\r\n" + a + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(out)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        first, _, rest = data.partition(b"\r\n")
        if first.startswith(b"$") and int(first[1:]) >= 0:
            length = int(first[1:])
            while len(rest) < length + 2:
                rest += s.recv(4096)
            return rest[:length].decode()
        return first.decode()


def connections_received(port):
    info = redis_command(port, "INFO", "stats")
    return int(info.split("total_connections_received:")[1].split()[0])


def start_redis(case):
    binary = shutil.which("redis-server")
    if binary is None:
        raise harness.TestFailure("redis-server is not installed (scripts/install-deps.sh installs it)")
    port = harness.free_port()
    process = harness.Process("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                        "--appendonly", "no", "--dir", case.dir], case.dir)
    case.processes.append(process)

    def ready():
        process.check_alive()
        try:
            return redis_command(port, "PING", timeout=1.0) == "+PONG"
        except OSError:
            return False

    harness.wait_until(ready, 15.0, "redis-server answering PING")
    return port


def redis_reputation_lua(case):
    redis_port = start_redis(case)
    for i in range(ADDRESSES):
        redis_command(redis_port, "SET", f"rep:10.0.0.{i}", str(1000 + i))
    before = connections_received(redis_port)
    os.environ["SPOA_REDIS_PORT"] = str(redis_port)  # the agent inherits it
    agent = case.start_agent(["examples/redis_reputation.lua"], workers=1, extra_args=("--threads", "1"))
    spoe = case.spoe_file("reputation.spoe.conf.in")
    case.start_haproxy("reputation.cfg.in", agent.port, spoe_conf=spoe, nbthread=2)
    failures = []
    lock = threading.Lock()

    def client(n):
        for i in range(REQUESTS_PER_CLIENT):
            k = (n * REQUESTS_PER_CLIENT + i) % (ADDRESSES + 1)  # ADDRESSES: an unknown one
            ip = f"10.0.0.{k}"
            want = str(1000 + k) if k < ADDRESSES else "0"
            try:
                r = case.get("/", {"x-ip": ip}, timeout=10.0)
                if r.status != 200 or r.header("x-score") != want or r.header("x-err-found") is not None:
                    raise harness.TestFailure(f"request for {ip} (want score {want}): {r!r}")
            except Exception as e:  # noqa: BLE001 - collected and reported below
                with lock:
                    failures.append(f"{ip}: {e}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    connections = connections_received(redis_port) - before - 1  # without this INFO's own
    print(f"{CLIENTS * REQUESTS_PER_CLIENT} requests, {len(failures)} failed; the agent opened {connections} "
          "connection(s) to redis")
    check(not failures, f"{len(failures)} request(s) did not get their own score: {failures[:5]}")
    # 200 lookups, at most one connection per lookup in flight at once (50 clients), kept in the pool
    # (size 100) and reused: not a connection per lookup.
    check(0 < connections <= CLIENTS, f"the pool should reuse connections ({connections} for 200 lookups)")
    log = agent.log_text()
    check("reputation of" not in log, "no lookup failed: " + log[-2000:])
    check(agent.process.alive(), "the agent should still run")
    row = case.haproxy.server_stat()
    check_eq(row.get("chkdown"), "0", "UP->DOWN transitions of the agent's server")


if __name__ == "__main__":
    harness.main({"redis-reputation-lua": redis_reputation_lua})
