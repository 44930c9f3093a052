"""Handlers that wait, against a real HAProxy: the agent's event loop never runs script code.

* slow-io-python / slow-io-lua: one agent process (-n 1, --threads 64), every request's handler waits
  200 ms in a blocking call (Python time.sleep; Lua socket.sleep from lua-socket, a C function), 50
  clients send requests concurrently, `timeout processing 1s`, and HAProxy health-checks the agent with
  `option spop-check` every 200 ms. Every request must get its own variable (no SPOE error, no other
  request's value), and the server must never go DOWN: health checks are answered while every handler
  waits. Before issue 21 the worker answered nothing while a handler ran, so checks timed out.
"""

import threading
import uuid

import harness
from harness import check, check_eq

CLIENTS = 50
REQUESTS_PER_CLIENT = 4
WAIT_MS = 200


def run(case, script):
    agent = case.start_agent([script], workers=1, extra_args=("--threads", "64"))
    spoe = case.spoe_file("slow-io.spoe.conf.in")
    case.start_haproxy("slow-io.cfg.in", agent.port, spoe_conf=spoe, nbthread=2)
    failures = []
    lock = threading.Lock()

    def client(n):
        for i in range(REQUESTS_PER_CLIENT):
            token = f"c{n}-r{i}-{uuid.uuid4().hex[:8]}"
            try:
                r = case.get("/", {"x-id": token, "x-ms": str(WAIT_MS)}, timeout=10.0)
                if r.status != 200 or r.header("x-io") != token or r.header("x-err-found") is not None:
                    raise harness.TestFailure(f"request {token}: {r!r}")
            except Exception as e:  # noqa: BLE001 - collected and reported below
                with lock:
                    failures.append(f"{token}: {e}")

    # The server's check state, sampled all along: it must stay UP.
    states = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            row = case.haproxy.server_stat()
            states.append((row.get("status"), case.haproxy.check_status(row)))
            done.wait(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    watcher.join()

    row = case.haproxy.server_stat()
    print(f"{CLIENTS * REQUESTS_PER_CLIENT} requests, {len(failures)} failed; {len(states)} state samples; "
          f"chkdown={row.get('chkdown')} chkfail={row.get('chkfail')} check={case.haproxy.check_status(row)}")
    check(not failures, f"{len(failures)} request(s) did not get their own variable: {failures[:5]}")
    down = [s for s in states if s[0] != "UP"]
    check(not down, f"the server left UP during the run: {down[:5]}")
    check_eq(row.get("chkdown"), "0", "UP->DOWN transitions of the agent's server")
    check(agent.process.alive(), "the agent should still run")


def slow_io_python(case):
    run(case, "slow_io.py")


def slow_io_lua(case):
    run(case, "slow_io.lua")


if __name__ == "__main__":
    harness.main({"slow-io-python": slow_io_python, "slow-io-lua": slow_io_lua})
