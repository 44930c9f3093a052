#!/usr/bin/env python3
"""Tests of check_examples.py on fixtures/examples.md with the real programs (SPOA_BIN, SPOP_CLI_BIN,
SPOP_SIM_BIN): wrong options, output that differs, wrong exit statuses and excerpts that are not in their
file are reported with their line; what is right passes."""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        args = [sys.executable, os.path.join(HERE, 'check_examples.py'), ROOT,
                os.path.join(HERE, 'fixtures', 'examples.md'), '--spoa', os.environ['SPOA_BIN'],
                '--spop-cli', os.environ['SPOP_CLI_BIN'], '--spop-sim', os.environ['SPOP_SIM_BIN']]
        result = subprocess.run(args, capture_output=True, text=True, timeout=300)
        cls.status, cls.out = result.returncode, result.stdout + result.stderr
        cls.problems = [l for l in cls.out.split('\n') if l.startswith('tests/docs/fixtures/examples.md:')]

    def problem_at(self, line):
        return [p for p in self.problems if p.startswith(f'tests/docs/fixtures/examples.md:{line}:')]

    def test_fails_overall(self):
        self.assertEqual(self.status, 1, self.out)
        self.assertIn('4 block(s) run, 2 excerpt(s) compared; 8 problem(s)', self.out)

    def test_unknown_options_are_named(self):
        self.assertEqual(self.problem_at(4), [
            'tests/docs/fixtures/examples.md:4: --bogus is not an option of spop-cli send (see spop-cli send --help)',
            'tests/docs/fixtures/examples.md:4: -q is not an option of spoa (see spoa --help)'])
        self.assertEqual(len(self.problem_at(5)), 1)
        self.assertIn('--nope is not an option of spop-sim conform', self.problem_at(5)[0])
        self.assertEqual(self.problem_at(6) + self.problem_at(7), [])  # not runs of our programs

    def test_output_is_compared_with_numbers_free(self):
        self.assertEqual(self.problem_at(12), [])  # hello: same shape, other port and timings
        self.assertEqual(len(self.problem_at(16)), 1)
        self.assertIn('the output of `spop-cli check -p ', self.problem_at(16)[0])
        self.assertIn('SPOP OK - but something else', self.out)

    def test_exit_status_is_checked(self):
        self.assertEqual(len(self.problem_at(22)), 1)
        self.assertIn('exited with status 2 (expected [0])', self.problem_at(22)[0])
        self.assertEqual(self.problem_at(27), [])  # the note says exit 2
        self.assertEqual(len(self.problem_at(30)), 1)  # a failed --expect exits 1, and nothing says so
        self.assertIn('exited with status 1 (expected [0])', self.problem_at(30)[0])
        self.assertEqual(self.problem_at(32),
                         ['tests/docs/fixtures/examples.md:32: the command before exited with status 1, not 0'])

    def test_spoa_is_run_with_check(self):
        self.assertEqual(self.problem_at(38), [])

    def test_excerpts(self):
        self.assertEqual(self.problem_at(42), [])
        self.assertEqual(self.problem_at(49),
                         ['tests/docs/fixtures/examples.md:49: this block is not a verbatim excerpt of examples/spoa.yaml'])


if __name__ == '__main__':
    unittest.main()
