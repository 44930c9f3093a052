"""reuse, reuse-legacy-tcp: how many SPOP connections HAProxy opens for requests that arrive one after the
other, each on a new client connection, and how they end. Each version's own behaviour is asserted.

* reuse: the harness's set-up (`mode tcp` agents backend up to 3.0, `mode spop` from 3.1 on). 2.6 keeps
  one SPOE applet, so one SPOP connection, for all the requests; 3.1+ puts its SPOP connection back in
  the server's idle pool after each stream and takes it again for the next: one connection too. 3.0's
  applet scheduler may start a second applet (see test_limits.check_connections), so there it is at most
  two. No connection ends while the case runs.
* reuse-legacy-tcp: a `mode tcp` agents backend declared before the frontend that uses it, as 2.x
  configurations have it. Up to 3.0 nothing changes. 3.1+ converts the backend to `mode spop` in the
  SPOE filter's check (spoe_check(), src/flt_spoe.c), which runs after the backend's own checks have
  cleared its `http-reuse` mode for being a non-HTTP proxy (check_config_validity(), src/cfgparse.c:
  "mode != HTTP -> reuse never"; only a proxy that is already `mode spop` then gets "reuse always").
  With reuse never, connect_server() (src/backend.c) makes each SPOP connection private to the client's
  session: every client connection gets its own SPOP connection, and HAProxy resets it (no
  HAPROXY-DISCONNECT) when the client connection ends. The agent must take each reset as a normal end.
"""

import re

import harness
from harness import check, check_eq

REQUESTS = 6
RULES = '    http-after-response set-header x-v-str_id "%[var(txn.echo.str_id)]"'
HELLO_LINE = re.compile(r"\] c(\d+): hello: ", re.M)
RESET_LINE = re.compile(r"\] c(\d+): closed by peer \(Connection reset by peer", re.M)
CLOSED_LINE = re.compile(r"\] c(\d+): closed", re.M)


def serve(case, agents_mode=None):
    """Starts the echo agent and haproxy, sends REQUESTS requests, each on a new client connection;
    returns the agent."""
    agent = case.start_agent(["echo.lua"], workers=1)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    values = {} if agents_mode is None else {"agents_mode": agents_mode}
    case.start_haproxy("echo.cfg.in", agent.port, spoe_conf=spoe, rules=RULES, **values)
    for n in range(REQUESTS):
        token = f"reuse-{n}"
        r = case.get("/", {"x-id": token})
        check_eq(r.status, 200, f"request {n}: status")
        check_eq(r.header("x-v-str_id"), token, f"request {n}: the echoed variable (x-err={r.header('x-err')!r})")
    return agent


def connections(agent):
    """(SPOP connections served, those that ended, those that ended with a reset): sets of ids."""
    text = agent.log_text()
    hellos = set(HELLO_LINE.findall(text))
    return hellos, hellos & set(CLOSED_LINE.findall(text)), hellos & set(RESET_LINE.findall(text))


def check_pooled(case, agent, what):
    hellos, closed, _ = connections(agent)
    print(f"{what} on haproxy {case.version_text}: {len(hellos)} SPOP connection(s), {len(closed)} ended")
    check(not closed, f"{what}: no SPOP connection should end while the case runs, c{', c'.join(sorted(closed))} did")
    if case.at_least(3, 0) and not case.spop_mux:
        check(1 <= len(hellos) <= 2, f"{what}: 3.0 should use one or two SPOE applets, used {len(hellos)}")
    else:
        check_eq(len(hellos), 1, f"{what}: SPOP connections for {REQUESTS} requests in a row")


def reuse(case):
    agent = serve(case)
    check_pooled(case, agent, "reuse")


def reuse_legacy_tcp(case):
    agent = serve(case, agents_mode="tcp")
    if not case.spop_mux:
        check_pooled(case, agent, "legacy mode tcp")
        return
    # One private SPOP connection per client connection, each reset once its client has gone.
    def all_reset():
        hellos, closed, resets = connections(agent)
        return len(resets) == REQUESTS and hellos == closed
    try:
        harness.wait_until(all_reset, 10, f"{REQUESTS} SPOP connections, each reset by haproxy")
    except harness.TestFailure as e:
        hellos, closed, resets = connections(agent)
        raise harness.TestFailure(f"{e}: {len(hellos)} served, {len(closed)} ended, {len(resets)} reset") from None
    text = agent.log_text()
    check_eq(text.count("HAProxy disconnected"), 0, "HAPROXY-DISCONNECTs (3.1+ resets instead)")
    check(not re.search(r"\[(error|critical)\]", text), "the agent should log no error about the resets")
    print(f"legacy mode tcp on haproxy {case.version_text}: {REQUESTS} SPOP connections, each reset")


if __name__ == "__main__":
    harness.main({"reuse": reuse, "reuse-legacy-tcp": reuse_legacy_tcp})
