# The test message of `spop-sim conform` (see docs/conformance.md): spop-conformance-echo.
# For each argument, in order, set a txn variable with the argument's name and value. The name starts
# with the value's type (null, bool, int32, uint32, int64, uint64, ipv4, ipv6, str, bin), optionally
# followed by "_" and a suffix; Python ints do not say which integer type they came as, so the name
# picks the setter.
#
#   spoa -f examples/conformance.py            then: spop-sim conform -p 12345
import spoa

TXN = spoa.scope_txn

SETTERS = {
    "null": lambda name, value: spoa.set_var_null(name, TXN),
    "bool": lambda name, value: spoa.set_var_boolean(name, TXN, value),
    "int32": lambda name, value: spoa.set_var_int32(name, TXN, value),
    "uint32": lambda name, value: spoa.set_var_uint32(name, TXN, value),
    "int64": lambda name, value: spoa.set_var_int64(name, TXN, value),
    "uint64": lambda name, value: spoa.set_var_uint64(name, TXN, value),
    "ipv4": lambda name, value: spoa.set_var_ipv4(name, TXN, value),
    "ipv6": lambda name, value: spoa.set_var_ipv6(name, TXN, value),
    # STRING arrives as str (bytes that are not UTF-8 as surrogate escapes); set_var_str sends the
    # original bytes back.
    "str": lambda name, value: spoa.set_var_str(name, TXN, value),
    "bin": lambda name, value: spoa.set_var_bin(name, TXN, value),
}


def echo(args):
    for arg in args:
        setter = SETTERS.get(arg["name"].split("_", 1)[0])
        if setter is None:
            continue
        try:
            setter(arg["name"], arg["value"])
        except spoa.error:
            # The ACK is full (max-frame-size): keep what fitted and stop there.
            break


spoa.register_message("spop-conformance-echo", echo)
