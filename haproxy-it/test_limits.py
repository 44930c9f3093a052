"""limits-lua, limits-python, limits-php, limits-full-frame: variables at and past the negotiated
max-frame-size (16380 with HAProxy's default tune.bufsize of 16384).

* A 16000-byte string variable arrives intact (length and SHA-1 checked in HAProxy).
* A 16400-byte one cannot fit in any ACK: the agent refuses that one variable, the script gets an error
  (and records it in other variables, which still arrive), the agent logs it, and the SPOE connection
  survives while the next request works: no SPOP connection the agent served is closed during the case,
  and the agents server's session count (stot) moves as the version counts sessions (check_connections).
* "fill": the script walks down from the frame size until a size is accepted; the largest accepted
  variable must leave the ACK within a few bytes of one byte below the limit (its header: type, flags,
  ids, action, name): the agent never sends a frame of exactly max-frame-size.
* limits-full-frame: the largest ACK the agent sends reaches the stream on every version, and the SPOP
  connection goes on serving. A frame of exactly max-frame-size would stall a 3.1+ connection for good
  (see the comment above limits_full_frame()), which is why the agent keeps that byte.
"""

import hashlib
import re

import harness
from harness import check, check_eq

MAX_FRAME = 16380
NEAR = 16000
OVER = 16400
# A log line about the refusal: names the variable and says why, in some words.
LOG_PATTERN = re.compile(r"^.*\bbig\b.*(frame|too (big|large|long)|exceed|does not fit|full).*$", re.I | re.M)
# The agent's debug lines: each SPOP connection whose HELLO it answered (health checks log "health check
# answered" instead), and each connection's end.
HELLO_LINE = re.compile(r"\] c(\d+): hello: ", re.M)
CLOSED_LINE = re.compile(r"\] c(\d+): closed", re.M)


