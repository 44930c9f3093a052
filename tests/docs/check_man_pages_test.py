#!/usr/bin/env python3
"""Unit tests of check_man_pages.py against a fake program and man pages written here: a missing or an
extra option or subcommand, in either direction, is reported."""
import contextlib
import io
import os
import stat
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_man_pages  # noqa: E402

FAKE = '''#!/usr/bin/env python3
import sys
args = [a for a in sys.argv[1:] if a != '--help']
if not args:
    print("usage: fake <command> [options]\\n\\ncommands:\\n  run       do it\\n  list      show it\\n")
else:
    print("\\nUSAGE:\\n\\n   fake %s  [-p <PORT>] [--json]\\n\\n\\nWhere:\\n\\n"
          "   -p <PORT>,  --port <PORT>\\n     the port\\n\\n"
          "   --only <ID>  (accepted multiple times)\\n     a check\\n\\n"
          "   --json\\n     print JSON\\n\\n   --,  --ignore_rest\\n     Ignores the rest\\n\\n"
          "   --version\\n     version\\n\\n   -h,  --help\\n     usage\\n" % args[0])
'''

MAN = r'''.TH FAKE 1
.SH COMMANDS
.TP
.B run
Do it.
.TP
.B list
Show it.
.SH OPTIONS
.\" options: run list
.TP
.BR \-p ", " \-\-port " \fIport\fR"
The port.
.TP
.BI \-\-only " id"
A check, like \-\-json below (prose is not an option).
.TP
.B \-\-json
JSON.
.TP
.BR \-h ", " \-\-help
Usage.
.TP
.B \-\-version
Version.
.SH "EXIT STATUS"
.TP
.B 0
Fine, unlike \-\-nothing.
'''


class ManPages(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.program = os.path.join(self.dir.name, 'fake')
        with open(self.program, 'w') as f:
            f.write(FAKE)
        os.chmod(self.program, os.stat(self.program).st_mode | stat.S_IXUSR)
        self.man = os.path.join(self.dir.name, 'fake.1')

    def tearDown(self):
        self.dir.cleanup()

    def run_check(self, man_text, *subcommands):
        with open(self.man, 'w') as f:
            f.write(man_text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check_man_pages.main(['x', self.program, self.man, *subcommands])
        return status, out.getvalue()

    def test_matching_page_passes(self):
        status, out = self.run_check(MAN, 'run', 'list')
        self.assertEqual(status, 0, out)
        self.assertIn('fake: 14 option(s) of --help in 2 subcommand(s) match fake.1', out)

    def test_option_missing_from_the_page(self):
        status, out = self.run_check(MAN.replace('.TP\n.B \\-\\-json\nJSON.\n', ''), 'run', 'list')
        self.assertEqual(status, 1)
        self.assertIn('fake run: --json is in --help but not in fake.1', out)
        self.assertIn('fake list: --json is in --help but not in fake.1', out)

    def test_option_only_in_the_page(self):
        status, out = self.run_check(MAN.replace('.B \\-\\-json\n', '.BR \\-\\-json ", " \\-\\-yaml\n'), 'run')
        self.assertEqual(status, 1)
        self.assertIn('fake run: --yaml is in fake.1 but not in --help', out)

    def test_block_belongs_only_to_its_commands(self):
        status, out = self.run_check(MAN.replace('options: run list', 'options: run'), 'run', 'list')
        self.assertEqual(status, 1)
        self.assertIn('fake list: --port is in --help but not in fake.1', out)

    def test_subcommands_both_ways(self):
        status, out = self.run_check(MAN.replace('.TP\n.B list\nShow it.\n', ''), 'run', 'list')
        self.assertIn('fake (subcommands): list is in --help but not in fake.1', out)
        status, out = self.run_check(MAN, 'run')
        self.assertEqual(status, 1)
        self.assertIn("list is in --help but not in this test's list", out)

    def test_help_parsing(self):
        text = ('Where:\n\n   -a <NAME=TYPE:VALUE>,  --arg <NAME=TYPE:VALUE>  (accepted multiple\n      times)\n'
                '     an argument, see --msg\n   --,  --ignore_rest\n     x\n   <HEX>  (accepted multiple times)\n')
        self.assertEqual(check_man_pages.help_options(text), {'-a', '--arg'})


if __name__ == '__main__':
    unittest.main()
