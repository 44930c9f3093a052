"""healthcheck: `option spop-check` follows the agent's life.

The agents server becomes UP with a passed layer-7 check (L7OK: the agent answered the health-check HELLO);
after the agent is killed it goes DOWN with a layer-4 failure (connection refused); once the agent is back
on the same port it is UP again and requests get their variables.
"""

import uuid

import harness
from harness import check, check_eq


def echo_request(case, what):
    token = uuid.uuid4().hex
    r = case.get("/", {"x-id": token})
    check_eq(r.status, 200, f"{what}: status; response {r!r}")
    check_eq(r.header("x-v-str_id"), token, f"{what}: echoed variable")
    check_eq(r.header("x-err") or "", "", f"{what}: SPOE error variable")


def log_of(case):
    return "\n".join(text for _label, text in case.haproxy.process.output())


ECHO_RULES = '    http-after-response set-header x-v-str_id "%[var(txn.echo.str_id)]"'


def healthcheck(case):
    agent = case.start_agent(["echo.lua"], workers=1)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    case.start_haproxy("echo.cfg.in", agent.port, spoe_conf=spoe, rules=ECHO_RULES)
    row = case.haproxy.server_stat()
    print(f"UP: check_status={row.get('check_status')!r} check_desc={row.get('check_desc')!r} "
          f"last_chk={row.get('last_chk')!r}")
    echo_request(case, "agent up")

    agent.kill()
    seen = case.haproxy.wait_server("DOWN", timeout=10)
    print(f"DOWN after kill: {seen}")
    check(seen["check"].startswith("L4"),
          f"a killed agent should fail the check at layer 4 (connection refused), got {seen['check']!r}")

    agent.start()
    seen = case.haproxy.wait_server("UP", timeout=10)
    print(f"UP after restart: {seen}")
    # HAProxy logs the transition with the check's reason: the agent's HELLO passed spop-check.
    harness.wait_until(lambda: "agents/a1 is UP, reason: Layer7 check passed" in log_of(case), 5,
                       "haproxy to log 'Server agents/a1 is UP, reason: Layer7 check passed'")
    echo_request(case, "agent restarted")


if __name__ == "__main__":
    harness.main({"healthcheck": healthcheck})
