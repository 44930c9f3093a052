"""tls-mtls, tls-refused: HAProxy talking mutual TLS to spoa.

* tls-mtls: spoa with --tls-cert/--tls-key/--tls-ca; HAProxy's agent server line with `ssl verify
  required ca-file ca.pem crt client-combined.pem sni str(localhost)`. The health check (spop-check over
  TLS) passes, every request gets its echoed variable, and the agent saw only good handshakes: each
  connection logs the TLS version and HAProxy's client certificate, none failed.
* tls-refused: the same agent, HAProxy's server line without `crt` (no client certificate): the agent
  refuses every connection with its one warning line naming the reason, HAProxy marks the server DOWN
  with an SSL error and the requests get SPOE's error variable instead of a variable.
"""

import os
import re

import harness
from harness import check, check_eq

RULES = '    http-after-response set-header x-v-str_id "%[var(txn.echo.str_id)]"'
REQUESTS = 20
HANDSHAKE_DONE = re.compile(r"TLS handshake with 127\.0\.0\.1:\d+ done: (TLSv1\.[23]) .*client CN=spop-test client")


def log_of(case):
    return "\n".join(text for _label, text in case.haproxy.process.output())


def start_tls_agent(case):
    certs = harness.make_test_certs(os.path.join(case.dir, "certs"))
    agent = case.start_agent(["echo.lua"], workers=1, extra_args=[
        "--tls-cert", f"{certs}/server.pem", "--tls-key", f"{certs}/server.key", "--tls-ca", f"{certs}/ca.pem"])
    return agent, certs


def tls_mtls(case):
    agent, certs = start_tls_agent(case)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    case.start_haproxy("echo.cfg.in", agent.port, spoe_conf=spoe, rules=RULES,
                       agent_server_params=harness.mtls_server_params(certs))
    for n in range(REQUESTS):
        token = f"tls-{n}"
        r = case.get("/", {"x-id": token})
        check_eq(r.status, 200, f"request {n}: status")
        check_eq(r.header("x-v-str_id"), token, f"request {n}: the echoed variable (x-err={r.header('x-err')!r})")
    text = agent.log_text()
    versions = HANDSHAKE_DONE.findall(text)
    check(versions, "the agent should log its TLS handshakes with haproxy's client certificate")
    check("failed" not in text, "no handshake should fail")
    check(not re.search(r"\[(warning|error|critical)\]", text), "the agent should log no warning or error")
    print(f"mutual TLS on haproxy {case.version_text}: {REQUESTS} requests answered; "
          f"{len(versions)} handshake(s) ({', '.join(sorted(set(versions)))})")


def tls_refused(case):
    agent, certs = start_tls_agent(case)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    case.start_haproxy("echo.cfg.in", agent.port, spoe_conf=spoe, rules=RULES, wait_agent_up=False,
                       agent_server_params=f"ssl verify required ca-file {certs}/ca.pem sni str(localhost)")
    seen = case.haproxy.wait_server("DOWN", timeout=15)
    print(f"server without a client certificate: {seen}")
    # 2.6 reports the TLS alert as a socket error; the reason it logs names SSL.
    check(seen["check"] == "SOCKERR" or seen["check"].startswith("L6"),
          f"the check should fail in the TLS layer, got {seen['check']!r}")
    harness.wait_until(lambda: re.search(r"agents/a1 is DOWN, reason: .*SSL", log_of(case)), 5,
                       "haproxy to log 'Server agents/a1 is DOWN' with an SSL reason")
    r = case.get("/", {"x-id": "refused"})
    check_eq(r.status, 200, "status of a request while the agent refuses haproxy")
    check_eq(r.header("x-v-str_id") or "", "", "no echoed variable without the agent")
    harness.wait_until(lambda: "failed: no client certificate" in agent.log_text(), 10,
                       "the agent to log 'TLS handshake with ... failed: no client certificate'")
    lines = [ln for ln in agent.log_text().splitlines() if "TLS handshake with" in ln]
    check(all("[warning]" in ln and "no client certificate" in ln for ln in lines),
          f"every refusal should be one warning naming the missing certificate: {lines[:3]!r}")


if __name__ == "__main__":
    harness.main({"tls-mtls": tls_mtls, "tls-refused": tls_refused})
