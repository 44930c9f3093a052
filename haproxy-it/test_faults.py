"""Faults: script errors, slow and endless handlers, a killed agent, and HAProxy reloads under traffic.

* faults-error-lua/-python: a handler that raises after setting a variable. The variable still reaches
  HAProxy (the ACK carries what was set before the error), no SPOE error is recorded, the agent logs
  the error, and the next requests work, error after error.
* faults-timeout: a Python handler that sleeps past `timeout processing`. HAProxy gives up on it
  (set-on-error variable = 1, compared with -m int since 2.6 stores it typed boolean) and the agent keeps
  serving: once the sleeper is done, requests get their own variables again (the late ACK is dropped).
* faults-budget-lua/-python: a handler that never returns. The agent's --call-budget stops it; the
  variable set before the loop arrives, HAProxy sees no error, and the worker goes on serving.
* faults-restart: the agent is killed (SIGKILL) and started again on the same port: while it is gone
  requests still get answers with the SPOE error variable set; once it is back they get their variables.
* faults-reload: HAProxy in master-worker mode is reloaded (SIGUSR2) twice under continuous traffic. No
  request fails (on 3.0, requests it fails itself before their NOTIFY reaches the agent are counted
  apart, see faults_reload()), and each old worker exits quickly. How its SPOP connections end differs (check_soft_stop):
  2.6 and 3.0 send HAPROXY-DISCONNECT and wait for AGENT-DISCONNECT (up to `timeout idle`, 30s here), so
  a prompt exit means the agent answered; 3.1+ resets them without a DISCONNECT, and the agent must take
  that as a normal end.
* faults-reload-noasync: the same with `spoa --no-async`. HAProxy 2.6 soft-stops an SPOE connection once
  its own waiting queue is empty, but with "async" agreed the NOTIFYs wait in a per-thread queue instead,
  so it can send HAPROXY-DISCONNECT with NOTIFYs still unanswered (those requests fail with error 256).
  Comparing both cases shows whether a reload failure comes from the async capability.
"""

import os
import re
import signal
import threading
import time
import uuid

import harness
from harness import check, check_eq


def fault_request(case, mode, what, ms=None, timeout=10.0):
    token = f"{mode}-{uuid.uuid4().hex[:12]}"
    headers = {"x-mode": mode, "x-id": token}
    if ms is not None:
        headers["x-ms"] = str(ms)
    started = time.monotonic()
    r = case.get(f"/{mode}", headers, timeout=timeout)
    r.elapsed = time.monotonic() - started
    r.token = token
    check_eq(r.status, 200, f"{what}: status; response {r!r}")
    return r


def expect_ok(case, what):
    r = fault_request(case, "ok", what)
    check_eq(r.header("x-ok"), r.token, f"{what}: txn.f.ok")
    check(r.header("x-err-found") is None, f"{what}: no SPOE error expected; response {r!r}")
    return r


def start(case, script, processing="2s", agent_args=(), workers=1, master_worker=False):
    agent = case.start_agent([script], workers=workers, extra_args=agent_args)
    spoe = case.spoe_file("faults.spoe.conf.in", processing=processing)
    case.start_haproxy("faults.cfg.in", agent.port, spoe_conf=spoe, master_worker=master_worker)
    return agent


def wait_log(agent, needle, what, timeout=5.0):
    harness.wait_until(lambda: needle in agent.log_text(), timeout,
                       f"the agent's log to mention {what} ({needle!r})")


# ---- script errors


def run_error(case, script):
    agent = start(case, script)
    expect_ok(case, "first request")
    for n in range(3):
        r = fault_request(case, "error", f"error #{n}")
        check_eq(r.header("x-before"), r.token, f"error #{n}: variable set before the error")
        check(r.header("x-err-found") is None,
              f"error #{n}: a script error is not an SPOE error (the ACK arrives); response {r!r}")
        wait_log(agent, f"deliberate fault for {r.token}", f"error #{n}")
        expect_ok(case, f"request after error #{n}")
    # The error record locates the error in the script (Lua's "faults.lua:<line>:", Python's traceback).
    check(script in agent.log_text(), f"the agent's error records should name the script {script}")


def faults_error_lua(case):
    run_error(case, "faults.lua")


def faults_error_python(case):
    run_error(case, "faults.py")


def faults_error_php(case):
    run_error(case, "faults.php")


# ---- timeout processing


