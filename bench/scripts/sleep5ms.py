# A handler that waits 5 ms in a blocking call, standing for a database query (issue 21's benchmark):
# time.sleep releases the GIL, so calls on several executor threads overlap.
import time

import spoa


def check(args):
    time.sleep(0.005)
    spoa.set_var_int32("slept", spoa.scope_txn, 5)


spoa.register_message("check-client-ip", check)
