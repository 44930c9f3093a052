# The standard spoa example in Python: answers the SPOE message `check-client-ip`.
#
# HAProxy sends it for every HTTP request with the unnamed arguments
#     always_true int(1234) src ipv6(::55) req.fhdr(host)
# (see spoe-ps.conf and haproxy-ps.cfg next to this file). The handler prints what it received and sets
# one variable of every type; with `option var-prefix iprep` HAProxy sees them as txn.iprep.null,
# txn.iprep.boolean, ..., and sess.iprep.ip_score, which haproxy-ps.cfg uses to redirect to /<ip_score>.
#
# Run it with:  spoa -d -f examples/ps_python.py
import ipaddress
import pprint
import random

import spoa


def check_client_ip(args):
    # args is a list of {'name': ..., 'value': ...} dicts, in the order of the SPOE `args` line.
    pprint.pprint(args)

    txn = spoa.scope_txn
    spoa.set_var_null("null", txn)
    spoa.set_var_boolean("boolean", txn, True)
    spoa.set_var_int32("int32", txn, 1234)
    spoa.set_var_uint32("uint32", txn, 1234)
    spoa.set_var_int64("int64", txn, 1234)
    spoa.set_var_uint64("uint64", txn, 1234)
    spoa.set_var_ipv4("ipv4", txn, ipaddress.IPv4Address("127.0.0.1"))
    spoa.set_var_ipv6("ipv6", txn, ipaddress.IPv6Address("1::f"))
    spoa.set_var_str("str", txn, "1::f")
    # A str is sent UTF-8 encoded, so control characters and NUL bytes pass through unchanged.
    spoa.set_var_bin("bin", txn, "\x01\x02\x00\x03")

    # The score lives in the session, so every request of the connection sees it.
    spoa.set_var_int32("ip_score", spoa.scope_sess, random.randint(1, 100))


spoa.register_message("check-client-ip", check_client_ip)