def faults_timeout(case):
    processing_ms, sleep_ms = 300, 900  # sleep below the agent's default 1000 ms call budget
    agent = start(case, "faults.py", processing=f"{processing_ms}ms")
    expect_ok(case, "first request")

    r = fault_request(case, "slow", "slow handler", ms=sleep_ms)
    check_eq(r.header("x-err-timeout"), "1",
             f"slow handler: txn.f.err should be 1 (processing timeout); response {r!r}")
    check_eq(r.header("x-slow") or "", "", "slow handler: its variable comes too late to be applied")
    check(r.elapsed < sleep_ms / 1000,
          f"slow handler: HAProxy should answer after timeout processing ({processing_ms} ms), "
          f"took {r.elapsed:.3f}s")

    # The worker is busy until the sleep ends; requests sent meanwhile may time out too. The agent must
    # then serve again, with each request's own variable (the late ACK must not be applied to it).
    attempts = []

    def served():
        attempts.append(fault_request(case, "ok", "after the timeout"))
        last = attempts[-1]
        return last.header("x-err-found") is None and last.header("x-ok") == last.token
    harness.wait_until(served, 10, "a request to succeed after the processing timeout")
    print(f"served again after {len(attempts)} request(s)")
    for n in range(3):
        expect_ok(case, f"request {n} after recovery")
    check(agent.process.alive(), "the agent should still run")


# ---- call budget


def run_budget(case, script):
    budget_ms = 300
    agent = start(case, script, processing="5s", agent_args=["--call-budget", f"{budget_ms}ms"])
    expect_ok(case, "first request")
    for n in range(2):
        r = fault_request(case, "spin", f"endless handler #{n}")
        check(r.header("x-err-found") is None,
              f"endless handler #{n}: the agent should answer within its budget, before HAProxy's "
              f"5s timeout; response {r!r}")
        check_eq(r.header("x-before"), r.token, f"endless handler #{n}: variable set before the loop")
        check(r.elapsed < 4, f"endless handler #{n}: answer took {r.elapsed:.3f}s")
        expect_ok(case, f"request after endless handler #{n}")
    print(f"endless handler answered after {r.elapsed:.3f}s (call budget {budget_ms} ms)")


def faults_budget_lua(case):
    run_budget(case, "faults.lua")


def faults_budget_python(case):
    run_budget(case, "faults.py")


def faults_budget_php(case):
    run_budget(case, "faults.php")


# ---- agent killed and restarted


def faults_restart(case):
    agent = start(case, "faults.lua", processing="1s", workers=2)
    expect_ok(case, "before the kill")

    agent.kill()
    case.haproxy.wait_server("DOWN", timeout=10)
    r = fault_request(case, "ok", "agent gone")
    check_eq(r.header("x-ok") or "", "", "agent gone: no variable can arrive")
    check_eq(r.header("x-err-found"), "1", f"agent gone: the SPOE error variable should be set; {r!r}")

    agent.start()
    case.haproxy.wait_server("UP", timeout=10)
    # HAProxy may still hold a broken connection to the dead agent; the first request after UP must
    # already succeed since the check proved a new connection works.
    for n in range(5):
        expect_ok(case, f"after the restart #{n}")


# ---- reload under traffic


class Failure:
    """A request of Traffic that did not get its variable: what went wrong, its id, its SPOE error code."""

    def __init__(self, text, token, err):
        self.text, self.token, self.err = text, token, err


class Traffic:
    """Client threads sending fault(mode=ok) requests on new connections until stopped."""

    def __init__(self, case, threads=3):
        self.case = case
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.ok = 0
        self.failures = []  # Failure
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]

    def run(self):
        while not self.stop_flag.is_set():
            token = err = None
            try:
                r = fault_request(self.case, "ok", "request during reload")
                token, err = r.token, r.header("x-err")
                check_eq(r.header("x-ok"), r.token, f"request during reload (SPOE error {err or 'none'}): txn.f.ok")
                check(r.header("x-err-found") is None, f"request during reload: no SPOE error expected; response {r!r}")
                with self.lock:
                    self.ok += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.failures.append(Failure(f"{time.strftime('%H:%M:%S')}: {e}", token, err))

    def hard_failures(self):
        with self.lock:
            return [f for f in self.failures if not f.err]

    def count(self):
        with self.lock:
            return self.ok

    def wait_more(self, n, what):
        target = self.count() + n
        # A failure ends the wait early, unless HAProxy set an SPOE error for it, which faults_reload() may
        # still put down to HAProxy 3.0 once the traffic is over.
        harness.wait_until(lambda: self.count() >= target or self.hard_failures(), 20,
                           f"{n} more successful requests {what}")

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=15)


