#!/usr/bin/env python3
"""Compares PrepTokenizer with HF `tokenizers` on every text of a JSONL file.

  /work/main/.venv/bin/python scripts/tokenizer/conformance.py FILE [--bench PATH] [--field text]
      [--tokenizer DIR]

Runs `tokenizer-bench FILE --dump-ids OUT` (build it first: swift build -c release --package-path
Benchmarks/tokenizer), encodes the same texts with HF (add_special_tokens=False) and prints the number of
texts compared and of mismatches, with the first few differences. Exit status 1 on any mismatch.
"""
import argparse
import os
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import read_texts  # noqa: E402  (scripts/common.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--bench", default=os.path.join(ROOT, "Benchmarks/tokenizer/.build/release/tokenizer-bench"))
    parser.add_argument("--field", default="text")
    parser.add_argument("--tokenizer", default=os.path.join(ROOT, ".cache/tokenizer/qwen3"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        dump = os.path.join(tmp, "ids.txt")
        subprocess.run([args.bench, args.file, "--field", args.field, "--tokenizer", args.tokenizer,
                        "--dump-ids", dump], check=True)
        with open(dump) as f:
            ours = [line.rstrip("\n") for line in f]

    texts = read_texts(args.file, args.field)
    if len(texts) != len(ours):
        print(f"text count differs: HF side {len(texts)}, prep {len(ours)}")
        sys.exit(1)
    tok = Tokenizer.from_file(os.path.join(args.tokenizer, "tokenizer.json"))
    mismatches = 0
    batch = 2000
    for start in range(0, len(texts), batch):
        encodings = tok.encode_batch(texts[start:start + batch], add_special_tokens=False)
        for k, e in enumerate(encodings):
            expected = " ".join(map(str, e.ids))
            if expected != ours[start + k]:
                mismatches += 1
                if mismatches <= 5:
                    got = ours[start + k].split()
                    exp = expected.split()
                    at = next((i for i in range(min(len(got), len(exp))) if got[i] != exp[i]), min(len(got), len(exp)))
                    print(f"text {start + k}: first difference at token {at}: prep {got[at:at + 8]} HF {exp[at:at + 8]}")
                    print("   text:", repr(texts[start + k][:200]))
    print(f"{len(texts)} texts compared, {mismatches} mismatches")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()
