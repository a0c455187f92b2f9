#!/usr/bin/env python3
"""Token-for-token conformance of `prep tokenize` against HF `tokenizers` (the reference).

Reads FILE (JSONL, one object per line; blank lines skipped), encodes FIELD of every record with
`Tokenizer.from_file(DIR/tokenizer.json).encode_batch(texts, add_special_tokens=False)`, runs
`prep tokenize --jsonl FILE --field FIELD [--workers N]` (one compact JSON id array per input record, in
input order) and compares line by line. Prints the documents compared and the mismatches; for the first
mismatch: the line number, the text around the first differing token, the decoded pieces of both sides and
both id windows. Exit status: 0 all equal, 1 any mismatch, 2 prep failed or could not be run.

Usage: conformance.py FILE [--prep PATH] [--tokenizer DIR] [--field text] [--workers N] [--batch 2000]
  --prep       default $PREP_BIN, else .build/release/prep, else .build/debug/prep
  --tokenizer  default $PREP_TOKENIZER, else .cache/tokenizer/qwen3 (also passed to prep as PREP_TOKENIZER)
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import default_prep  # noqa: E402  (scripts/common.py)


def default_tokenizer():
    return os.environ.get("PREP_TOKENIZER") or os.path.join(ROOT, ".cache", "tokenizer", "qwen3")


def read_texts(path, field):
    """Yields (line_number, text) for every non-blank line."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            rec = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            yield number, rec[field]


def batched(iterable, size):
    it = iter(iterable)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def piece(tok, i):
    return tok.decode([i], skip_special_tokens=False)


def show_mismatch(tok, number, text, ref, got):
    k = next((j for j, (a, b) in enumerate(zip(ref, got)) if a != b), min(len(ref), len(got)))
    lo, hi = max(0, k - 4), k + 6
    enc = tok.encode(text, add_special_tokens=False)
    if k < len(enc.offsets):
        start, end = enc.offsets[k]
    else:
        start = end = len(text)
    print(f"first mismatch: line {number}, token {k} (reference {len(ref)} tokens, prep {len(got)} tokens)")
    print(f"  text around it (chars {max(0, start - 40)}..{end + 40}): {text[max(0, start - 40):end + 40]!r}")
    print(f"  reference ids[{lo}:{hi}]: {ref[lo:hi]}")
    print(f"  prep      ids[{lo}:{hi}]: {got[lo:hi]}")
    print(f"  reference pieces: {[piece(tok, i) for i in ref[lo:hi]]}")
    print(f"  prep      pieces: {[piece(tok, i) if 0 <= i < tok.get_vocab_size() else '<bad id>' for i in got[lo:hi]]}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--prep", default=default_prep())
    ap.add_argument("--tokenizer", default=default_tokenizer())
    ap.add_argument("--field", default="text")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--batch", type=int, default=2000)
    args = ap.parse_args()

    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    cmd = [args.prep, "tokenize", "--jsonl", args.file, "--field", args.field]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    env = dict(os.environ, PREP_TOKENIZER=os.path.abspath(args.tokenizer))
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
    except OSError as e:
        print(f"cannot run prep ({' '.join(cmd)}): {e}", file=sys.stderr)
        return 2

    started = time.time()
    compared = mismatches = 0
    first = None
    extra = False
    for chunk in batched(read_texts(args.file, args.field), args.batch):
        refs = tok.encode_batch([t for _, t in chunk], add_special_tokens=False)
        for (number, text), ref in zip(chunk, refs):
            line = proc.stdout.readline()
            if not line:
                print(f"prep's output ended after {compared} documents (input line {number} has no output)")
                proc.stdout.close()
                proc.wait()
                print(f"prep exited with status {proc.returncode}")
                return 2
            got = json.loads(line)
            compared += 1
            if got != ref.ids:
                mismatches += 1
                if first is None:
                    first = (number, text, ref.ids, got)
    if proc.stdout.readline():
        extra = True
    proc.stdout.close()
    status = proc.wait()
    elapsed = time.time() - started
    print(f"file: {args.file}")
    print(f"documents compared: {compared}")
    print(f"mismatches: {mismatches}")
    print(f"seconds: {elapsed:.1f}")
    if first:
        show_mismatch(tok, *first)
    if extra:
        print("prep printed more lines than the input has records")
    if status != 0:
        print(f"prep exited with status {status}")
        return 2
    return 1 if mismatches or extra else 0


if __name__ == "__main__":
    sys.exit(main())
