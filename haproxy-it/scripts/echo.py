# Echo handler of the integration tests (haproxy-it): every argument of message "echo" comes back as a
# txn variable of the same name, set with the setter that the name's prefix (up to the first "_") names:
# int64_neg -> spoa.set_var_int64, bin_c -> spoa.set_var_bin, null_missing -> spoa.set_var_null, ...
# A second variable <name>_lt holds the Python type the agent handed to the handler ("int", "NoneType", ...).
import spoa

TXN = spoa.scope_txn

SETTERS = {
    "null": lambda name, v: spoa.set_var_null(name, TXN),
    "bool": lambda name, v: spoa.set_var_boolean(name, TXN, v),
    "int32": lambda name, v: spoa.set_var_int32(name, TXN, v),
    "uint32": lambda name, v: spoa.set_var_uint32(name, TXN, v),
    "int64": lambda name, v: spoa.set_var_int64(name, TXN, v),
    "uint64": lambda name, v: spoa.set_var_uint64(name, TXN, v),
    "ipv4": lambda name, v: spoa.set_var_ipv4(name, TXN, v),
    "ipv6": lambda name, v: spoa.set_var_ipv6(name, TXN, v),
    "str": lambda name, v: spoa.set_var_str(name, TXN, v),
    "bin": lambda name, v: spoa.set_var_bin(name, TXN, v),
}


def echo(args):
    for arg in args:
        name = arg["name"]
        setter = SETTERS.get(name.split("_", 1)[0])
        if setter is None:
            raise ValueError(f"echo: argument {name!r} has no known type prefix")
        setter(name, arg["value"])
        spoa.set_var_str(name + "_lt", TXN, type(arg["value"]).__name__)


spoa.register_message("echo", echo)
