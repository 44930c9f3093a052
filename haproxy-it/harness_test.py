"""Unit tests of harness.py's choice of haproxy binaries (ctest haproxy-it.harness, label unit).

No haproxy runs here: stub "haproxy" scripts print a version line, and stub cases pass or fail, so
that main()'s loop over binaries (order, a missing binary, the exit status, the version named in
every outcome line) is checked in milliseconds. Run: python3 -B harness_test.py
"""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from unittest import mock

import harness

HERE = os.path.dirname(os.path.abspath(__file__))


class ParseVersion(unittest.TestCase):
    def test_debian_and_source_builds(self):
        self.assertEqual(harness.parse_version(
            "HAProxy version 2.6.12-1+deb12u2 2025/04/04 - https://haproxy.org/"), ((2, 6, 12), "2.6.12"))
        self.assertEqual(harness.parse_version(
            "HAProxy version 3.2.0-e134140d2 2025/05/28 - https://haproxy.org/"), ((3, 2, 0), "3.2.0"))
        self.assertEqual(harness.parse_version("HAProxy version 3.3-dev5 2025/08/01"), ((3, 3, 0), "3.3-dev5"))

    def test_unreadable_line_is_a_failure(self):
        with self.assertRaises(harness.TestFailure) as e:
            harness.parse_version("<no output from haproxy -v>")
        self.assertIn("cannot read a version", str(e.exception))


class ChooseBinaries(unittest.TestCase):
    def test_precedence_and_lists(self):
        env = {"HAPROXY_BINS": "/a/haproxy::/b/haproxy", "HAPROXY_BIN": "/c/haproxy"}
        with mock.patch.dict(os.environ, env, clear=False):
            self.assertEqual(harness.haproxy_binaries(["/x:/y", "/z"]),
                             [("--haproxy", "/x"), ("--haproxy", "/y"), ("--haproxy", "/z")])
            self.assertEqual(harness.haproxy_binaries(),
                             [("HAPROXY_BINS", "/a/haproxy"), ("HAPROXY_BINS", "/b/haproxy")])
        with mock.patch.dict(os.environ, {"HAPROXY_BINS": "", "HAPROXY_BIN": "/c/haproxy"}):
            self.assertEqual(harness.haproxy_binaries(), [("HAPROXY_BIN", "/c/haproxy")])

    def test_nothing_anywhere(self):
        with mock.patch.dict(os.environ, {"HAPROXY_BINS": "", "HAPROXY_BIN": ""}), \
                mock.patch.object(harness.shutil, "which", return_value=None):
            with self.assertRaises(harness.NoHAProxy):
                harness.haproxy_binaries()


# A test module in miniature: "ok" passes, "picky" fails on 3.x only, using the harness's version helpers.
STUB_MODULE = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {here!r})
    import harness

    def ok(case):
        print(f"ran on {{case.version_text}} mux={{case.spop_mux}}")

    def picky(case):
        harness.check(not case.at_least(3, 0), f"refuses {{case.version_text}}")

    harness.main({{"ok": ok, "picky": picky}})
""")


class MainLoop(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        d = self.dir.name
        self.module = os.path.join(d, "stub_cases.py")
        with open(self.module, "w", encoding="utf-8") as f:
            f.write(STUB_MODULE.format(here=HERE))
        self.bins = {}
        for version in ("2.6.12-1+deb12u2", "3.2.0-e134140d2"):
            path = os.path.join(d, f"haproxy-{version[:3]}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(f"#!/bin/sh\necho 'HAProxy version {version} 2025/05/28 - https://haproxy.org/'\n")
            os.chmod(path, 0o755)
            self.bins[version[:3]] = path

    def tearDown(self):
        self.dir.cleanup()

    def run_case(self, case, binaries):
        env = dict(os.environ, HAPROXY_BINS=":".join(binaries), HAPROXY_BIN="")
        p = subprocess.run([sys.executable, "-B", self.module, case, "--spoa", "/bin/true"],
                           capture_output=True, text=True, env=env, timeout=60)
        return p.returncode, p.stdout

    def test_every_binary_in_order_with_its_version(self):
        status, out = self.run_case("ok", [self.bins["2.6"], self.bins["3.2"]])
        self.assertEqual(status, 0, out)
        self.assertLess(out.index("ran on 2.6.12 mux=False"), out.index("ran on 3.2.0 mux=True"), out)
        self.assertIn("PASS ok on haproxy 2.6.12", out)
        self.assertIn("PASS ok on haproxy 3.2.0", out)

    def test_a_failure_names_its_version_and_fails_the_run(self):
        status, out = self.run_case("picky", [self.bins["2.6"], self.bins["3.2"]])
        self.assertEqual(status, 1, out)
        self.assertIn("PASS picky on haproxy 2.6.12", out)
        self.assertIn("FAIL picky on haproxy 3.2.0: refuses 3.2.0", out)
        self.assertIn(f"failed on 3.2.0 ({self.bins['3.2']})", out)

    def test_a_missing_binary_is_reported_and_the_others_run(self):
        missing = os.path.join(self.dir.name, "no-such-haproxy")
        status, out = self.run_case("ok", [missing, self.bins["2.6"]])
        self.assertEqual(status, 0, out)
        self.assertIn(f"SKIP ok on {missing} (HAPROXY_BINS): not an executable haproxy, not run", out)
        self.assertIn("PASS ok on haproxy 2.6.12", out)
        self.assertIn(f"not found: {missing}", out)

    def test_nothing_to_run_on_is_a_skip(self):
        status, out = self.run_case("ok", [os.path.join(self.dir.name, "none")])
        self.assertEqual(status, harness.SKIPPED, out)


if __name__ == "__main__":
    unittest.main()
