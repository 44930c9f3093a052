"""Harness for the integration tests against a real haproxy (ctest label `integration`).

Each test case runs in its own temporary directory with its own loopback ports. It starts our agent
(`spoa -p 0 --ready-file ...`) and `haproxy -db -f haproxy.cfg` rendered from templates/, waits for both
with bounded polls (ready file, stats socket, frontend port; never a fixed sleep), sends HTTP requests to
127.0.0.1 and checks what HAProxy saw through response headers. Every process it started is stopped when
the case ends, whatever the outcome; on failure both processes' logs are printed.

Standard library only; run with /usr/bin/python3. A test module calls main() with its cases:

    python3 test_standard.py standard-lua --spoa build/dev-it/agent/spoa [--haproxy PATH...] [--keep]

A case runs once against each haproxy binary it is given, in order: --haproxy (repeatable, each value
may be a colon-separated list), else $HAPROXY_BINS (colon-separated), else $HAPROXY_BIN, else `haproxy`
on PATH (or /usr/sbin/haproxy). Every line of the outcome names the version it ran on; a binary that is
not there is reported and skipped, and the others still run.
"""

import argparse
import atexit
import csv
import ctypes
import http.client
import io
import os
import re
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
SCRIPTS = os.path.join(HERE, "scripts")
SOURCE_ROOT = os.path.dirname(HERE)

# Exit status of a case that cannot run here (no haproxy): ctest's SKIP_RETURN_CODE.
SKIPPED = 77

# Every process started by this run, so that atexit and signal handlers can stop the stragglers.
_LIVE = []


class TestFailure(Exception):
    """A check failed; the message says what was expected and what was seen."""


# --------------------------------------------------------------------------------------------------
# Checks and bounded waiting


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def wait_until(predicate, timeout, what, interval=0.02):
    """Polls predicate() until it returns a true value (returned) or `timeout` seconds pass (TestFailure).

    predicate may raise TestFailure to give up early (for example when a process died).
    """
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, http.client.HTTPException) as e:
            last_error = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_error!r})" if last_error else ""
            raise TestFailure(f"timed out after {timeout:g}s waiting for {what}{extra}")
        time.sleep(interval)  # poll interval of a bounded wait, not a fixed delay


# --------------------------------------------------------------------------------------------------
# Processes


def _set_pdeathsig():
    """Runs in the child between fork and exec: die with the test process, even if it is SIGKILLed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort; atexit and process groups cover the rest
        pass


class Process:
    """A child process in its own process group, with its output in files of the case directory."""

    def __init__(self, name, argv, workdir, env=None, merge_output=False, stop_grace=5.0):
        self.name = name
        self.stop_grace = stop_grace
        self.argv = argv
        self.stdout_path = os.path.join(workdir, f"{name}.out")
        self.stderr_path = self.stdout_path if merge_output else os.path.join(workdir, f"{name}.err")
        self._out = open(self.stdout_path, "ab")
        self._err = self._out if merge_output else open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err, env=env, start_new_session=True,
                                     preexec_fn=_set_pdeathsig)
        self.pid = self.proc.pid
        _LIVE.append(self)

    def alive(self):
        return self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            raise TestFailure(f"{self.name} exited early with status {self.proc.returncode}: "
                              f"{' '.join(self.argv)}")

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig=signal.SIGTERM, grace=None):
        """Sends `sig` to the program (its leader process, as an init system would), waits up to `grace`
        seconds, then SIGKILLs the whole process group; returns True if it exited in time by itself."""
        grace = self.stop_grace if grace is None else grace
        in_time = True
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                in_time = False
                print(f"note: {self.name} (pid {self.pid}) still running {grace:g}s after signal {sig}; "
                      f"killing its process group")
                self.signal_group(signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Leftover members of the group (workers) must not outlive the case.
        self.signal_group(signal.SIGKILL)
        for f in {self._out, self._err}:
            if not f.closed:
                f.close()
        if self in _LIVE:
            _LIVE.remove(self)
        return in_time

    def kill(self):
        """SIGKILL to the process group: the whole program dies at once, without any goodbye."""
        self.signal_group(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def output(self):
        parts = []
        for label, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            if label == "stderr" and path == self.stdout_path:
                continue
            try:
                with open(path, "rb") as f:
                    parts.append((label, f.read().decode("utf-8", "replace")))
            except OSError as e:
                parts.append((label, f"<unreadable: {e}>"))
        return parts


def _stop_all():
    for p in list(_LIVE):
        try:
            p.stop(grace=2.0)
        except Exception:  # noqa: BLE001 - cleanup must go on
            pass


atexit.register(_stop_all)


def _on_signal(signum, _frame):
    raise SystemExit(f"terminated by signal {signum}")


for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


# --------------------------------------------------------------------------------------------------
# Network helpers


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Response:
    def __init__(self, status, headers, body, local_port):
        self.status = status
        self.headers = headers  # lower-case name -> value (last one wins)
        self.body = body
        self.local_port = local_port  # the client's source port

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"Response({self.status}, {self.headers!r}, {self.body[:200]!r})"


def http_request(port, path="/", headers=None, method="GET", timeout=10.0):
    """One request on a new connection to 127.0.0.1:port; returns a Response."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        local_port = conn.sock.getsockname()[1]
        r = conn.getresponse()
        body = r.read()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, body, local_port)
    finally:
        conn.close()


