#!/usr/bin/env python3
"""Peer numbers for the tokenizer benchmark: fastokens (and optionally HF tokenizers) encoding every text
of a JSONL file on one thread, texts read first (untimed). Prints MB/s of UTF-8 text and tokens/s.

  RAYON_NUM_THREADS=1 /work/main/.venv/bin/python scripts/tokenizer/bench_peers.py FILE [--hf] [--runs K]
"""
import argparse
import os
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import read_texts  # noqa: E402  (scripts/common.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--field", default="text")
    parser.add_argument("--tokenizer", default=os.path.join(ROOT, ".cache/tokenizer/qwen3"))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--hf", action="store_true")
    args = parser.parse_args()
    texts = read_texts(args.file, args.field)
    size = sum(len(t.encode("utf-8")) for t in texts)
    path = os.path.join(args.tokenizer, "tokenizer.json")
    peers = []
    import fastokens
    peers.append(("fastokens", fastokens.Tokenizer.from_file(path)))
    if args.hf:
        import tokenizers
        peers.append(("hf-tokenizers", tokenizers.Tokenizer.from_file(path)))
    for name, tok in peers:
        best = float("inf")
        count = 0
        for _ in range(args.runs):
            start = time.perf_counter()
            count = 0
            for text in texts:
                count += len(tok.encode(text, add_special_tokens=False).ids)
            best = min(best, time.perf_counter() - start)
        print(f"{name} threads=1: {size / best / 1e6:.1f} MB/s, {count / best / 1e6:.2f} M tokens/s, {count} tokens, "
              f"best of {args.runs}: {best:.3f} s")


if __name__ == "__main__":
    main()
