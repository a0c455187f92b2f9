#!/usr/bin/env python3
"""Seed 002's pretraining recipe with HF datasets (the peer for `prep run pipelines/monkey.pipeline`):
load_dataset('json') -> map(tokenize_function, batched=True, num_proc, remove_columns) ->
map(group_texts, batched=True, num_proc, batch_size=40000) with block_size 2048 -> save_to_disk.
HF_DATASETS_CACHE should point at a fresh directory so that loading really parses the JSONL.

Usage: seed_monkey.py INPUT OUT_DIR --tokenizer DIR [--num-proc 2]
Prints one JSON line: {"blocks": ..., "tokens": ...}.
"""
import argparse
import json
from itertools import chain


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--num-proc", type=int, default=2)
    a = ap.parse_args()

    from datasets import load_dataset
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(a.tokenizer)
    ds = load_dataset("json", data_files=a.input)
    column_names = list(ds["train"].features)

    def tokenize_function(examples):
        output = tokenizer([item for item in examples["text"]])
        return output

    tokenized_datasets = ds.map(tokenize_function, batched=True, num_proc=a.num_proc, remove_columns=column_names,
                                load_from_cache_file=True, desc="Running tokenizer on dataset")
    block_size = 2048

    def group_texts(examples):
        concatenated_examples = {k: list(chain(*examples[k])) for k in examples.keys()}
        total_length = len(concatenated_examples[list(examples.keys())[0]])
        if total_length >= block_size:
            total_length = (total_length // block_size) * block_size
        result = {k: [t[i : i + block_size] for i in range(0, total_length, block_size)]
                  for k, t in concatenated_examples.items()}
        result["labels"] = result["input_ids"].copy()
        return result

    lm_datasets = tokenized_datasets.map(group_texts, batched=True, num_proc=a.num_proc, load_from_cache_file=True,
                                         desc=f"Grouping texts in chunks of {block_size}", batch_size=40000)
    train_dataset = lm_datasets["train"]
    train_dataset.save_to_disk(a.out)
    n = len(train_dataset)
    tokens = sum(len(x) for x in train_dataset.with_format("arrow")["input_ids"].to_pylist()) if n else 0
    print(json.dumps({"blocks": n, "tokens": tokens}))


if __name__ == "__main__":
    main()