# --------------------------------------------------------------------------------------------------
# HAProxy


class NoHAProxy(Exception):
    """No haproxy configured and none on PATH: the case cannot run here."""


def split_binaries(values):
    """Colon-separated lists (each item a path or a command name) flattened, empty items dropped."""
    return [item for value in values for item in value.split(":") if item]


def haproxy_binaries(cli_values=()):
    """The haproxy binaries to run a case against, as (origin, candidate) pairs: --haproxy, else
    $HAPROXY_BINS, else $HAPROXY_BIN, else haproxy on PATH or in /usr/sbin (NoHAProxy if none)."""
    for origin, values in (("--haproxy", list(cli_values)),
                           ("HAPROXY_BINS", [os.environ.get("HAPROXY_BINS", "")]),
                           ("HAPROXY_BIN", [os.environ.get("HAPROXY_BIN", "")])):
        candidates = split_binaries(values)
        if candidates:
            return [(origin, c) for c in candidates]
    found = shutil.which("haproxy") or shutil.which("/usr/sbin/haproxy")
    if not found:
        raise NoHAProxy("no haproxy binary: set HAPROXY_BIN or HAPROXY_BINS, or put haproxy on PATH")
    return [("PATH", found)]


def haproxy_version(binary):
    """The first line of `haproxy -v`."""
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=30).stdout
    return out.splitlines()[0] if out else "<no output from haproxy -v>"


def parse_version(version_line):
    """(major, minor, patch) and the version's name ("3.2.0", "2.6.12", "3.3-dev5") of a `haproxy -v` line
    ("HAProxy version 3.2.0-e134140d2 2025/05/28 ...", Debian's "HAProxy version 2.6.12-1+deb12u2 ...");
    TestFailure if unreadable."""
    m = re.search(r"version ((\d+)\.(\d+)(?:\.(\d+)|-dev\d+)?)", version_line)
    if not m:
        raise TestFailure(f"cannot read a version in haproxy -v's {version_line!r}")
    return (int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)), m.group(1)


def render(template_name, **values):
    """templates/<name> with $name placeholders substituted (a missing value is an error)."""
    with open(os.path.join(TEMPLATES, template_name), encoding="utf-8") as f:
        return string.Template(f.read()).substitute(values)


