# The standard example's handler (examples/ps_python.py) without its pprint, for the engine benchmark.
import ipaddress
import random

import spoa

IPV4 = ipaddress.IPv4Address("127.0.0.1")
IPV6 = ipaddress.IPv6Address("1::f")


def check_client_ip(args):
    spoa.set_var_null("null", spoa.scope_txn)
    spoa.set_var_boolean("boolean", spoa.scope_txn, True)
    spoa.set_var_int32("int32", spoa.scope_txn, 1234)
    spoa.set_var_uint32("uint32", spoa.scope_txn, 1234)
    spoa.set_var_int64("int64", spoa.scope_txn, 1234)
    spoa.set_var_uint64("uint64", spoa.scope_txn, 1234)
    spoa.set_var_ipv4("ipv4", spoa.scope_txn, IPV4)
    spoa.set_var_ipv6("ipv6", spoa.scope_txn, IPV6)
    spoa.set_var_str("str", spoa.scope_txn, "1::f")
    spoa.set_var_bin("bin", spoa.scope_txn, "\x01\x02\x00\x03")
    spoa.set_var_int32("ip_score", spoa.scope_sess, random.randint(1, 100))


if __name__ == "__main__":  # the script spoa runs (-f); async_sleep5ms.py imports the handler instead
    spoa.register_message("check-client-ip", check_client_ip)
