#!/usr/bin/env python3
"""Golden files for PrepJSON's Python rendering and strictness.

Regenerate with (from the repository root):
    /work/main/.venv/bin/python scripts/json/make_repr_golden.py

Writes
  fixtures/json/repr_golden.jsonl   one line per case: {"json": <input text>, "str": f"{json.loads(text)}"},
                                    {"json": <input text>, "error": true} when json.loads rejects it, or
                                    {"json": <input text>, "lone_surrogate": true} when it accepts a lone
                                    surrogate escape (only acceptance is compared)
  fixtures/json/nonprintable.txt    ranges "START END" (hex, inclusive) of code points whose
                                    str.isprintable() is False, for this Python's Unicode version
The Swift tests (Tests/PrepJSONTests) compare against both; Python is never needed to run them.
"""
import json
import random
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "json"

cases = []

strings = [
    "", "plain", "it's", 'say "hi"', "both ' and \"", "back\\slash", "tab\there", "new\nline", "cr\rret",
    "nul\u0000", "\u0001\u001f", "del\u007f", "\u0080\u009f", "nbsp\u00a0", "shy\u00ad", "zwsp\u200b",
    "ls\u2028ps\u2029", "ideo\u3000space", "pua\ue000", "nonchar\uffff", "max\U0010ffff", "emoji😀👍🏽",
    "中文,类型选型:新闻", "한국어", "e\u0301", "\u0301start", "bom\ufeff", "rlm\u200f", "soft\u00ad",
    "u15\U0001fae8", "cjkH\U00031350", "u14\U0001f6dd", "greek Ω", "arabic \u0600\u061c",
    "mongolian\u180e", "tag\U000e0001", "variation\ufe0f", "ogham\u1680space", "latin1 \u00e9\u00ff",
    "\\'\"", "'", '"', "''\"", "trailing\\", "sp ace", "\u0085nel", "\u2066isolate\u2069",
    "\U0001d400math", "\u0378unassigned", "\u08a0arabic", "\u3164hangul filler", "\u115f\u1160",
    "\ufff9anchor", "\U0001bca0", "\U000f0000plane15", "\U00100000plane16",
]
for s in strings:
    text = json.dumps(s, ensure_ascii=True)
    cases.append(text)
    cases.append(json.dumps([s, s + "'"], ensure_ascii=False))
    cases.append(json.dumps({s: s}, ensure_ascii=True))

numbers = [
    "0", "-0", "1", "-1", "42", "123456789012345678901234567890", "-98765432109876543210", "1.0", "-1.0",
    "0.0", "-0.0", "1e5", "1E5", "1e+5", "1e-5", "1e16", "1e15", "1.5e16", "9999999999999998", "1e17",
    "0.0001", "0.00001", "0.1", "0.30000000000000004", "100.0", "2.5", "1e22", "1e-7", "1e400", "-1e400",
    "5e-324", "2e-324", "1.7976931348623157e308", "NaN", "Infinity", "-Infinity", "12345678901234567",
    "1.2345678901234567e-5", "123456789012345678.0", "0.000123", "1234567890123456.7", "12345678901234567.8",
    "3.14159", "-2.5e-10", "6.02214076e23", "1E-4", "1e-4", "0e0", "-0e5", "0.5e1", "100000000000000000000.0",
]
for n in numbers:
    cases.append(n)
    cases.append("[" + n + "]")
    cases.append('{"n": ' + n + "}")

rng = random.Random(20261123)
for _ in range(400):
    kind = rng.randrange(4)
    if kind == 0:
        x = rng.uniform(-1e6, 1e6)
    elif kind == 1:
        x = rng.random() * 10 ** rng.randrange(-30, 30)
    elif kind == 2:
        x = float(rng.randrange(-10**9, 10**9)) / 10 ** rng.randrange(0, 12)
    else:
        import struct
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
    cases.append(json.dumps(x))