def payload(n):
    return ("0123456789abcdef" * (n // 16 + 1))[:n].encode()


def limited(case, size, mode, what):
    r = case.get(f"/{mode}/{size}", {"x-size": str(size), "x-mode": mode})
    check_eq(r.status, 200, f"{what}: status; response {r!r}")
    check_eq(r.header("x-err") or "", "", f"{what}: SPOE error variable (the ACK should have arrived)")
    return r


def check_big(r, n, what):
    check_eq(r.header("x-big-found"), "1", f"{what}: txn.lim.big should exist")
    check_eq(r.header("x-big-len"), str(n), f"{what}: length of txn.lim.big")
    check_eq((r.header("x-big-sha1") or "").lower(), hashlib.sha1(payload(n)).hexdigest(),
             f"{what}: SHA-1 of txn.lim.big")


def sessions(case):
    return int(case.haproxy.server_stat()["stot"])


def spop_connections(agent):
    """(ids of the SPOP connections the agent answered a HELLO on, ids of those that ended)."""
    text = agent.log_text()
    hellos = set(HELLO_LINE.findall(text))
    return hellos, hellos & set(CLOSED_LINE.findall(text))


def check_connections(case, agent, requests, what):
    """The refused variable cost no SPOE connection, and stot counts sessions as the version does.

    No SPOP connection the agent served may have ended. How many there are and what stot says:
    * 2.6: one SPOE applet serves the case's requests one after the other over one connection, and an
      applet is one session on the agents server: one connection, stot 1.
    * 3.0: the same applets, but its scheduler (spoe_queue_context(), src/flt_spoe.c in 3.0.0) starts a
      new one when none is idle at the moment a request arrives, so the count may grow; still one
      session per applet: stot = the number of connections.
    * 3.1+: the SPOP mux pools its connections: one connection. Each SPOE processing is a stream of its
      own, and back_handle_st_req() (src/backend.c, 3.2.0) calls srv_inc_sess_ctr() after every
      connect_server(), also when it reuses the idle SPOP connection: stot = the number of requests.
    """
    hellos, closed = spop_connections(agent)
    check(not closed, f"{what}: SPOP connection(s) c{', c'.join(sorted(closed))} ended during the case "
          f"(the refused variable must not cost the SPOE connection)")
    if not case.at_least(3, 0) or case.spop_mux:
        check_eq(len(hellos), 1, f"{what}: SPOP connections the agent answered a HELLO on")
    expected = requests if case.spop_mux else len(hellos)
    check_eq(sessions(case), expected, f"{what}: sessions to the agents server (stot) after {requests} "
             f"requests on haproxy {case.version_text}")


def start(case, script):
    agent = case.start_agent([script], workers=1)
    spoe = case.spoe_file("limits.spoe.conf.in")
    case.start_haproxy("limits.cfg.in", agent.port, spoe_conf=spoe)
    return agent


def run_limits(case, script):
    max_frame = MAX_FRAME
    agent = start(case, script)

    r = limited(case, NEAR, "set", "near the limit")
    check_big(r, NEAR, "near the limit")
    check_eq(r.header("x-ok"), "1", "near the limit: the setter should have succeeded")
    check(sessions(case) >= 1, "the agents server should count the SPOE session (stot)")
    mentions = len(LOG_PATTERN.findall(agent.log_text()))

    r = limited(case, OVER, "set", "past the limit")
    check(r.header("x-big-found") is None,
          f"past the limit: txn.lim.big should not exist, HAProxy has {r.header('x-big-len')} bytes")
    check_eq(r.header("x-ok"), "0", "past the limit: the script should have seen the setter fail")
    message = bytes.fromhex(r.header("x-msg") or "").decode("utf-8", "replace")
    check(message, "past the limit: the script should have received an error text")
    print(f"past the limit: the script's error: {message!r}")

    def logged():
        return len(LOG_PATTERN.findall(agent.log_text())) > mentions
    harness.wait_until(logged, 5, "a line in the agent's log about the refused variable")

    r = limited(case, NEAR, "set", "after the refusal")
    check_big(r, NEAR, "after the refusal")
    check_connections(case, agent, 3, "after the refusal")

    r = limited(case, max_frame, "fill", "fill")
    n = int(r.header("x-big-len") or "-1")
    # ACK = type 1 + flags 4 + stream-id 1..5 + frame-id 1..5 + SET-VAR (3) + name "big" (4) + STRING
    # type (1) + length varint (3) + n, at most max_frame - 1; so n = max_frame - (18..26) at the largest.
    check(max_frame - 26 <= n <= max_frame - 18,
          f"fill: the largest accepted variable has {n} bytes; expected {max_frame - 26}..{max_frame - 18} "
          f"(an ACK one byte below max-frame-size {max_frame})")
    check_big(r, n, "fill")
    print(f"fill: the largest variable accepted was {n} bytes (max-frame-size {max_frame})")

    r = limited(case, NEAR, "set", "after fill")
    check_big(r, NEAR, "after fill")
    check_connections(case, agent, 5, "after fill")


def limits_lua(case):
    run_limits(case, "limits.lua")


def limits_python(case):
    run_limits(case, "limits.py")


def limits_php(case):
    run_limits(case, "limits.php")


# Why the agent's ACKs stop one byte short of max-frame-size. On 3.1+ (seen on 3.2.0; unchanged in
# HAProxy's development tree of August 2026) an ACK of exactly max-frame-size (4 + 16380 bytes: the whole
# 16384-byte demux buffer) stalls the SPOP connection for good: spop_recv() sets SPOP_CF_DEM_DFULL when a
# read fills the demux buffer, but SPOP_CF_DEM_BLOCK_ANY (0x7E0, include/haproxy/mux_spop-t.h) includes
# DEM_DFULL (0x40) although its comment says "except DALLOC/DFULL" (the H2 and FCGI muxes leave it out).
# spop_process() then never runs the demux, the only place that clears DEM_DFULL, and spop_recv_allowed()
# refuses to read: the ACK stays in the buffer, the stream gets `timeout processing`, and so does every
# later request sent over that pooled connection (before the agent kept the byte, this case asserted
# exactly that on 3.1+, and a tshark capture showed the agent answering each request).


def limits_full_frame(case):
    agent = start(case, "limits.lua")
    r = limited(case, 100, "set", "a small variable")
    check_big(r, 100, "a small variable")

    r = case.get(f"/fill/{MAX_FRAME}", {"x-size": str(MAX_FRAME), "x-mode": "fill"})
    check_eq(r.status, 200, f"largest ACK: status; response {r!r}")
    check_eq(r.header("x-err") or "", "", f"largest ACK on {case.version_text}: SPOE error variable (the ACK "
             f"should have arrived; 1 is the processing timeout of a stalled 3.1+ connection); response {r!r}")
    n = int(r.header("x-big-len") or "-1")
    check(MAX_FRAME - 26 <= n <= MAX_FRAME - 18, f"largest ACK: the variable has {n} bytes")
    check_big(r, n, "largest ACK")
    for i in range(2):
        check_big(limited(case, 100, "set", f"after the largest ACK #{i}"), 100, f"after the largest ACK #{i}")
    check_connections(case, agent, 4, "after the largest ACK")


if __name__ == "__main__":
    harness.main({"limits-lua": limits_lua, "limits-python": limits_python, "limits-php": limits_php,
                  "limits-full-frame": limits_full_frame})