class HAProxy:
    """`haproxy -db -f haproxy.cfg` (optionally -W master-worker) with a stats socket in the case dir."""

    def __init__(self, case, binary, config_text, master_worker=False):
        self.case = case
        self.binary = binary
        self.config_path = os.path.join(case.dir, "haproxy.cfg")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config_text)
        self.stats_sock = case.stats_sock
        self.master_sock = os.path.join(case.dir, "master.sock")
        argv = [binary, "-db", "-f", self.config_path]
        if master_worker:
            argv[1:1] = ["-W", "-S", self.master_sock]
        self.process = Process("haproxy", argv, case.dir, merge_output=True)
        self.master_worker = master_worker

    # ---- stats socket

    def command(self, cmd, sock_path=None, timeout=5.0):
        """Sends one command on the (stats or master) CLI socket and returns the whole answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(sock_path or self.stats_sock)
            s.sendall(cmd.encode() + b"\n")
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")

    def show_stat(self):
        """`show stat` as a list of dicts keyed by the CSV header names."""
        text = self.command("show stat")
        check(text.startswith("# "), f"unexpected 'show stat' answer: {text[:200]!r}")
        rows = list(csv.reader(io.StringIO(text[2:])))
        header = rows[0]
        return [dict(zip(header, row)) for row in rows[1:] if row]

    def server_stat(self, backend="agents", server="a1"):
        for row in self.show_stat():
            if row.get("pxname") == backend and row.get("svname") == server:
                return row
        raise TestFailure(f"server {backend}/{server} not in 'show stat'")

    @staticmethod
    def check_status(row):
        return row.get("check_status", "").lstrip("* ").strip()

    def wait_stats_socket(self, timeout=15.0):
        def ready():
            self.process.check_alive()
            return os.path.exists(self.stats_sock) and self.command("show info")
        wait_until(ready, timeout, f"haproxy's stats socket {self.stats_sock}")

    def wait_server(self, want, timeout=15.0, backend="agents", server="a1"):
        """Polls until the server's status is `want` ('UP' also needs a passed check: L7OK)."""
        seen = {}

        def reached():
            self.process.check_alive()
            row = self.server_stat(backend, server)
            seen.update(status=row.get("status"), check=self.check_status(row),
                        desc=row.get("check_desc", ""))
            if want == "UP":
                return row.get("status") == "UP" and self.check_status(row) == "L7OK"
            return row.get("status", "").startswith(want)

        try:
            wait_until(reached, timeout, f"{backend}/{server} to be {want}")
        except TestFailure as e:
            raise TestFailure(f"{e}; last seen {seen}") from None
        return seen

    def wait_frontend(self, port, timeout=15.0):
        def ready():
            self.process.check_alive()
            return port_accepts(port)
        wait_until(ready, timeout, f"haproxy's frontend on 127.0.0.1:{port}")

    # ---- master-worker

    def show_proc(self):
        """Workers from the master CLI's `show proc`: {pid: reloads}; reloads > 0 means an old worker."""
        # The master CLI keeps the connection open after a command; "quit" makes it close.
        text = self.command("show proc; quit", sock_path=self.master_sock)
        workers = {}
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[0].isdigit() and fields[1] == "worker" and fields[2].isdigit():
                workers[int(fields[0])] = int(fields[2])
        return workers

    def wait_workers(self, timeout=15.0):
        """Waits until the master CLI answers and lists a worker (it may refuse connections at first)."""
        def listed():
            self.process.check_alive()
            return self.show_proc()
        return wait_until(listed, timeout, f"haproxy's master CLI {self.master_sock} to list a worker")


# --------------------------------------------------------------------------------------------------
# The agent


class Agent:
    """Our spoa, listening on 127.0.0.1 (port 0 = kernel's choice, read back from the ready file)."""

    def __init__(self, case, binary, scripts, workers=1, port=0, extra_args=(), name="agent"):
        self.case = case
        self.binary = binary
        self.scripts = list(scripts)
        self.workers = workers
        self.extra_args = list(extra_args)
        self.name = name
        self.port = port
        self.process = None
        self.ready_file = os.path.join(case.dir, f"{name}.ready")
        self.generation = 0

    def start(self, timeout=20.0):
        """Starts spoa and waits for its ready file; returns the port it listens on."""
        if os.path.exists(self.ready_file):
            os.unlink(self.ready_file)
        argv = [self.binary, "-p", str(self.port), "-n", str(self.workers), "--address", "127.0.0.1",
                "--ready-file", self.ready_file, "--log-level", "debug"]
        for s in self.scripts:
            argv += ["-f", s]
        argv += self.extra_args
        self.generation += 1
        name = self.name if self.generation == 1 else f"{self.name}-{self.generation}"
        # A short grace on stop: the case is over, a slow shutdown is not what it tests.
        self.process = Process(name, argv, self.case.dir, stop_grace=2.0)
        self.case.processes.append(self.process)

        def ready():
            self.process.check_alive()
            if not os.path.exists(self.ready_file):
                return None
            with open(self.ready_file, encoding="utf-8") as f:
                lines = [ln.split() for ln in f.read().splitlines() if ln.strip()]
            return lines or None

        lines = wait_until(ready, timeout, f"spoa's ready file {self.ready_file}")
        ports = [int(fields[1]) for fields in lines if len(fields) == 2 and fields[0] == "127.0.0.1"]
        check(len(ports) == 1, f"ready file should list one '127.0.0.1 PORT' line, has {lines!r}")
        check(self.port in (0, ports[0]), f"asked for port {self.port}, ready file says {ports[0]}")
        self.port = ports[0]
        return self.port

    def kill(self):
        self.process.kill()

    def log_text(self):
        return "\n".join(text for _label, text in self.process.output())


