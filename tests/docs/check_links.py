#!/usr/bin/env python3
"""Checks every relative link and #anchor in the project's Markdown documentation.

usage: check_links.py ROOT [FILE.md ...]
Without files: ROOT/README.md, ROOT/CONTRIBUTING.md and ROOT/docs/*.md. A link is checked when it is
relative (no scheme): its file or folder must exist, and its #anchor must name a heading (GitHub's slug
rules) or an explicit <a id="..."> / <a name="..."> of the target Markdown file. Links inside code spans
and fenced code blocks are not links. Exit status 1 with one line per broken link: FILE:LINE: LINK: why.
"""
import os
import re
import sys

FENCE = re.compile(r'^\s*(```|~~~)')
HEADING = re.compile(r'^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$')
CODE_SPAN = re.compile(r'(`+)(.+?)\1')
INLINE_LINK = re.compile(r'!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^()\s>]*(?:\([^()\s]*\)[^()\s>]*)*)>?(?:\s+"[^"]*")?\s*\)')
REFERENCE_DEF = re.compile(r'^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$')
HTML_ANCHOR = re.compile(r'<a\s+(?:id|name)="([^"]+)"', re.IGNORECASE)
SCHEME = re.compile(r'^[a-zA-Z][a-zA-Z0-9+.-]*:')


def github_slug(heading_text):
    """The anchor GitHub gives a heading: its rendered text, lower-cased, with everything but letters,
    digits, spaces, '-' and '_' removed and each space turned into '-'."""
    text = CODE_SPAN.sub(lambda m: m.group(2), heading_text)        # `code` keeps its text
    text = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', text)           # [text](url) keeps its text
    text = re.sub(r'<[^>]+>', '', text)                              # inline HTML tags
    text = text.lower()
    text = ''.join(c for c in text if c.isalnum() or c in ' -_')
    return text.replace(' ', '-')


def prose_lines(lines):
    """(line number, text) of the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield number, line


def anchors_of(path, cache={}):
    if path not in cache:
        with open(path, encoding='utf-8') as f:
            lines = f.read().split('\n')
        anchors, seen = set(), {}
        for _, line in prose_lines(lines):
            m = HEADING.match(line)
            if m:
                slug = github_slug(m.group(2))
                n = seen.get(slug, 0)
                seen[slug] = n + 1
                anchors.add(slug if n == 0 else f'{slug}-{n}')
            anchors.update(HTML_ANCHOR.findall(line))
        cache[path] = anchors
    return cache[path]


def links_of(lines):
    """(line number, target) of every link; a link's text may run over several lines."""
    prose = [''] * len(lines)
    for number, line in prose_lines(lines):
        prose[number - 1] = CODE_SPAN.sub(lambda m: ' ' * len(m.group(0)), line)
    text = '\n'.join(prose)
    for m in INLINE_LINK.finditer(text):
        yield text.count('\n', 0, m.start(1)) + 1, m.group(1)
    for number, line in enumerate(prose, 1):
        m = REFERENCE_DEF.match(line)
        if m:
            yield number, m.group(1)


def problems_in(path, root):
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for number, link in links_of(lines):
        if not link or SCHEME.match(link) or link.startswith('//'):
            continue
        target, _, anchor = link.partition('#')
        target_path = os.path.normpath(os.path.join(os.path.dirname(path), target)) if target else path
        where = f'{os.path.relpath(path, root)}:{number}: {link}'
        if not os.path.exists(target_path):
            yield f'{where}: no such file or folder {os.path.relpath(target_path, root)}'
        elif not os.path.realpath(target_path).startswith(os.path.realpath(root) + os.sep):
            yield f'{where}: points outside the repository'
        elif anchor:
            if not target_path.endswith('.md') or os.path.isdir(target_path):
                yield f'{where}: an anchor can only point into a Markdown file'
            elif anchor not in anchors_of(target_path):
                yield f'{where}: no heading or anchor "#{anchor}" in {os.path.relpath(target_path, root)}'


def default_files(root):
    files = [os.path.join(root, name) for name in ('README.md', 'CONTRIBUTING.md')]
    docs = os.path.join(root, 'docs')
    files += sorted(os.path.join(docs, n) for n in os.listdir(docs) if n.endswith('.md'))
    return files


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = os.path.abspath(argv[1])
    files = [os.path.abspath(f) for f in argv[2:]] or default_files(root)
    problems, links = [], 0
    for path in files:
        if not os.path.exists(path):
            problems.append(f'{os.path.relpath(path, root)}: missing')
            continue
        with open(path, encoding='utf-8') as f:
            links += sum(1 for _ in links_of(f.read().split('\n')))
        problems += problems_in(path, root)
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} broken link(s) in {len(files)} file(s)', file=sys.stderr)
        return 1
    print(f'{links} link(s) in {len(files)} file(s): all resolve')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
