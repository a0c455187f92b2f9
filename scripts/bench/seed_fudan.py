#!/usr/bin/env python3
"""Seed 000's fudan recipe, as the tutorial runs it (the peer for `prep run pipelines/fudan.pipeline`):
dataset_jsonl_transfer (json.loads per line -> instruction/input/output JSONL), pandas
`read_json(lines=True)` -> `Dataset.from_pandas` -> `map(process_func, remove_columns=...)` -> `save_to_disk`.
process_func is the seed's, minus its per-record debugging `print(len(...))`. The tokenizer is the Qwen one
through transformers' AutoTokenizer from the local directory (the seed downloads Qwen2-1.5B-Instruct and
passes use_fast=False; transformers 5 has one tokenizer backend, the `tokenizers` one).

Usage: seed_fudan.py INPUT OUT_DIR --tokenizer DIR [--num-proc N]   (0 or absent: no num_proc, as the seed)
Prints one JSON line: {"records": ..., "tokens": ...} (counted after save_to_disk, outside the recipe).
"""
import argparse
import json
import os
import tempfile

INSTRUCTION = "你是一个文本分类领域的专家,你会接收到一段文本和几个潜在的分类选项,请输出文本内容的正确类型"


def dataset_jsonl_transfer(origin_path, new_path):
    messages = []
    with open(origin_path, "r") as file:
        for line in file:
            data = json.loads(line)
            context = data["text"]
            catagory = data["category"]
            label = data["output"]
            message = {
                "instruction": INSTRUCTION,
                "input": f"文本:{context},类型选型:{catagory}",
                "output": label,
            }
            messages.append(message)
    with open(new_path, "w", encoding="utf-8") as file:
        for message in messages:
            file.write(json.dumps(message, ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--num-proc", type=int, default=None)
    a = ap.parse_args()

    import pandas as pd
    from datasets import Dataset
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(a.tokenizer)

    def process_func(example):
        MAX_LENGTH = 384
        input_ids, attention_mask, labels = [], [], []
        instruction = tokenizer(
            f"<|im_start|>system\n{INSTRUCTION}<|im_end|>\n<|im_start|>user\n{example['input']}<|im_end|>\n<|im_start|>assistant\n",
            add_special_tokens=False,
        )
        response = tokenizer(f"{example['output']}", add_special_tokens=False)
        input_ids = instruction["input_ids"] + response["input_ids"] + [tokenizer.pad_token_id]
        attention_mask = instruction["attention_mask"] + response["attention_mask"] + [1]
        labels = [-100] * len(instruction["input_ids"]) + response["input_ids"] + [tokenizer.pad_token_id]
        if len(input_ids) > MAX_LENGTH:
            input_ids = input_ids[:MAX_LENGTH]
            attention_mask = attention_mask[:MAX_LENGTH]
            labels = labels[:MAX_LENGTH]
        return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}

    with tempfile.TemporaryDirectory() as tmp:
        new_path = os.path.join(tmp, "new_train.jsonl")
        dataset_jsonl_transfer(a.input, new_path)
        train_df = pd.read_json(new_path, lines=True)
        train_ds = Dataset.from_pandas(train_df)
        if a.num_proc:
            train_dataset = train_ds.map(process_func, remove_columns=train_ds.column_names, num_proc=a.num_proc)
        else:  # the seed's own call
            train_dataset = train_ds.map(process_func, remove_columns=train_ds.column_names)
        train_dataset.save_to_disk(a.out)
    n = len(train_dataset)
    tokens = sum(len(x) for x in train_dataset.with_format("arrow")["input_ids"].to_pylist()) if n else 0
    print(json.dumps({"records": n, "tokens": tokens}))


if __name__ == "__main__":
    main()