def check_soft_stop(case, agent, reloads):
    """How the old workers ended their SPOP connections, as the agent's log tells.

    2.6 and 3.0: each old worker's SPOE applets send HAPROXY-DISCONNECT "normal" (the agent logs
    "HAProxy disconnected"). 3.1+: no DISCONNECT at all; the old worker resets its SPOP connections (the
    agent logs "closed by peer (Connection reset by peer"), as the soft-stop capture of
    tests/captures/haproxy-3.2/ shows. Either way the agent logs no error about it.
    """
    text = agent.log_text()
    disconnects = text.count("HAProxy disconnected")
    resets = text.count("closed by peer (Connection reset by peer")
    print(f"soft stops on haproxy {case.version_text}: {disconnects} HAPROXY-DISCONNECT, {resets} resets")
    if case.spop_mux:
        check_eq(disconnects, 0, f"HAPROXY-DISCONNECTs from haproxy {case.version_text} (3.1+ sends none)")
        check(resets >= reloads, f"each old 3.x worker should reset its SPOP connections: {resets} resets "
              f"after {reloads} reloads")
    else:
        check(disconnects >= reloads, f"each old {case.version_text} worker should send HAPROXY-DISCONNECT: "
              f"{disconnects} after {reloads} reloads")
    check(not re.search(r"\[(error|critical)\]", text), "the agent should log no error about the soft stops")


def faults_reload(case, agent_args=()):
    seen_path = os.path.join(case.dir, "seen-ids")  # faults.lua appends each id it receives
    os.environ["SPOA_FAULTS_SEEN"] = seen_path
    try:
        agent = start(case, "faults.lua", processing="2s", workers=2, master_worker=True, agent_args=agent_args)
    finally:
        del os.environ["SPOA_FAULTS_SEEN"]
    haproxy = case.haproxy
    exits = []
    with Traffic(case) as traffic:
        traffic.wait_more(30, "before the first reload")
        for n in range(2):
            old = set(haproxy.wait_workers())
            reloaded = time.monotonic()
            haproxy.process.proc.send_signal(signal.SIGUSR2)

            def new_worker():
                haproxy.process.check_alive()
                return [pid for pid, reloads in haproxy.show_proc().items()
                        if pid not in old and reloads == 0]
            new = harness.wait_until(new_worker, 15, f"a new worker after reload #{n}")
            haproxy.wait_stats_socket()
            haproxy.wait_server("UP")
            traffic.wait_more(30, f"after reload #{n}")

            # The old worker leaves once its SPOE applets got AGENT-DISCONNECT (else: timeout idle, 30s).
            def old_gone():
                workers = haproxy.show_proc()  # empty while the re-executed master starts up
                return workers and not old & set(workers)
            harness.wait_until(old_gone, 10,
                               f"the old worker(s) {sorted(old)} to exit after reload #{n}")
            exits.append(time.monotonic() - reloaded)
            print(f"reload #{n}: new worker {new}, old worker(s) {sorted(old)} gone after {exits[-1]:.2f}s")
        traffic.wait_more(30, "after the reloads")
    print(f"{traffic.ok} requests during the reloads, {len(traffic.failures)} failures")
    failures = traffic.failures
    with open(seen_path, encoding="utf-8") as f:
        seen = set(f.read().split())
    if case.at_least(3, 0) and not case.spop_mux:
        # 3.0's soft-stop fails a request still queued in the old worker's SPOE when its applets leave,
        # with SPOE error 256 (or 2, I/O), before any NOTIFY of it is sent (a tshark capture shows its id
        # in the HTTP request and in no SPOP frame). The agent cannot answer what it never received: those
        # count as HAProxy's; a request whose NOTIFY reached the agent must still get its variable.
        unsent = [x for x in failures if x.err and x.token and x.token not in seen]
        failures = [x for x in failures if x not in unsent]
        print(f"haproxy {case.version_text}: {len(unsent)} request(s) failed with an SPOE error "
              f"({', '.join(sorted(set(x.err for x in unsent))) or 'none'}) without their NOTIFY reaching the "
              f"agent (its soft-stop; docs/haproxy.md)")
    check(not failures, f"{len(failures)} failed requests during the reloads, first ones:\n  "
          + "\n  ".join(f"{x.text} ({'received by' if x.token in seen else 'never sent to'} the agent)"
                         for x in failures[:10]))
    check_soft_stop(case, agent, len(exits))


def faults_reload_noasync(case):
    faults_reload(case, ["--no-async"])


if __name__ == "__main__":
    harness.main({
        "faults-error-lua": faults_error_lua,
        "faults-error-python": faults_error_python,
        "faults-error-php": faults_error_php,
        "faults-timeout": faults_timeout,
        "faults-budget-lua": faults_budget_lua,
        "faults-budget-python": faults_budget_python,
        "faults-budget-php": faults_budget_php,
        "faults-restart": faults_restart,
        "faults-reload": faults_reload,
        "faults-reload-noasync": faults_reload_noasync,
    })
