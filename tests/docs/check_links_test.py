#!/usr/bin/env python3
"""Unit tests of check_links.py: GitHub's anchor slugs, and that broken links are found and named."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_links  # noqa: E402


class Slugs(unittest.TestCase):
    def test_github_rules(self):
        cases = {
            'Metrics (`--metrics-address`)': 'metrics---metrics-address',
            'Shared state between handlers and agents (`spoa.state_*`)':
                'shared-state-between-handlers-and-agents-spoastate_',
            'spop-cli send': 'spop-cli-send',
            'Checking a configuration: `--check`': 'checking-a-configuration---check',
            'The echo message: `spop-conformance-echo`': 'the-echo-message-spop-conformance-echo',
            'Lua scripts (`-f script.lua`, `-f script.luac`)': 'lua-scripts--f-scriptlua--f-scriptluac',
            'See [the agent](agent.md) now': 'see-the-agent-now',
            'Überblick & Ärger': 'überblick--ärger',
        }
        for heading, slug in cases.items():
            self.assertEqual(check_links.github_slug(heading), slug, heading)


class Links(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = self.dir.name
        os.mkdir(os.path.join(self.root, 'docs'))
        self.write('docs/target.md', '# Target\n\n## Same\n\n## Same\n\n<a id="explicit"></a>\n'
                                     '```\n## Not a heading\n```\n')
        self.write('docs/file.txt', 'x\n')

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text):
        with open(os.path.join(self.root, name), 'w', encoding='utf-8') as f:
            f.write(text)

    def problems(self, text):
        self.write('docs/page.md', text)
        return list(check_links.problems_in(os.path.join(self.root, 'docs/page.md'), self.root))

    def test_good_links_pass(self):
        self.assertEqual(self.problems(
            '# Page\n[a](target.md) [b](target.md#same) [c](target.md#same-1) [d](target.md#explicit)\n'
            '[e](#page) [f](file.txt) [g](../docs/) [h](https://example.com/x#y) [i](mailto:a@b)\n'
            '[ref]: target.md#target\n'), [])

    def test_broken_file_is_named_with_its_line(self):
        found = self.problems('# Page\n\ntext [x](missing.md) more\n')
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith('docs/page.md:3: missing.md: no such file'), found[0])

    def test_broken_anchors(self):
        found = self.problems('# Page\n[a](target.md#nope)\n[b](#nope)\n[c](target.md#same-2)\n'
                              '[d](target.md#not-a-heading)\n[e](file.txt#x)\n')
        self.assertEqual([p.split(':')[1] for p in found], ['2', '3', '4', '5', '6'], found)
        self.assertIn('no heading or anchor "#nope" in docs/target.md', found[0])
        self.assertIn('can only point into a Markdown file', found[4])

    def test_link_text_over_two_lines(self):
        found = self.problems('# Page\nsee [the\nmissing page](missing.md#x) and [the\ntarget](target.md)\n')
        self.assertEqual(len(found), 1)
        self.assertTrue(found[0].startswith('docs/page.md:3: missing.md#x: no such file'), found[0])

    def test_code_is_not_a_link(self):
        self.assertEqual(self.problems('# Page\n`[a](missing.md)`\n```\n[b](missing.md)\n```\n'), [])

    def test_links_outside_the_repository_are_refused(self):
        found = self.problems('[a](../../../../../../etc/passwd)\n')
        self.assertEqual(len(found), 1)

    def test_main_fails_and_counts(self):
        self.write('README.md', '[a](docs/nope.md)\n')
        self.write('CONTRIBUTING.md', '[b](README.md)\n')
        self.write('docs/page.md', '[c](target.md)\n')
        self.assertEqual(check_links.main(['x', self.root]), 1)
        self.write('README.md', '[a](docs/page.md)\n')
        self.assertEqual(check_links.main(['x', self.root]), 0)


if __name__ == '__main__':
    unittest.main()
