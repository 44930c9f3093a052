#!/usr/bin/env python3
"""Compares each program's --help with its man page, in both directions.

usage: check_man_pages.py PROGRAM MAN_PAGE [SUBCOMMAND ...]

Without subcommands, the options of `PROGRAM --help` must be exactly the options the man page documents.
With subcommands (spop-cli, spop-sim): the subcommands listed by `PROGRAM --help` must be exactly those
given here and those of the man page's COMMANDS section, and for each one the options of
`PROGRAM SUB --help` must be exactly those the man page documents for it.

In --help (TCLAP's layout) an option is a line of the "Where:" list: `   -p <PORT>,  --port <PORT>`.
In the man page an option is the tag of a `.TP` entry (`.BR \\-p ", " \\-\\-port " \\fIport\\fR"`) that
follows a comment `.\\" options: NAME ...`, up to the next `.SH`; NAME is the program (no subcommands)
or the subcommands the block belongs to. Exit status 1 with one line per difference.
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r'(?<![\w-])(--?[A-Za-z][\w-]*)')
HELP_OPTION_LINE = re.compile(r'^ {3}(-[\w-].*)$')
HELP_COMMAND_LINE = re.compile(r'^ {2}([a-z][\w-]*) {2,}\S')
MARKER = re.compile(r'^\.\\"\s*options:\s*(.+)$')
IGNORED = {'--', '--ignore_rest'}


def run_help(args):
    result = subprocess.run(args + ['--help'], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f'{" ".join(args)} --help exited with status {result.returncode}:\n{result.stderr}')
    return result.stdout


def help_options(text):
    """The options of TCLAP's "Where:" list."""
    options, listing = set(), False
    for line in text.split('\n'):
        if line.strip() == 'Where:':
            listing = True
            continue
        if not listing:
            continue
        m = HELP_OPTION_LINE.match(line)
        if m:
            # "-p <PORT>,  --port <PORT>": the names before each value placeholder
            names = re.sub(r'<[^>]*>', '', m.group(1)).split('(accepted')[0]
            options.update(o for o in OPTION.findall(names) if o not in IGNORED)
    return options


def help_commands(text):
    """The subcommands a top-level --help lists: `  name   description` lines."""
    return {m.group(1) for m in map(HELP_COMMAND_LINE.match, text.split('\n')) if m}


def man_text(line):
    """A roff line as plain text: escapes and font changes removed."""
    line = line.replace('\\-', '-').replace('\\e', '\\')
    line = re.sub(r'\\f[BIRP]', '', line)
    return line.replace('"', ' ')


def man_sections(path):
    """(options by block name, commands of the COMMANDS section)."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    options, commands = {}, set()
    owners, section, tag_next = None, None, False
    for line in lines:
        m = MARKER.match(line)
        if m:
            owners = m.group(1).split()
            continue
        if line.startswith('.SH'):
            section = man_text(line[3:]).strip().upper()
            owners = None
            continue
        if line.startswith('.TP'):
            tag_next = True
            continue
        if tag_next:
            tag_next = False
            text = man_text(re.sub(r'^\.(B|I|BR|BI|IR|RB|IB|RI)\s', '', line))
            if section == 'COMMANDS':
                commands.update(text.split()[:1])
            elif owners:
                found = [o for o in OPTION.findall(text) if o not in IGNORED]
                for owner in owners:
                    options.setdefault(owner, set()).update(found)
    return options, commands


def compare(what, from_help, from_man, man_path):
    problems = []
    for o in sorted(from_help - from_man):
        problems.append(f'{what}: {o} is in --help but not in {man_path}')
    for o in sorted(from_man - from_help):
        problems.append(f'{what}: {o} is in {man_path} but not in --help')
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    program, man_path, subcommands = argv[1], argv[2], argv[3:]
    name = os.path.basename(program)
    options, man_commands = man_sections(man_path)
    man_name = os.path.basename(man_path)
    problems, checked = [], 0
    if not subcommands:
        from_help = help_options(run_help([program]))
        if len(from_help) < 3:
            problems.append(f'{name} --help: found only {sorted(from_help)}: is it still in TCLAP\'s layout?')
        problems += compare(name, from_help, options.get(name, set()), man_name)
        checked = len(from_help)
    else:
        listed = help_commands(run_help([program]))
        problems += compare(f'{name} --help (subcommands)', listed, set(subcommands), 'this test\'s list')
        problems += compare(f'{name} (subcommands)', listed, man_commands, man_name)
        for sub in subcommands:
            from_help = help_options(run_help([program, sub]))
            if len(from_help) < 3:
                problems.append(f'{name} {sub} --help: found only {sorted(from_help)}')
            problems += compare(f'{name} {sub}', from_help, options.get(sub, set()), man_name)
            checked += len(from_help)
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f'{name}: {checked} option(s) of --help{" in " + str(len(subcommands)) + " subcommand(s)" if subcommands else ""}'
          f' match {man_name}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
