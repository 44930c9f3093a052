"""types-lua, types-python, types-php: every HAProxy sample type goes to a script and comes back unchanged.

Message "echo" carries named arguments of every type HAProxy sends (integers arrive as INT64, bool, ipv4,
ipv6, str, bin with NUL bytes, NULL for a missing header, src_port, method). scripts/echo.{lua,py,php} set each
back with the setter the argument's name starts with, plus <name>_lt = the script-side type name.
HAProxy exposes each variable in a response header (hex for str/bin), so the test compares exactly what
HAProxy stored with what it sent.
"""

import base64
import os
import random

import harness
from harness import check, check_eq

# (argument name, SPOE sample, expected HAProxy value or a function of the request, Lua type, Python type).
# The PHP type follows from the Lua one (PHP_TYPES).
# Values of str_/bin_ arguments are compared hex-encoded (the `,hex` converter), so NULs and UTF-8 show.
BIN_HDR = "bin_hdr"
UTF8 = "h\u00e9llo w\u00f6rld \u2713"


def arguments(request):
    """The argument table; `request` holds the values the client chose for this request."""
    return [
        ("int64_neg", "int(-5)", "-5", "integer", "int"),
        ("int64_m1", "int(-1)", "-1", "integer", "int"),
        ("int64_big", "int(5000000000)", "5000000000", "integer", "int"),
        ("int64_hdr", "req.hdr(x-int),add(0)", str(request["int"]), "integer", "int"),
        ("int32_min", "int(-2147483648)", "-2147483648", "integer", "int"),
        ("uint32_max", "int(4294967295)", "4294967295", "integer", "int"),
        ("uint64_big", "int(9223372036854775807)", "9223372036854775807", "integer", "int"),
        ("int64_port", "src_port", str(request["port"]), "integer", "int"),
        ("bool_t", "bool(1)", "1", "boolean", "bool"),
        ("bool_f", "bool(0)", "0", "boolean", "bool"),
        ("ipv4_src", "src", "127.0.0.1", "string", "IPv4Address"),
        ("ipv4_c", "ipv4(192.0.2.250)", "192.0.2.250", "string", "IPv4Address"),
        ("ipv6_c", "ipv6(::55)", "::55", "string", "IPv6Address"),
        ("ipv6_full", "ipv6(2001:db8:ffff::1:2)", "2001:db8:ffff::1:2", "string", "IPv6Address"),
        ("str_c", "str(hello)", b"hello".hex().upper(), "string", "str"),
        ("str_method", "method", b"GET".hex().upper(), "string", "str"),
        ("str_utf8", "req.hdr(x-utf8)", UTF8.encode().hex().upper(), "string", "str"),
        ("bin_c", "bin(00ff10)", "00FF10", "string", "bytes"),
        (BIN_HDR, "req.hdr(x-bin),b64dec", request["bin"].hex().upper(), "string", "bytes"),
        ("null_missing", "req.hdr(x-missing)", None, "nil", "NoneType"),
    ]


# get_debug_type() of what the PHP engine hands over, by the Lua type of the same argument (integers are
# int, addresses text, bytes string, NULL null).
PHP_TYPES = {"integer": "int", "boolean": "bool", "string": "string", "nil": "null"}


def rules(table):
    lines = []
    for name, _sample, _expected, _lt, _pt in table:
        conv = ",hex" if name.split("_")[0] in ("str", "bin") else ""
        lines.append(f'    http-after-response set-header x-v-{name} "%[var(txn.echo.{name}){conv}]"')
        lines.append(f"    http-after-response set-header x-f-{name} 1 if {{ var(txn.echo.{name}) -m found }}")
        lines.append(f'    http-after-response set-header x-t-{name} "%[var(txn.echo.{name}_lt)]"')
    return "\n".join(lines)


def run_types(case, script, type_column):
    template_request = {"int": 0, "port": 0, "bin": b""}
    table = arguments(template_request)
    agent = case.start_agent([script], workers=1)
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s",
                          args=" ".join(f"{name}={sample}" for name, sample, *_ in table))
    case.start_haproxy("echo.cfg.in", agent.port, spoe_conf=spoe, rules=rules(table))

    rng = random.Random(os.getpid())
    for i in range(5):
        request = {"int": rng.choice([-1, 1]) * rng.randrange(2**62),
                   "bin": bytes([0, 255, 0]) + rng.randbytes(29)}
        headers = {"x-int": str(request["int"]), "x-utf8": UTF8.encode(),
                   "x-bin": base64.b64encode(request["bin"]).decode()}
        r = case.get(f"/types{i}", headers)
        check_eq(r.status, 200, f"request {i}: status; response {r!r}")
        check_eq(r.header("x-err") or "", "", f"request {i}: set-on-error variable")
        request["port"] = r.local_port
        for name, _sample, expected, lua_t, py_t in arguments(request):
            script_type = {"lua": lua_t, "python": py_t, "php": PHP_TYPES[lua_t]}[type_column]
            check_eq(r.header(f"x-t-{name}"), script_type, f"request {i}: type the script saw for {name}")
            if expected is None:
                check(r.header(f"x-f-{name}") is None,
                      f"request {i}: {name} should be unset (NULL), HAProxy has {r.header(f'x-v-{name}')!r}")
            else:
                check_eq(r.header(f"x-f-{name}"), "1", f"request {i}: {name} should exist in HAProxy")
                check_eq(r.header(f"x-v-{name}"), expected, f"request {i}: value of txn.echo.{name}")


def types_lua(case):
    run_types(case, "echo.lua", "lua")


def types_python(case):
    run_types(case, "echo.py", "python")


def types_php(case):
    run_types(case, "echo.php", "php")


if __name__ == "__main__":
    harness.main({"types-lua": types_lua, "types-python": types_python, "types-php": types_php})
