#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets into OUT/<target>/ from the repository's own material:
the HAProxy captures (tests/captures/), the golden frames of the unit tests (tests/spop/golden_frames.hpp),
frames from `spop-cli encode` (files given with --cli-frames DIR), example configs and scenarios.
Merge them into corpus/<target>/ with libFuzzer's -merge=1 (scripts/fuzz.sh does this for new finds).

Usage: scripts/fuzz-seeds.py OUT [--cli-frames DIR]
"""
import argparse
import hashlib
import pathlib
import re
import struct

ROOT = pathlib.Path(__file__).resolve().parent.parent
CAPTURES = [ROOT / "tests/captures/haproxy-2.6", ROOT / "tests/captures/haproxy-3.2"]


def write(out: pathlib.Path, target: str, data: bytes) -> None:
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def golden_frames() -> dict:
    """name -> bytes for every hex constant of golden_frames.hpp."""
    text = (ROOT / "tests/spop/golden_frames.hpp").read_text()
    frames = {}
    for m in re.finditer(r"inline constexpr std::string_view (\w+) =\s*((?:\"[^\"]*\"\s*(?://[^\n]*)?\s*)+);", text):
        hexdigits = "".join(re.findall(r"\"([^\"]*)\"", m.group(2)))
        hexdigits = re.sub(r"[^0-9a-fA-F]", "", hexdigits)
        if hexdigits and len(hexdigits) % 2 == 0:
            frames[m.group(1)] = bytes.fromhex(hexdigits)
    return frames


def captures() -> dict:
    frames = {}
    for d in CAPTURES:
        for f in sorted(d.glob("*.bin")):
            frames[f"{d.name}/{f.stem}"] = f.read_bytes()
    return frames


def pcapng_packets(path: pathlib.Path):
    """(link type, packet bytes) of every Enhanced Packet Block of a little-endian pcapng file."""
    data = path.read_bytes()
    links, at = [], 0
    while at + 12 <= len(data):
        block_type, length = struct.unpack_from("<II", data, at)
        if length < 12 or at + length > len(data):
            break
        if block_type == 1:  # Interface Description Block
            links.append(struct.unpack_from("<H", data, at + 8)[0])
        elif block_type == 6:  # Enhanced Packet Block
            interface, _, _, captured = struct.unpack_from("<IIII", data, at + 8)
            yield links[interface], data[at + 28:at + 28 + captured]
        at += length


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--cli-frames", type=pathlib.Path)
    args = ap.parse_args()
    frames = {**golden_frames(), **captures()}
    if args.cli_frames:
        for f in sorted(args.cli_frames.glob("*.bin")):
            frames[f"cli/{f.stem}"] = f.read_bytes()

    def kind(data: bytes) -> int:
        return data[4] if len(data) > 4 else -1

    haproxy_side = {k: v for k, v in frames.items() if kind(v) in (0, 1, 2, 3)}
    agent_side = {k: v for k, v in frames.items() if kind(v) in (101, 102, 103)}

    for data in frames.values():
        write(args.out, "frame_decode", data)

    # agent_session: whole HAProxy streams (a 0 first byte selects stream mode).
    hellos = [v for k, v in haproxy_side.items() if kind(v) == 1]
    notifies = [v for k, v in haproxy_side.items() if kind(v) == 3]
    disconnects = [v for k, v in haproxy_side.items() if kind(v) == 2]
    for h in hellos:
        write(args.out, "agent_session", h)
        write(args.out, "agent_session", h + b"".join(notifies) + b"".join(disconnects))
        for n in notifies:
            write(args.out, "agent_session", h + n + n)

    # haproxy_session: whole agent streams.
    ahellos = [v for v in agent_side.values() if kind(v) == 101]
    acks = [v for v in agent_side.values() if kind(v) == 103]
    adisc = [v for v in agent_side.values() if kind(v) == 102]
    for h in ahellos:
        write(args.out, "haproxy_session", h)
        write(args.out, "haproxy_session", h + b"".join(acks) + b"".join(adisc))
        for a in acks:
            write(args.out, "haproxy_session", h + a)

    # spoe_config: a reader byte ('S' SPOE, 'H' haproxy.cfg, 'Y' scenario), an options byte, the text.
    confs = sorted((ROOT / "tests/captures/haproxy-2.6/config").glob("*")) + sorted((ROOT / "examples").glob("*"))
    confs += sorted((ROOT / "tests/simulator").rglob("*.yaml")) + sorted((ROOT / "simulator").rglob("*.yaml"))
    for f in confs:
        name, text = f.name, f.read_bytes()
        if name.startswith("spoe") or name.endswith(".conf"):
            for opts in range(4):  # engine none / spoe-test / iprep / x
                write(args.out, "spoe_config", b"S" + bytes([opts]) + text)
        elif name.endswith(".cfg"):
            write(args.out, "spoe_config", b"H\0" + text)
        elif name.endswith((".yaml", ".yml")):
            write(args.out, "spoe_config", b"Y\0" + text)

    # ... and the texts the simulator's unit tests read (raw string literals).
    for test, kind in (("spoe_config_test", b"S"), ("spoe_config_errors_test", b"S"), ("haproxy_config_test", b"H"),
                       ("scenario_test", b"Y")):
        src = (ROOT / "tests/simulator" / (test + ".cpp")).read_text()
        for m in re.finditer(r'R"\((.*?)\)"', src, re.S):
            write(args.out, "spoe_config", kind + b"\0" + m.group(1).encode())
        # runs of adjacent "..." literals spanning lines: "spoe-agent a\n" "    messages m\n" ...
        for m in re.finditer(r'((?:"(?:[^"\\\n]|\\.)*"\s*){2,})', src):
            parts = re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(1))
            text = "".join(parts).encode().decode("unicode_escape").encode("latin-1")
            if b"\n" in text:
                write(args.out, "spoe_config", kind + b"\0" + text)

    # cli_decode: streams as they are, hex text ('X'), captured packets ('P': link type index, flags,
    # then 2-byte lengths and packets; see fuzz/fuzz_cli_decode.cpp).
    links = {1: 0, 113: 1, 276: 2, 0: 3, 108: 4, 12: 5, 228: 6, 229: 7}
    for data in frames.values():
        write(args.out, "cli_decode", data)
    for d in CAPTURES:
        for f in sorted(d.glob("*.hex")):
            write(args.out, "cli_decode", b"X" + f.read_bytes())
        for f in sorted(d.glob("*.pcap*")):
            packets = list(pcapng_packets(f))
            for link in sorted({lt for lt, _ in packets if lt in links}):
                body = b"".join(struct.pack(">H", len(p)) + p for lt, p in packets if lt == link)
                for flags in (0, 2, 4):
                    write(args.out, "cli_decode", b"P" + bytes([links[link], flags]) + body)
    write(args.out, "cli_decode", b"T" + bytes(range(256)))

    # lua_engine / python_engine / php_engine: the NOTIFY payloads (a 0 first byte: replay as a NOTIFY frame).
    for n in notifies:
        write(args.out, "lua_engine", n)
        write(args.out, "python_engine", n)
        write(args.out, "php_engine", n)

    # redis_reply: a chunking byte, then replies as the Redis store receives them: the literals the unit
    # tests parse (tests/state/resp_test.cpp, redis_commands_test.cpp), one input per test line.
    for test in ("resp_test.cpp", "redis_commands_test.cpp"):
        text = (ROOT / "tests/state" / test).read_text()
        for i, line in enumerate(text.splitlines()):
            literals = re.findall(r'"((?:[^"\\\n]|\\.)*\\r\\n)"', line)
            if literals:
                data = "".join(literals).encode().decode("unicode_escape").encode("latin-1")
                write(args.out, "redis_reply", bytes([i % 256]) + data)


if __name__ == "__main__":
    main()
