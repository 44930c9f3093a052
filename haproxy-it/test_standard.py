"""standard-lua, standard-python, standard-php: the standard example (examples/ps_lua.lua, examples/ps_python.py,
examples/ps_php.php).

The SPOE file is examples/spoe-ps.conf as it ships; haproxy.cfg is templates/standard.cfg.in, the frontend of
examples/haproxy-ps.cfg with response headers added.

HAProxy sends check-client-ip (always_true int(1234) src ipv6(::55) req.fhdr(host)) for every request;
the handler sets ten txn variables and sess ip_score; HAProxy redirects to /<ip_score> and exposes every
variable in a response header, so the test sees exactly what HAProxy stored.
"""

import ast
import os
import re
import shutil
import signal

import harness
from harness import check, check_eq

REQUESTS = 10


def python_bin_value(path):
    """The constant the Python example passes to set_var_bin("bin", ...), as bytes (str is UTF-8)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "set_var_bin" and len(node.args) == 3
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == "bin"):
            value = node.args[2]
            if isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes)):
                v = value.value
                return v.encode("utf-8") if isinstance(v, str) else v
            raise harness.TestFailure(f"{path}: set_var_bin('bin', ...) is not a constant")
    raise harness.TestFailure(f"{path}: no set_var_bin('bin', ...) call found")


def example_spoe_file(case):
    """examples/spoe-ps.conf copied unchanged into the case directory; returns (path, engine name)."""
    source = os.path.join(harness.SOURCE_ROOT, "examples", "spoe-ps.conf")
    with open(source, encoding="utf-8") as f:
        text = f.read()
    scope = re.search(r"^\s*\[([^\]]+)\]", text, re.M)
    backend = re.search(r"^\s*use-backend\s+(\S+)", text, re.M)
    check(scope is not None, f"{source}: no [engine] scope")
    check(backend is not None and backend.group(1) == "agents",
          f"{source}: the test's haproxy.cfg names the agents backend 'agents', the file says "
          f"{backend.group(1) if backend else None!r}")
    path = os.path.join(case.dir, "spoe.conf")
    shutil.copyfile(source, path)
    return path, scope.group(1)


def run_standard(case, script, expected_bin):
    agent = case.start_agent([script], workers=1)
    spoe, engine = example_spoe_file(case)
    case.start_haproxy("standard.cfg.in", agent.port, spoe_conf=spoe, engine=engine)

    expected = {
        "x-null": "", "x-boolean": "1",
        "x-int32": "1234", "x-uint32": "1234", "x-int64": "1234", "x-uint64": "1234",
        "x-ipv4": "127.0.0.1", "x-ipv6": "1::f", "x-str": "1::f",
        "x-bin": expected_bin.hex().upper(),
    }
    scores = []
    for i in range(REQUESTS):
        r = case.get(f"/req{i}")
        check_eq(r.status, 302, f"request {i}: status (redirect to /<ip_score>); response {r!r}")
        location = r.header("location") or ""
        check(location[1:].isdigit() and location.startswith("/"),
              f"request {i}: Location should be /<ip_score>, is {location!r}")
        score = int(location[1:])
        check(1 <= score <= 100, f"request {i}: ip_score {score} outside 1..100")
        check_eq(r.header("x-score"), str(score), f"request {i}: sess.iprep.ip_score vs Location")
        for name, value in expected.items():
            check_eq(r.header(name) or "", value, f"request {i}: header {name}")
        check(r.header("x-null-found") is None,
              f"request {i}: txn.iprep.null should be unset (a NULL set-var unsets), but it exists")
        scores.append(score)
    check(len(set(scores)) > 1, f"ip_score should be random in 1..100, got {scores}")

    # The handler prints its arguments on the agent's standard output (flushed at the latest on exit).
    agent.process.stop(signal.SIGTERM)
    out = agent.log_text()
    host = f"127.0.0.1:{case.haproxy.fe_port}"
    for needle in ("1234", "::55", host):
        check(needle in out, f"the handler's printed arguments should contain {needle!r} "
                             f"(agent stdout/stderr has {len(out)} characters)")


def standard_lua(case):
    # The Lua example sets bin = "1::f".
    run_standard(case, "examples/ps_lua.lua", b"1::f")


def standard_python(case):
    script = os.path.join(harness.SOURCE_ROOT, "examples", "ps_python.py")
    run_standard(case, "examples/ps_python.py", python_bin_value(script))


def standard_php(case):
    # The PHP example sets bin = "\x01\x02\x00\x03" (a double-quoted PHP string: escapes are bytes).
    script = os.path.join(harness.SOURCE_ROOT, "examples", "ps_php.php")
    with open(script, encoding="utf-8") as f:
        check("set_var_bin('bin', $txn, \"\\x01\\x02\\x00\\x03\")" in f.read(),
              f"{script}: the test expects set_var_bin('bin', $txn, \"\\x01\\x02\\x00\\x03\")")
    run_standard(case, "examples/ps_php.php", b"\x01\x02\x00\x03")


if __name__ == "__main__":
    harness.main({"standard-lua": standard_lua, "standard-python": standard_python, "standard-php": standard_php})
