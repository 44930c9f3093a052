"""limits-lua, limits-python, limits-php: variables at and past the negotiated max-frame-size (16380 with 2.6's defaults).

* A 16000-byte string variable arrives intact (length and SHA-1 checked in HAProxy).
* A 16400-byte one cannot fit in any ACK: the agent refuses that one variable, the script gets an error
  (and records it in other variables, which still arrive), the agent logs it, and the SPOE connection
  survives (the agents server's session count does not move) while the next request works.
* "fill": the script walks down from 16380 until a size is accepted; the largest accepted variable must
  leave the ACK within a few bytes of the limit (its header: type, flags, ids, action and name).
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


def run_limits(case, script):
    agent = case.start_agent([script], workers=1)
    spoe = case.spoe_file("limits.spoe.conf.in")
    case.start_haproxy("limits.cfg.in", agent.port, spoe_conf=spoe)

    r = limited(case, NEAR, "set", "near the limit")
    check_big(r, NEAR, "near the limit")
    check_eq(r.header("x-ok"), "1", "near the limit: the setter should have succeeded")
    connections = sessions(case)
    check(connections >= 1, f"the agents server should count the SPOE connection (stot={connections})")
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
    check_eq(sessions(case), connections,
             "sessions to the agent (stot): the refused variable must not cost the SPOE connection")

    r = limited(case, MAX_FRAME, "fill", "fill")
    n = int(r.header("x-big-len") or "-1")
    # ACK = type 1 + flags 4 + stream-id 1..5 + frame-id 1..5 + SET-VAR (3) + name "big" (4) + STRING
    # type (1) + length varint (3) + n; so n = 16380 - (17..25) at the largest.
    check(MAX_FRAME - 25 <= n <= MAX_FRAME - 17,
          f"fill: the largest accepted variable has {n} bytes; expected {MAX_FRAME - 25}..{MAX_FRAME - 17} "
          f"(an ACK exactly at max-frame-size {MAX_FRAME})")
    check_big(r, n, "fill")
    print(f"fill: the largest variable accepted was {n} bytes")

    r = limited(case, NEAR, "set", "after fill")
    check_big(r, NEAR, "after fill")
    check_eq(sessions(case), connections, "sessions to the agent (stot) after fill")


def limits_lua(case):
    run_limits(case, "limits.lua")


def limits_python(case):
    run_limits(case, "limits.py")


def limits_php(case):
    run_limits(case, "limits.php")


if __name__ == "__main__":
    harness.main({"limits-lua": limits_lua, "limits-python": limits_python, "limits-php": limits_php})
