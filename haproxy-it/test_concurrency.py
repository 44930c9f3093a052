"""concurrency-lua, concurrency-python: 2,000 requests from 50 concurrent clients, no mix-ups.

Each client thread keeps one HTTP/1.1 connection and sends its requests pipelined, 5 per write. Every
request carries its own random x-id; scripts/echo.{lua,py} set txn str_id from it and HAProxy returns it
in x-v-str_id, so an ACK applied to the wrong stream shows as a wrong header. HAProxy runs 2 threads and
the agent 2 workers, with SPOP pipelining on (the default on both sides): many NOTIFYs are in flight on
each SPOE connection at once.
"""

import re
import socket
import threading
import time
import uuid

import harness
from harness import check

CLIENTS = 50
PER_CLIENT = 40  # 50 x 40 = 2,000 requests
BATCH = 5        # requests per pipelined write
RULES = '    http-after-response set-header x-v-str_id "%[var(txn.echo.str_id)]"'


def read_response(f):
    """(status, {lower-case header: value}) of one HTTP/1.1 response with a Content-Length body."""
    status_line = f.readline()
    if not status_line:
        raise ConnectionError("connection closed before the response")
    parts = status_line.split(b" ", 2)
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return int(parts[1]), headers, body


def client(port, index, failures, done):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            f = sock.makefile("rb")
            for first in range(0, PER_CLIENT, BATCH):
                ids = [f"{index:02d}-{n:03d}-{uuid.uuid4().hex}" for n in range(first, first + BATCH)]
                sock.sendall(b"".join(
                    f"GET /c/{i} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nx-id: {i}\r\n\r\n".encode()
                    for i in ids))
                for i in ids:
                    status, headers, _body = read_response(f)
                    got = headers.get("x-v-str_id")
                    if status != 200 or got != i or headers.get("x-err", ""):
                        failures.append(f"request {i}: status {status}, x-v-str_id {got!r}, "
                                        f"x-err {headers.get('x-err')!r}")
                    done[index] += 1
    except Exception as e:  # noqa: BLE001 - every failure is counted and shown
        failures.append(f"client {index}: {e!r} after {done[index]} responses")


def run_concurrency(case, script):
    agent = case.start_agent([script], workers=2)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="5s", args="str_id=req.hdr(x-id)")
    case.start_haproxy("echo.cfg.in", agent.port, nbthread=2, spoe_conf=spoe, rules=RULES)

    failures, done = [], [0] * CLIENTS
    threads = [threading.Thread(target=client, args=(case.haproxy.fe_port, n, failures, done))
               for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    elapsed = time.monotonic() - started
    check(not any(t.is_alive() for t in threads), "client threads still running after 90s")
    total = sum(done)
    print(f"{total} responses in {elapsed:.2f}s ({total / elapsed:.0f}/s), {len(failures)} failures")
    check(not failures, f"{len(failures)} failed requests, first ones:\n  " + "\n  ".join(failures[:10]))
    check(total == CLIENTS * PER_CLIENT, f"expected {CLIENTS * PER_CLIENT} responses, got {total}")

    # Information only: the most NOTIFYs HAProxy had waiting for an ACK at once (SPOE log "nb_waiting").
    log = "\n".join(text for _label, text in case.haproxy.process.output())
    waiting = [int(m) for m in re.findall(r"SPOE: \[echo-agent\].* \d+/\d+ \d+/(\d+) \d+/\d+", log)]
    if waiting:
        print(f"SPOE log: up to {max(waiting)} NOTIFYs waiting for their ACK at once")


def concurrency_lua(case):
    run_concurrency(case, "echo.lua")


def concurrency_python(case):
    run_concurrency(case, "echo.py")


if __name__ == "__main__":
    harness.main({"concurrency-lua": concurrency_lua, "concurrency-python": concurrency_python})
