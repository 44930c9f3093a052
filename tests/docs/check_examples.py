#!/usr/bin/env python3
"""Checks the command examples of the documentation (README.md, CONTRIBUTING.md, docs/*.md).

usage: check_examples.py ROOT --spoa PATH [--spop-cli PATH] [--spop-sim PATH] [FILE.md ...]

1. Every command of every shell code block that runs spoa, spop-cli or spop-sim may only use options that
   the program's (or the subcommand's) --help lists.
2. A code block preceded by `<!-- doc-test ... -->` is run, in a scratch folder where the repository's
   top-level entries are visible, with the programs on PATH, against a spoa this script starts on a free
   port (`agent=SCRIPT` picks its script, default examples/ps_lua.lua): `12345` in a command is replaced
   by that port, and spop-cli send/hello/check and spop-sim run/conform get `-p PORT` when they name no
   port or socket. A spoa command is run with --check. Each command must exit with status 0 (or one of
   `exit=A,B`). In a block of `$ ` lines, each command's output (stdout and stderr) must match the lines
   shown below it, where every number may differ, runs of spaces count as one, `...` stands for any lines
   and a trailing note after two spaces, such as `(stderr, exit 2)`, is ignored; an exit status in such a
   note is the one that command must exit with, and `$ echo $?` shows the status of the command before.
3. A code block preceded by `<!-- doc-file: PATH -->` must appear, line for line, in the file PATH.
Exit status 1 with one line per problem: FILE:LINE: what.
"""
import argparse
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_man_pages  # noqa: E402  (TCLAP's --help layout is read in one place)

PROGRAMS = ('spoa', 'spop-cli', 'spop-sim')
SUBCOMMANDS = {'spop-cli': ('send', 'hello', 'check', 'decode', 'encode'), 'spop-sim': ('run', 'replay', 'conform')}
NEEDS_AGENT = {('spop-cli', 'send'), ('spop-cli', 'hello'), ('spop-cli', 'check'),
               ('spop-sim', 'run'), ('spop-sim', 'replay'), ('spop-sim', 'conform')}
PORT_OPTIONS = {'-p', '--port', '-u', '--unix'}
SHELL_INFO = {'', 'sh', 'shell', 'bash', 'console'}
FENCE = re.compile(r'^(\s*)(```+|~~~+)\s*([\w+-]*)')
MARKER = re.compile(r'^<!--\s*doc-(test|file)\b:?\s*(.*?)\s*-->\s*$')
NUMBER = re.compile(r'\d+(?:[.,]\d+)*')
TRAILING_NOTE = re.compile(r'\s{2,}\([^()]*\)\s*$')
NOTED_EXIT = re.compile(r'\s{2,}\([^()]*\bexit(?: status)? (\d+)[^()]*\)\s*$')
SEPARATORS = {'|', '||', '&&', ';', '&', '(', ')', '<', '>', '>>', '<<', '|&', '2>', '2>>', '&>'}
TIMEOUT = 120  # seconds: a hang guard, not a speed requirement


class Block:
    def __init__(self, path, line, info, lines, marker):
        self.path, self.line, self.info, self.lines, self.marker = path, line, info, lines, marker


