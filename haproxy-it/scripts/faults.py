# Fault handler of the integration tests (haproxy-it). Message "fault" with mode, id and ms:
#   "error": sets txn before = id, then raises an exception
#   "slow":  sleeps ms milliseconds, then sets txn slow = id
#   "spin":  sets txn before = id, then loops forever (only the agent's call budget ends it)
#   other:   sets txn ok = id
import time

import spoa

TXN = spoa.scope_txn


class DeliberateFault(Exception):
    pass


def fault(args):
    a = {arg["name"]: arg["value"] for arg in args}
    if a["mode"] == "error":
        spoa.set_var_str("before", TXN, a["id"])
        raise DeliberateFault("deliberate fault for " + a["id"])
    if a["mode"] == "slow":
        time.sleep((a["ms"] or 0) / 1000)
        spoa.set_var_str("slow", TXN, a["id"])
    elif a["mode"] == "spin":
        spoa.set_var_str("before", TXN, a["id"])
        while True:
            pass
    else:
        spoa.set_var_str("ok", TXN, a["id"])


spoa.register_message("fault", fault)
