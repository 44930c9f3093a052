# Frame-limit handler of the integration tests (haproxy-it). Message "limits" with size (int) and mode:
#   mode "set":  set txn big = payload(size); if the agent refuses it, the call goes on and records the
#                error: ok = False and err = the error text (else ok = True).
#   mode "fill": try sizes size, size-1, ... until the agent accepts one: the largest variable that fits.
# payload(n) is "0123456789abcdef" repeated and cut to n bytes (the test recomputes its SHA-1).
import spoa

TXN = spoa.scope_txn


def payload(n):
    return ("0123456789abcdef" * (n // 16 + 1))[:n]


def limits(args):
    values = {arg["name"]: arg["value"] for arg in args}
    size, mode = values["size"], values["mode"]
    if mode == "fill":
        for n in range(size, -1, -1):
            try:
                spoa.set_var_str("big", TXN, payload(n))
                return
            except Exception:  # noqa: BLE001 - the refusal is what this mode looks for
                continue
        raise RuntimeError("limits: not even an empty variable fits")
    try:
        spoa.set_var_str("big", TXN, payload(size))
    except Exception as e:  # noqa: BLE001 - any refusal is recorded for the test to see
        spoa.set_var_boolean("ok", TXN, False)
        spoa.set_var_str("err", TXN, f"{type(e).__name__}: {e}"[:200])
    else:
        spoa.set_var_boolean("ok", TXN, True)


spoa.register_message("limits", limits)
