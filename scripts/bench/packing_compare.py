#!/usr/bin/env python3
"""Packing efficiency on the same SFT samples: prep's best-fit (bounded window, streaming) against
LLaMA-Factory's packing (greedy knapsack inside each map batch of `preprocessing_batch_size` samples, bins of
cutoff_len - 1, every pack padded to cutoff_len; re-implemented here from its documented behaviour), and prep's
`sort_window` mode, which packs each group of samples with that same knapsack.

The samples: N two-turn conversations cut from the dev corpus with seeded random lengths (a human turn of
20-400 characters, an assistant turn of 50-4000), tokenized and templated by prep's belle-assistant pipeline
without packing; their lengths feed the knapsack. Then the same pipeline with best_fit packing, and
`prep stats --json` gives prep's efficiency. Efficiency = non-pad tokens / all tokens.

Usage: packing_compare.py [--prep PATH] [--corpus FILE] [--records 20000] [--block 2048]
"""
import argparse
import bisect
import json
import os
import random
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def conversations(corpus, n, seed=1):
    rng = random.Random(seed)
    out = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            text = json.loads(line)["text"]
            if len(text) < 200:
                continue
            q = rng.randint(20, 400)
            a = rng.randint(50, 4000)
            out.append({"conversations": [{"from": "human", "value": text[:q]},
                                          {"from": "assistant", "value": text[q:q + a]}]})
            if len(out) == n:
                break
    return out


def greedy_knapsack(lengths, capacity):
    numbers = sorted(lengths)
    packs = []
    while numbers:
        remaining, pack = capacity, []
        while True:
            i = bisect.bisect(numbers, remaining)
            if i == 0:
                break
            remaining -= numbers[i - 1]
            pack.append(numbers.pop(i - 1))
        if not pack:  # a sample longer than the capacity: LLaMA-Factory truncates it first
            pack.append(min(numbers.pop(0), capacity))
        packs.append(pack)
    return packs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prep", default=os.path.join(ROOT, ".build", "release", "prep"))
    ap.add_argument("--corpus", default=os.path.join(ROOT, ".cache", "corpus", "monkey_dev.jsonl"))
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--block", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=1000, help="LLaMA-Factory's preprocessing_batch_size")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "conv.jsonl")
        with open(data, "w", encoding="utf-8") as f:
            for r in conversations(args.corpus, args.records):
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        common = ["run", "belle-assistant", "--set", f"input={data}", "--set", f"max_length={args.block - 1}", "--quiet"]
        subprocess.run([args.prep] + common + ["--set", f"output={tmp}/plain", "--set", "packing.mode=none"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        lengths = [len(json.loads(l)["input_ids"]) for l in
                   subprocess.run([args.prep, "export", f"{tmp}/plain"], cwd=ROOT, check=True, capture_output=True,
                                  text=True).stdout.splitlines()]
        rows = []
        for batch in (args.batch, 10 ** 9):
            packs = 0
            for i in range(0, len(lengths), batch):
                packs += len(greedy_knapsack(lengths[i:i + batch], args.block - 1))
            rows.append((f"LLaMA-Factory greedy knapsack, batch {batch if batch < 10**9 else 'all (in memory)'}",
                         packs, sum(lengths) / (packs * args.block)))
        for window in (16, 64, 256):
            subprocess.run([args.prep] + common + ["--set", f"output={tmp}/bf{window}", "--set", "packing.mode=best_fit",
                                                   "--set", f"block_size={args.block}",
                                                   "--set", f"packing.open_blocks={window}"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            st = json.loads(subprocess.run([args.prep, "stats", f"{tmp}/bf{window}", "--json"], cwd=ROOT, check=True,
                                           capture_output=True, text=True).stdout)
            rows.append((f"prep best_fit, {window} open blocks (streaming)", st["samples"], st["packing_efficiency"]))
        for window in (args.batch,):
            out = f"{tmp}/sw{window}"
            subprocess.run([args.prep] + common + ["--set", f"output={out}", "--set", "packing.mode=best_fit",
                                                   "--set", f"block_size={args.block}",
                                                   "--set", f"packing.sort_window={window}"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            st = json.loads(subprocess.run([args.prep, "stats", out, "--json"], cwd=ROOT, check=True,
                                           capture_output=True, text=True).stdout)
            rows.append((f"prep best_fit, sort_window {window} (knapsack per group)", st["samples"],
                         st["packing_efficiency"]))
        print(f"{len(lengths)} samples, {sum(lengths)} tokens, mean length {sum(lengths) / len(lengths):.0f}, "
              f"blocks of {args.block}")
        print(f"{'packing':58} {'blocks':>8} {'efficiency':>11}")
        for name, packs, eff in rows:
            print(f"{name:58} {packs:8d} {eff * 100:10.2f}%")


if __name__ == "__main__":
    main()
