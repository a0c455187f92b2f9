#!/usr/bin/env python3
"""Runs the oracle's `chat` recipe with one fix: under transformers 5, `apply_chat_template(tokenize=True)`
returns a BatchEncoding, which is a Mapping but not a dict, so the oracle's `isinstance(ids, dict)` misses it
and it writes the mapping's keys (["input_ids", "attention_mask"]) instead of the ids. This wrapper loads
seed_recipes.py unchanged and replaces only its `chat` function with one that unwraps any Mapping; every
other line of the oracle runs as is.

Usage: oracle_chat.py ORACLE chat --tokenizer DIR --input messages.jsonl
"""
import collections.abc
import importlib.util
import sys


def main():
    oracle_path = sys.argv.pop(1)
    spec = importlib.util.spec_from_file_location("seed_recipes", oracle_path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    def chat(tok, args):
        for r in mod.records(args.input):
            ids = tok.apply_chat_template(r["messages"], tokenize=True, add_generation_prompt=False)
            if isinstance(ids, collections.abc.Mapping):
                ids = ids["input_ids"]
            yield {"input_ids": list(ids)}

    mod.chat = chat
    sys.argv[0] = oracle_path
    mod.main()


if __name__ == "__main__":
    main()
