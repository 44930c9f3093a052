"""tools: spop-cli and spop-sim against the agent the harness starts (issue #10's tool smoke).

The tools play HAProxy themselves, so no haproxy is started: `spop-cli send --expect` must pass on the
echo handler's variables and fail (exit 1) on a wrong value; `spop-sim run` sends a short count of
requests from a scenario whose expectations hold (exit 0), then one whose expectations do not (exit 1).
The binaries come from $SPOP_CLI_BIN and $SPOP_SIM_BIN (set by integration.cmake).
"""

import json
import os
import subprocess

import harness
from harness import check, check_eq


def tool(env_name):
    path = os.environ.get(env_name)
    check(path and os.path.exists(path), f"${env_name} should name the built binary, is {path!r}")
    return path


def run(argv, timeout=60):
    print("$ " + " ".join(argv))
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    print(p.stdout[-3000:])
    if p.stderr:
        print("stderr: " + p.stderr[-2000:])
    return p


SCENARIO = """\
profile: "{profile}"
load: {{connections: 2, in_flight: 4, count: 200}}
requests:
  - path: /
    headers:
      x-id: "id-{{seq}}"
expect:
  max_error_rate: 0
  messages:
    echo:
      txn.echo.str_id: {spec}
"""


def tools(case):
    cli = tool("SPOP_CLI_BIN")
    sim = tool("SPOP_SIM_BIN")
    agent = case.start_agent(["echo.lua"], workers=1)
    port = str(agent.port)

    base = [cli, "send", "-p", port, "--var-prefix", "echo", "-m", "echo", "-a", "str_id=str:hello"]
    ok = run(base + ["--expect", "txn.echo.str_id=str:hello", "--json"])
    check_eq(ok.returncode, 0, "spop-cli send with a matching --expect: exit status")
    check_eq(json.loads(ok.stdout)["expectations"]["failed_acks"], 0, "spop-cli failed ACKs")
    bad = run(base + ["--expect", "txn.echo.str_id=str:other"])
    check_eq(bad.returncode, 1, "spop-cli send with a failing --expect: exit status")

    spoe = case.spoe_file("echo.spoe.conf.in", processing="2s", args="str_id=req.hdr(x-id)")
    for profile in ("2.6", "3.2"):
        scenario = os.path.join(case.dir, f"scenario-{profile}.yaml")
        with open(scenario, "w", encoding="utf-8") as f:
            f.write(SCENARIO.format(profile=profile, spec="str"))
        good = run([sim, "run", "--config", spoe, "--engine", "echo", "--scenario", scenario, "--port", port,
                    "--json", "--quiet"])
        check_eq(good.returncode, 0, f"spop-sim run ({profile}) with expectations that hold: exit status")
        report = json.loads(good.stdout)
        check_eq(report["completed"], 200, f"spop-sim run ({profile}): answered requests")
        check_eq(report["errors"], 0, f"spop-sim run ({profile}): errors")
        check("txn.echo.str_id" in report["variables"]["echo"], f"variables seen: {report['variables']!r}")

    failing = os.path.join(case.dir, "scenario-fail.yaml")
    with open(failing, "w", encoding="utf-8") as f:
        f.write(SCENARIO.format(profile="2.6", spec="int"))
    bad = run([sim, "run", "--config", spoe, "--engine", "echo", "--scenario", failing, "--port", port,
               "--requests", "20", "--quiet"])
    check_eq(bad.returncode, 1, "spop-sim run with an expectation that fails: exit status")
    check("txn.echo.str_id" in bad.stdout and "FAILED" in bad.stdout, "the report names the failed variable")


if __name__ == "__main__":
    harness.main({"tools": tools}, without_haproxy=("tools",))