structures = [
    "null", "true", "false", "[]", "{}", "[[]]", "[{}]", '{"a": {}}', "[null, true, false]",
    '{"a": 1, "b": [1, 2.0, "x"], "c": {"d": null}}', '{"a": 1, "a": 2}', '{"a": 1, "b": 2, "a": 3}',
    '["Children\'s Books", "Art"]', '[["nested", ["deep"]], {"k": ["v"]}]', '{"": ""}', '{"1": 1, "2": [2]}',
    '{"x": "it\'s", "y": "say \\"hi\\""}', '[1, -0, 0.0, -0.0, 1e5]', ' [ 1 , 2 ] ', '\t{"a" :\n1}\r\n',
    '"\\ud83d\\ude00"', '"\\u00e9\\u0041\\/"', '"\\b\\f\\n\\r\\t"', '{"k\\u00e9y": "v"}', '[" ", "\\u0020"]',
]
cases.extend(structures)

invalid = [
    "", " ", "[", "]", "{", "[1,]", "[,1]", '{"a":1,}', "{'a': 1}", "007", "01", "-", "1.", ".5", "1e", "1e+",
    "+1", "-NaN", "nan", "inf", "Infinity1", "tru", "True", "None", "[1 2]", '{"a" 1}', '{"a":}', '{1: 2}',
    '"abc', '"\\x41"', '"\\u12"', '"\\u12G4"', '"a\tb"', '"a\nb"', '"\u0000"', "[1] [2]", "1 2", '"\\a"',
    "[-]", "[--1]", "0x10", "1_000", "[.1]", "\ufeff[1]", '"\\', "[1,,2]", "//c\n1", "/*c*/1",
]
for text in invalid:
    cases.append(text)

# Random mutations of valid documents: accept/reject parity with json.loads on near-miss inputs.
alphabet = list('{}[]",:\\ \t\n0123456789eE+-.tfnulrsaNIy') + ["true", "null", "1e", "\\u00", "\\n", "é", "中"]
seeds = [c for c in cases if c.startswith(("{", "["))]
for _ in range(1500):
    text = list(rng.choice(seeds))
    for _ in range(rng.randrange(1, 4)):
        op = rng.randrange(3)
        at = rng.randrange(len(text) + 1)
        if op == 0 or not text:
            text.insert(at, rng.choice(alphabet))
        elif op == 1:
            del text[min(at, len(text) - 1)]
        else:
            text[min(at, len(text) - 1)] = rng.choice(alphabet)
    cases.append("".join(text))

lines = []
seen = set()
for text in cases:
    if text in seen:
        continue
    seen.add(text)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        lines.append(json.dumps({"json": text, "error": True}, ensure_ascii=False))
        continue
    rendered = f"{value}"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False)):
        # A lone surrogate escape: valid for Python, not representable in Swift (PrepJSON decodes it as
        # U+FFFD and counts it), so only acceptance is compared.
        lines.append(json.dumps({"json": text, "lone_surrogate": True}, ensure_ascii=False))
        continue
    lines.append(json.dumps({"json": text, "str": rendered}, ensure_ascii=False))

OUT.mkdir(parents=True, exist_ok=True)
(OUT / "repr_golden.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

ranges = []
start = None
for cp in range(0x110000):
    bad = not chr(cp).isprintable()
    if bad and start is None:
        start = cp
    elif not bad and start is not None:
        ranges.append((start, cp - 1))
        start = None
if start is not None:
    ranges.append((start, 0x10FFFF))
header = f"# str.isprintable() is False for these code points (Python {sys.version.split()[0]}, " \
    f"Unicode {unicodedata.unidata_version}); made by scripts/json/make_repr_golden.py\n"
(OUT / "nonprintable.txt").write_text(header + "".join(f"{a:X} {b:X}\n" for a, b in ranges), encoding="ascii")
print(f"{len(lines)} cases, {len(ranges)} non-printable ranges")
