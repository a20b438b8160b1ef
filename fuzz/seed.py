#!/usr/bin/env python3
"""Builds the seed corpora under fuzz/corpus/ (not in git) from the repository's own files:
fixtures and rule examples for `engine`, rule files for `rules_loader`, pairs of fixture
files for `added_lines`. Run from anywhere: `python3 fuzz/seed.py`."""

import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
# Selector byte of the `engine` target: index into its PATHS table.
SELECT = {"py": 0, ".env": 1, "secret": 3, "key": 4}
CLASSES = {
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "lower": "abcdefghijklmnopqrstuvwxyz",
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "lower_alnum": "abcdefghijklmnopqrstuvwxyz0123456789",
    "upper_alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "base64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "base64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
}


def expand(template, rng):
    """`{{class:len}}` as random characters (`checksummed` without a valid checksum)."""

    def one(m):
        cls, arg = m.group(1).strip(), m.group(2).strip()
        if cls == "checksummed":
            return arg + "".join(rng.choice(CLASSES["alnum"]) for _ in range(36))
        if cls in CLASSES and arg.isdigit():
            return "".join(rng.choice(CLASSES[cls]) for _ in range(int(arg)))
        return m.group(0)

    return re.sub(r"\{\{([^:}]+):([^}]*)\}\}", one, template)


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def selector(path):
    name = path.name
    if name == ".env" or name.startswith(".env."):
        return SELECT[".env"]
    if name.endswith((".yaml", ".yml")):
        return SELECT["secret"]
    if name.endswith((".pem", ".key")) or name.startswith("id_"):
        return SELECT["key"]
    return SELECT["py"]


def main():
    rng = random.Random(6)
    files = sorted(
        p
        for d in ("fixtures/scan", "fixtures/corpus/files")
        for p in (ROOT / d).rglob("*")
        if p.is_file() and p.stat().st_size <= 64 * 1024
    )
    for i, p in enumerate(files):
        write("engine", f"fixture-{i:03}", bytes([selector(p)]) + p.read_bytes())
    rules = sorted((ROOT / "rules").glob("*.yaml"))
    for p in rules:
        text = p.read_text()
        examples = re.findall(r"^\s+- '(.*)'\s*$", text, re.M)
        body = "\n".join(expand(e, rng) for e in examples) + "\n"
        write("engine", f"examples-{p.stem}", b"\0" + body.encode())
        write("rules_loader", f"{p.stem}", text.encode())
        write("rules_loader", f"{p.stem}-alone", b"extend_default: false\n" + text.encode())
    for i, (a, b) in enumerate(zip(files, files[1:])):
        old, new = a.read_bytes()[:2048], b.read_bytes()[:2048]
        cut = max(2, min(254, 255 * len(old) // max(1, len(old) + len(new))))
        write("added_lines", f"pair-{i:03}", bytes([cut]) + old + new)


if __name__ == "__main__":
    main()
