#!/usr/bin/env python3
"""Writes a JSONL corpus of source code and documentation from the files installed on this machine.

SFT and pretraining data is full of code: indentation by tabs and spaces, trailing spaces, blank lines with
whitespace, operators and brackets in runs, CRLF files, long comment rules, identifiers in camel and snake
case, string literals in many languages, escapes. The dev corpus has little of it. This script takes it from
what a Debian machine already holds, none of it written for prep: C headers (`/usr/include`), Python sources
(the interpreter's library and the venv's packages), manual pages (`/usr/share/man`, gzip files decompressed)
and package documentation (`/usr/share/doc`), plus any --root. Each file that is valid UTF-8, holds no NUL and
is at most --max-file bytes becomes one document, {"text": ...} per line, whole. Each root gets an equal share
of --max-bytes, so that headers, sources, manual pages and docs are all there. Directories and files are
visited in sorted order and a seeded sample keeps --share of the files, so the output depends only on what is
installed and on the seed.

Usage: make_code_corpus.py OUT.jsonl [--root DIR ...] [--max-bytes 60000000] [--max-file 400000]
                           [--share 0.35] [--seed 1]
Then:  make conformance FILE=OUT.jsonl   (or `make conformance-code`, which does both)
"""
import argparse
import glob
import gzip
import json
import os
import random
import sys

DEFAULT_ROOTS = ["/usr/include", "/usr/lib/python3*", "/usr/share/man", "/usr/share/doc"]


def files(root):
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            if not os.path.islink(path) and os.path.isfile(path):
                yield path


def text_of(path, max_file):
    """The file's text, or None when it is too large, not UTF-8 or holds a NUL (a binary file)."""
    try:
        if os.path.getsize(path) > max_file:
            return None
        with open(path, "rb") as f:
            data = f.read()
        if path.endswith(".gz"):
            data = gzip.decompress(data)
        if len(data) > max_file:
            return None
        text = data.decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile):
        return None
    return text if text and "\0" not in text else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--root", action="append", default=[], help="another directory to take files from")
    ap.add_argument("--max-bytes", type=int, default=60_000_000, help="stop once this much text is written")
    ap.add_argument("--max-file", type=int, default=400_000, help="skip files larger than this")
    ap.add_argument("--share", type=float, default=0.35, help="fraction of the readable files kept")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    venv = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".venv", "lib")
    candidates = sorted({r for pattern in DEFAULT_ROOTS for r in glob.glob(pattern)}) + [venv] + args.root
    roots = [r for r in candidates if os.path.isdir(r)]
    rng = random.Random(args.seed)
    documents = written = 0
    with open(args.out, "w", encoding="utf-8") as out:
        for root in roots:
            budget = written + args.max_bytes // max(1, len(roots))
            for path in files(root):
                if written >= budget:
                    break
                text = text_of(path, args.max_file)
                if text is None or rng.random() >= args.share:
                    continue
                out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
                documents += 1
                written += len(text.encode("utf-8"))
            print(f"  {root}: {written / 1e6:.1f} MB so far")
    print(f"{args.out}: {documents} documents, {written / 1e6:.1f} MB of text")
    if documents == 0:
        sys.exit("no readable file found under the roots")


if __name__ == "__main__":
    main()