# --------------------------------------------------------------------------------------------------
# A test case


class Case:
    """One test case: its temporary directory, binaries, and every process it starts."""

    def __init__(self, name, spoa, haproxy_bin, keep=False):
        self.name = name
        self.spoa = spoa
        self.haproxy_bin = haproxy_bin
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix=f"spop-it-{name}-")
        self.stats_sock = os.path.join(self.dir, "stats.sock")
        self.processes = []
        self.haproxy = None
        self.version_line = haproxy_version(haproxy_bin) if haproxy_bin else "no haproxy"
        # (major, minor, patch) of the haproxy under test; (0, 0, 0) for a case that starts none.
        self.version, self.version_text = parse_version(self.version_line) if haproxy_bin else ((0, 0, 0), "-")

    def at_least(self, major, minor):
        """True when the haproxy under test is major.minor or later."""
        return self.version[:2] >= (major, minor)

    @property
    def spop_mux(self):
        """HAProxy 3.1 rewrote SPOE on a SPOP multiplexer (mux_spop.c): one stream per NOTIFY, pooled
        connections, `mode spop` backends. 2.6 and 3.0 run the SPOE applet."""
        return self.at_least(3, 1)

    # ---- building blocks

    def start_agent(self, scripts, workers=1, extra_args=(), port=0):
        agent = Agent(self, self.spoa, [script_path(s) for s in scripts], workers=workers, port=port,
                      extra_args=extra_args)
        agent.start()
        return agent

    def spoe_file(self, template, **values):
        path = os.path.join(self.dir, "spoe.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(render(template, **values))
        return path

    def start_haproxy(self, frontend_template, agent_port, nbthread=1, master_worker=False,
                      wait_agent_up=True, **values):
        """Renders base.cfg.in + the frontend template, starts haproxy and waits until it serves."""
        fe_port = free_port()
        # The agents backend in each version's own words: 3.1+ converts a `mode tcp` backend to `mode
        # spop` only after checking its servers, so a tcp backend declared before the frontend that
        # uses it never reuses its SPOP connections (test_reuse.py shows both set-ups).
        common = dict(stats_sock=self.stats_sock, agent_port=agent_port, nbthread=nbthread,
                      fe_port=fe_port, dir=self.dir, agents_mode="spop" if self.spop_mux else "tcp",
                      agent_server_params="")
        common.update(values)
        text = render("base.cfg.in", **common) + "\n" + render(frontend_template, **common)
        self.haproxy = HAProxy(self, self.haproxy_bin, text, master_worker=master_worker)
        self.processes.append(self.haproxy.process)
        self.haproxy.fe_port = fe_port
        self.haproxy.wait_stats_socket()
        if wait_agent_up:
            self.haproxy.wait_server("UP")
        self.haproxy.wait_frontend(fe_port)
        if master_worker:
            self.haproxy.wait_workers()
        return self.haproxy

    def get(self, path="/", headers=None, **kw):
        return http_request(self.haproxy.fe_port, path, headers, **kw)

    # ---- lifecycle

    def dump_logs(self, out=sys.stdout):
        for p in self.processes:
            for label, text in p.output():
                out.write(f"\n===== {p.name} {label} ({' '.join(p.argv)}) =====\n")
                limit = 60000
                if len(text) > limit:
                    # Keep the notable lines of the part that is cut (haproxy's warnings, errors).
                    cut = text[:-limit]
                    notable = [ln for ln in cut.splitlines()
                               if re.search(r"\[(WARNING|ALERT|NOTICE)\]|error|warn|critical", ln, re.I)]
                    out.write(f"[... {len(cut)} bytes cut; {len(notable)} notable lines of them follow ...]\n")
                    out.write("".join(ln + "\n" for ln in notable[-200:]))
                    out.write("[... end of the cut part ...]\n")
                    text = text[-limit:]
                out.write(text)
                if not text.endswith("\n"):
                    out.write("\n")
        for extra in ("haproxy.cfg", "spoe.conf"):
            path = os.path.join(self.dir, extra)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    out.write(f"\n===== {extra} =====\n{f.read()}")
        out.flush()

    def close(self, failed):
        # In start order: the agent first, while haproxy still holds its connections (it then drains
        # and exits at once), then haproxy.
        for p in self.processes:
            p.stop()
        if failed:
            self.dump_logs()
        if failed or self.keep:
            print(f"case directory kept: {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def make_test_certs(directory):
    """The TLS test certificates in `directory` (created), made by scripts/make-test-certs.sh, the same
    script the C++ tests use: ca.pem, server.pem/.key (CN=localhost), client-combined.pem (certificate
    and key, for HAProxy's `crt`), other-ca.pem... Returns `directory`."""
    os.makedirs(directory, exist_ok=True)
    subprocess.run(["bash", os.path.join(SOURCE_ROOT, "scripts", "make-test-certs.sh"), directory],
                   check=True, capture_output=True, timeout=60)
    return directory


def mtls_server_params(cert_dir):
    """What HAProxy's agent `server` line needs to talk mutual TLS to spoa started with
    `--tls-cert server.pem --tls-key server.key --tls-ca ca.pem` (the `agent_server_params` of
    base.cfg.in)."""
    return (f"ssl verify required ca-file {cert_dir}/ca.pem crt {cert_dir}/client-combined.pem "
            f"sni str(localhost)")


def script_path(name):
    """A script of haproxy-it/scripts/ by bare name, or a path relative to the source root."""
    if os.path.isabs(name):
        return name
    local = os.path.join(SCRIPTS, name)
    if os.path.exists(local):
        return local
    return os.path.join(SOURCE_ROOT, name)


def run_case(name, func, spoa, binary, keep):
    """Runs one case against one haproxy binary (None: a case that starts no haproxy); True if it passed."""
    started = time.monotonic()
    case = Case(name, spoa, binary, keep=keep)
    on = f" on haproxy {case.version_text}" if binary else ""
    if binary:
        print(f"case {name}{on}: {binary}: {case.version_line}")
    print(f"case {name}{on}: spoa {case.spoa}; directory {case.dir}")
    sys.stdout.flush()
    failed = True
    try:
        func(case)
        failed = False
    except TestFailure as e:
        print(f"FAIL {name}{on}: {e}")
    except BaseException:  # noqa: BLE001 - report everything, including SystemExit from a signal
        print(f"ERROR {name}{on}:")
        traceback.print_exc(file=sys.stdout)
    finally:
        sys.stdout.flush()
        case.close(failed)
    elapsed = time.monotonic() - started
    print(f"{'PASS' if not failed else 'FAILED'} {name}{on} in {elapsed:.2f}s")
    sys.stdout.flush()
    return not failed


def main(cases, without_haproxy=()):
    """Command line of a test module: runs one named case against each haproxy binary (once for the
    cases in `without_haproxy`, which start none). Exit 0 when every run passed, 1 when one failed,
    77 (skipped) when no binary was there to run it on."""
    parser = argparse.ArgumentParser(description="spoa integration tests against a real haproxy")
    parser.add_argument("case", choices=sorted(cases))
    parser.add_argument("--spoa", default=os.environ.get("SPOA_BIN"), help="path of the spoa binary")
    parser.add_argument("--haproxy", action="append", default=[],
                        help="haproxy binary or colon-separated list, repeatable "
                             "(default: $HAPROXY_BINS, $HAPROXY_BIN, PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the case directory")
    args = parser.parse_args()
    if not args.spoa:
        parser.error("--spoa (or $SPOA_BIN) is required")
    spoa = os.path.abspath(args.spoa)

    if args.case in without_haproxy:
        sys.exit(0 if run_case(args.case, cases[args.case], spoa, None, args.keep) else 1)
    try:
        candidates = haproxy_binaries(args.haproxy)
    except NoHAProxy as e:
        print(f"SKIP {args.case}: {e}")
        sys.exit(SKIPPED)
    passed, failed, missing = [], [], []
    for origin, candidate in candidates:
        binary = shutil.which(candidate)
        if not binary:
            print(f"SKIP {args.case} on {candidate} ({origin}): not an executable haproxy, not run")
            missing.append(candidate)
            continue
        try:
            version = parse_version(haproxy_version(binary))[1]
        except (OSError, subprocess.SubprocessError, TestFailure) as e:
            print(f"FAIL {args.case} on {binary}: cannot run it: {e}")
            failed.append(binary)
            continue
        (passed if run_case(args.case, cases[args.case], spoa, binary, args.keep) else failed).append(
            f"{version} ({binary})")
    print(f"summary {args.case}: passed on {', '.join(passed) or 'none'}; "
          f"failed on {', '.join(failed) or 'none'}"
          + (f"; not found: {', '.join(missing)}" if missing else ""))
    if failed:
        sys.exit(1)
    sys.exit(0 if passed else SKIPPED)
