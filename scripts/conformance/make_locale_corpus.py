#!/usr/bin/env python3
"""Writes a many-language JSONL corpus from the message catalogs installed on this machine.

Every `.mo` file under the locale directories (`/usr/share/locale`, `/usr/lib/locale` and any given with
--root) holds programs' messages translated into one language: Arabic, Hindi, Thai, Korean, Georgian,
Amharic, Vietnamese and some two hundred more on a Debian machine with a few packages installed. Real
translated text, none of it written for prep, is a good check of the tokenizer on scripts the dev corpus
barely has. Each catalog's translations (the msgstr strings, plural forms included) are joined with
newlines into documents of about 1,500 characters: {"text": ...} per line. Files are visited in sorted
order, so the output depends only on the installed catalogs.

Usage: make_locale_corpus.py OUT.jsonl [--root DIR ...] [--max-bytes N]
Then:  make conformance FILE=OUT.jsonl   (or `make conformance-locales`, which does both)
"""
import argparse
import json
import os
import struct
import sys

DEFAULT_ROOTS = ["/usr/share/locale", "/usr/lib/locale", "/usr/share/locale-langpack"]
DOCUMENT_CHARS = 1500


def translations(path):
    """The msgstr strings of a GNU .mo file (plural forms split at NUL), skipping the header entry."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 20:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">" if magic == 0xDE120495 else None
    if order is None:
        return []
    _, count, _, table = struct.unpack(order + "4I", data[4:20])
    out = []
    for i in range(count):
        entry = data[table + 8 * i:table + 8 * i + 8]
        if len(entry) < 8:
            break
        length, offset = struct.unpack(order + "2I", entry)
        for part in data[offset:offset + length].split(b"\0"):
            try:
                text = part.decode("utf-8")
            except UnicodeDecodeError:
                continue  # a catalog in a legacy encoding: not text we can vouch for
            if text and not text.startswith("Project-Id-Version:"):
                out.append(text)
    return out


def catalogs(roots):
    for root in roots:
        if not os.path.isdir(root):
            continue
        for directory, subdirs, files in os.walk(root):
            subdirs.sort()
            for name in sorted(files):
                if name.endswith(".mo"):
                    yield os.path.join(directory, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--root", action="append", help="a directory to search for .mo files (repeatable)")
    ap.add_argument("--max-bytes", type=int, default=0, help="stop after about this many bytes (0: no limit)")
    args = ap.parse_args()
    roots = args.root or DEFAULT_ROOTS
    documents = files = written = 0
    with open(args.out, "w", encoding="utf-8") as f:
        for path in catalogs(roots):
            files += 1
            buffer, size = [], 0
            for text in translations(path):
                buffer.append(text)
                size += len(text)
                if size >= DOCUMENT_CHARS:
                    line = json.dumps({"text": "\n".join(buffer)}, ensure_ascii=False) + "\n"
                    f.write(line)
                    written += len(line.encode())
                    documents += 1
                    buffer, size = [], 0
            if buffer:
                line = json.dumps({"text": "\n".join(buffer)}, ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode())
                documents += 1
            if args.max_bytes and written >= args.max_bytes:
                break
    print(f"{args.out}: {documents} documents from {files} catalogs, {written / 1e6:.1f} MB")
    if documents == 0:
        print("no .mo catalogs found (install some translated packages, or pass --root)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
