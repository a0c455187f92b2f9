#!/usr/bin/env python3
"""Builds a large zh_cls_fudan-news shaped JSONL from the dev corpus, for bench_pipeline.py fudan.

Each record: text = a corpus document's first --chars characters (documents shorter than 20 characters are
skipped), category = a list of 4 Fudan category names, output = one of them (seeded, so the file is the same
every time). Cycles through the corpus until --records records are written.

Usage: make_fudan_large.py OUT [--corpus /work/corpus/monkey_dev.jsonl] [--records 100000] [--chars 300]
"""
import argparse
import json
import random

NAMES = ["Art", "Literature", "Education", "Philosophy", "History", "Space", "Energy", "Electronics",
         "Communication", "Computer", "Mine", "Transport", "Enviornment", "Agriculture", "Economy", "Law",
         "Medical", "Military", "Politics", "Sports"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--corpus", default="/work/corpus/monkey_dev.jsonl")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--chars", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    written = 0
    with open(a.out, "w", encoding="utf-8") as out:
        while written < a.records:
            with open(a.corpus, encoding="utf-8") as f:
                for line in f:
                    text = json.loads(line)["text"][: a.chars]
                    if len(text) < 20:
                        continue
                    category = rng.sample(NAMES, 4)
                    rec = {"text": text, "category": category, "output": rng.choice(category)}
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    written += 1
                    if written == a.records:
                        break
    print(f"{a.out}: {written} records")


if __name__ == "__main__":
    main()