def code_blocks(path):
    """Every fenced code block of a Markdown file, with the marker comment just before it, if any."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m.group(2), m.group(3).lower(), i
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence[:3]):
            j += 1
        k = start - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        marker = MARKER.match(lines[k].strip()) if k >= 0 else None
        blocks.append(Block(path, start + 1, info, lines[start + 1:j], marker))
        i = j + 1
    return blocks


def commands_of(block):
    """[(line number, command text, expected output lines or None)] of a shell block."""
    session = any(l.startswith('$ ') for l in block.lines)
    out, current, expected, first = [], None, None, 0
    for n, line in enumerate(block.lines, block.line + 1):
        if session and not line.startswith('$ ') and current is None:
            if out and expected is not None:
                expected.append(line)
            continue
        text = line[2:] if session and line.startswith('$ ') else line
        if current is None:
            current, first = '', n
        if text.rstrip().endswith('\\'):
            current += text.rstrip()[:-1] + ' '
            continue
        current += text
        expected = [] if session else None
        out.append((first, current.strip(), expected))
        current = None
    return [c for c in out if c[1]]


def shell_words(command):
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = '#'
    return list(lexer)


def invocations(command):
    """(program, subcommand or None, [option tokens]) for each spoa/spop-cli/spop-sim run in a command."""
    try:
        words = shell_words(command)
    except ValueError:
        return []
    found, i = [], 0
    while i < len(words):
        name = os.path.basename(words[i])
        before = words[i - 1] if i else ''
        if name in PROGRAMS and not (before.startswith('-') and before not in SEPARATORS):
            j = i + 1
            args = []
            while j < len(words) and words[j] not in SEPARATORS:
                args.append(words[j].strip('[]').rstrip('.'))
                j += 1
            sub = None
            if name in SUBCOMMANDS:
                first = next((a for a in args if not a.startswith('-')), None)
                if first in SUBCOMMANDS[name]:
                    sub = first
                elif any(not a.startswith('-') for a in args[:1]):
                    i = j  # a placeholder (<subcommand>) or program output ("spop-cli send: ...")
                    continue
            options = [a.split('=', 1)[0] for a in args
                       if a.startswith('-') and len(a) > 1 and not re.match(r'^-\d', a)]
            found.append((name, sub, options))
            i = j
        else:
            i += 1
    return found


def help_options(binaries, program, sub, cache={}):
    key = (program, sub)
    if key not in cache:
        if program in SUBCOMMANDS and sub is None:
            cache[key] = {'-h', '--help', '--version'}
        else:
            args = [binaries[program]] + ([sub] if sub else []) + ['--help']
            text = subprocess.run(args, capture_output=True, text=True, timeout=60).stdout
            cache[key] = check_man_pages.help_options(text)
    return cache[key]


def normalized(line):
    line = TRAILING_NOTE.sub('', line)
    return ' '.join(NUMBER.sub('#', line).split())


def output_matches(expected, actual):
    """Glob-like match of lines: `...` matches any run of lines (empty lines are ignored on both sides)."""
    exp = [normalized(l) for l in expected if l.strip()]
    act = [normalized(l) for l in actual if l.strip()]
    memo = {}

    def match(i, j):
        if (i, j) not in memo:
            if i == len(exp):
                memo[(i, j)] = j == len(act)
            elif exp[i] == '...':
                memo[(i, j)] = any(match(i + 1, k) for k in range(j, len(act) + 1))
            else:
                memo[(i, j)] = j < len(act) and exp[i] == act[j] and match(i + 1, j + 1)
        return memo[(i, j)]
    return match(0, 0)


class Agent:
    """A spoa on a free loopback port, started on first use and stopped at the end."""

    def __init__(self, binary, script, root, scratch):
        self.binary, self.script, self.root, self.scratch = binary, script, root, scratch
        self.proc, self.port = None, None

    def start(self):
        if self.proc:
            return self.port
        tag = re.sub(r'\W', '_', self.script)
        ready = os.path.join(self.scratch, f'ready-{tag}')
        self.log = open(os.path.join(self.scratch, f'spoa-{tag}.log'), 'w')
        self.proc = subprocess.Popen(
            [self.binary, '-n', '1', '-p', '0', '--address', '127.0.0.1', '--ready-file', ready,
             '-f', os.path.join(self.root, self.script)],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f'spoa -f {self.script} did not become ready (see {self.log.name})')
            time.sleep(0.02)
        with open(ready) as f:
            self.port = int(f.read().split()[1])
        return self.port

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def with_port(command, port):
    """The command pointed at the test's agent (see the module's doc)."""
    command = command.replace('12345', str(port))
    for program, sub, options in invocations(command):
        if (program, sub) in NEEDS_AGENT and not PORT_OPTIONS & set(options):
            command = re.sub(rf'(^|[\s/]){re.escape(program)} +{sub}\b',
                             lambda m: f'{m.group(0)} -p {port}', command, count=1)
    return command


def without_comment(command):
    """The command without a trailing shell comment (a `#` that starts a word outside quotes)."""
    quote = None
    for i, c in enumerate(command):
        if quote:
            if c == quote:
                quote = None
        elif c in '\'"':
            quote = c
        elif c == '#' and (i == 0 or command[i - 1].isspace()):
            return command[:i].rstrip()
    return command


def run_shell(command, cwd, env):
    """(status, output) of `bash -c command`; its whole process group is killed after TIMEOUT."""
    proc = subprocess.Popen(['bash', '-c', 'set -o pipefail; ' + command], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return None, ''


def run_block(block, binaries, agents, scratch, root):
    problems = []
    options = dict(re.findall(r'(\w+)=(\S+)', block.marker.group(2)))
    allowed = {int(s) for s in options.get('exit', '0').split(',')}
    script = options.get('agent', 'examples/ps_lua.lua')
    env = dict(os.environ)
    env['PATH'] = os.pathsep.join(os.path.dirname(b) for b in binaries.values()) + os.pathsep + env['PATH']
    last_status = None
    for number, command, expected in commands_of(block):
        where = f'{os.path.relpath(block.path, root)}:{number}'
        if command == 'echo $?':  # the status of the command before, as shown
            shown = ' '.join(expected or []).strip()
            if last_status is not None and shown != str(last_status):
                problems.append(f'{where}: the command before exited with status {last_status}, not {shown}')
            continue
        noted = [int(m.group(1)) for l in (expected or []) for m in [NOTED_EXIT.search(l)] if m]
        allowed_here = set(noted) or allowed
        command = without_comment(command)
        calls = invocations(command)
        if calls and calls[0][0] == 'spoa' and '--check' not in calls[0][2]:
            command = command.rstrip('& ') + ' --check'  # also a spoa started in the background
        if any((p, s) in NEEDS_AGENT for p, s, _ in calls):
            key = script
            if key not in agents:
                agents[key] = Agent(binaries['spoa'], script, root, scratch)
            command = with_port(command, agents[key].start())
        status, output = run_shell(command, scratch, env)
        if status is None:
            problems.append(f'{where}: `{command}` did not finish within {TIMEOUT} s')
            continue
        last_status = status
        if status not in allowed_here:
            problems.append(f'{where}: `{command}` exited with status {status} '
                            f'(expected {sorted(allowed_here)}):\n{output}')
        elif expected is not None and not output_matches(expected, output.split('\n')):
            problems.append(f'{where}: the output of `{command}` differs from the one shown:\n'
                            + '--- shown\n' + '\n'.join(expected) + '\n--- actual\n' + output)
    return problems


def check_file_block(block, root):
    target = os.path.join(root, block.marker.group(2))
    where = f'{os.path.relpath(block.path, root)}:{block.line}'
    if not os.path.exists(target):
        return [f'{where}: doc-file {block.marker.group(2)} does not exist']
    with open(target, encoding='utf-8') as f:
        text = [l.rstrip() for l in f.read().split('\n')]
    shown = [l.rstrip() for l in block.lines]
    for start in range(len(text) - len(shown) + 1):
        if text[start:start + len(shown)] == shown:
            return []
    return [f'{where}: this block is not a verbatim excerpt of {block.marker.group(2)}']


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root')
    parser.add_argument('files', nargs='*')
    for p in PROGRAMS:
        parser.add_argument('--' + p, dest=p.replace('-', '_'))
    args = parser.parse_args(argv[1:])
    root = os.path.abspath(args.root)
    binaries = {p: os.path.abspath(getattr(args, p.replace('-', '_'))) for p in PROGRAMS
                if getattr(args, p.replace('-', '_'))}
    if 'spoa' not in binaries:
        parser.error('--spoa is required')
    files = [os.path.abspath(f) for f in args.files] or (
        [os.path.join(root, 'README.md'), os.path.join(root, 'CONTRIBUTING.md')]
        + sorted(os.path.join(root, 'docs', n) for n in os.listdir(os.path.join(root, 'docs')) if n.endswith('.md')))

    problems, checked, ran, excerpts = [], 0, 0, 0
    scratch = tempfile.mkdtemp(prefix='doc-examples-')
    for entry in os.listdir(root):
        if entry not in ('build', '.git'):
            os.symlink(os.path.join(root, entry), os.path.join(scratch, entry))
    agents = {}
    try:
        for path in files:
            for block in code_blocks(path):
                if block.marker and block.marker.group(1) == 'file':
                    problems += check_file_block(block, root)
                    excerpts += 1
                    continue
                if block.info not in SHELL_INFO:
                    continue
                for number, command, _ in commands_of(block):
                    for program, sub, options in invocations(command):
                        if program not in binaries:
                            continue
                        known = help_options(binaries, program, sub)
                        checked += 1
                        for o in options:
                            if o not in known:
                                name = program + (' ' + sub if sub else '')
                                problems.append(f'{os.path.relpath(path, root)}:{number}: {o} is not an option '
                                                f'of {name} (see {name} --help)')
                if block.marker and block.marker.group(1) == 'test':
                    problems += run_block(block, binaries, agents, scratch, root)
                    ran += 1
    finally:
        for agent in agents.values():
            agent.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    for p in problems:
        print(p)
    print(f'{checked} command(s) checked against --help, {ran} block(s) run, {excerpts} excerpt(s) compared; '
          f'{len(problems)} problem(s)')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
