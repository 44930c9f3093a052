"""record-replay: spoa --record behind the real haproxy, the recording replayed against other agents.

HAProxy sends message "echo" with str_id = the request's x-id header to an agent running scripts/echo.lua
with `--record`; each request has its own x-id, which the echo handler sets as txn.echo.str_id. Once that
agent has stopped (its workers write what they buffer), `spop-cli decode --recording` must show one
recorded exchange per request, each x-id once, with the ACK that carried it back. `spop-sim replay` (as the
HAProxy version under test numbers streams) then sends the recorded NOTIFYs to a second agent running the
same script: no difference; and to a third running a changed script (values upper-cased): exactly one
change per request, in txn.echo.str_id. The binaries come from $SPOP_CLI_BIN and $SPOP_SIM_BIN.
"""

import json
import os
import signal

import harness
from harness import check, check_eq
from test_tools import run, tool  # the tools case's helpers: print what ran, check the binaries exist

REQUESTS = 30
RULES = '    http-after-response set-header x-v-str_id "%[var(txn.echo.str_id)]"'

# scripts/echo.lua's str_ handling, changed: what a script change under test looks like.
CHANGED = """\
local txn = spoa.scope.txn
spoa.register_message("echo", function(args)
  for _, arg in ipairs(args) do
    spoa.set_var_str(arg.name, txn, string.upper(arg.value))
    spoa.set_var_str(arg.name .. "_lt", txn, math.type(arg.value) or type(arg.value))
  end
end)
"""


def record_replay(case):
    cli = tool("SPOP_CLI_BIN")
    sim = tool("SPOP_SIM_BIN")
    recording = os.path.join(case.dir, "traffic.rec")
    recorder = case.start_agent(["echo.lua"], workers=2, extra_args=["--record", recording])
    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    case.start_haproxy("echo.cfg.in", recorder.port, spoe_conf=spoe, rules=RULES)

    ids = [f"rec-{n:02d}" for n in range(REQUESTS)]
    for i in ids:
        r = case.get("/", headers={"x-id": i})
        check_eq(r.status, 200, f"request {i}: status")
        check_eq(r.header("x-v-str_id"), i, f"request {i}: txn.echo.str_id as HAProxy stored it")
    recorder.process.stop(signal.SIGTERM)
    check("recording: " in recorder.log_text(), "the workers report what they recorded when they stop")

    decoded = run([cli, "decode", "--recording", recording, "--json"])
    check_eq(decoded.returncode, 0, "spop-cli decode --recording: exit status")
    records = json.loads(decoded.stdout)["records"]
    seen = []
    for rec in records:
        check_eq(rec["kind"], "exchange", f"record {rec['record']}: kind")
        args = rec["notify"]["messages"][0]["args"]
        check_eq(args[0]["name"], "str_id", f"record {rec['record']}: the argument HAProxy sent")
        seen.append(args[0]["value"]["value"])
        actions = {a["name"]: a["value"]["value"] for a in rec["ack"]["actions"]}
        check_eq(actions.get("str_id"), seen[-1], f"record {rec['record']}: the ACK sent back")
    check_eq(sorted(seen), ids, "the x-id of every request, recorded once")

    profile = "3.2" if case.spop_mux else "2.6"

    def replay_against(script, name, status):
        """spop-sim replay of the recording against a new agent running `script`: its JSON report."""
        agent = harness.Agent(case, case.spoa, [script], name=name)
        agent.start()
        replay = run([sim, "replay", recording, "--port", str(agent.port), "--profile", profile, "--config", spoe,
                      "--engine", "echo", "--json"])
        check_eq(replay.returncode, status, f"spop-sim replay against the {name} script: exit status")
        return json.loads(replay.stdout)

    report = replay_against(harness.script_path("echo.lua"), "same", 0)
    check_eq(report["compared"], REQUESTS, "ACKs compared")
    check_eq(report["differing"], 0, "ACKs that differ")

    changed_script = os.path.join(case.dir, "echo_upper.lua")
    with open(changed_script, "w", encoding="utf-8") as f:
        f.write(CHANGED)
    report = replay_against(changed_script, "changed", 1)
    check_eq(report["differing"], REQUESTS, "ACKs that differ")
    variables = report["messages"]["echo"]["variables"]
    check_eq(sorted(variables), ["txn.echo.str_id"], "the variables that differ")
    check_eq(variables["txn.echo.str_id"]["changed"], REQUESTS, "txn.echo.str_id changed")


if __name__ == "__main__":
    harness.main({"record-replay": record_replay})
