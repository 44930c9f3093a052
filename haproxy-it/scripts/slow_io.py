# Handler of the slow-io integration case: waits `ms` milliseconds in a blocking call (time.sleep, which
# releases the GIL, as database drivers do), then sets txn io = id.
import time

import spoa


def slow_io(args):
    a = {arg["name"]: arg["value"] for arg in args}
    time.sleep((a["ms"] or 0) / 1000)
    spoa.set_var_str("io", spoa.scope_txn, a["id"])


spoa.register_message("slow-io", slow_io)
