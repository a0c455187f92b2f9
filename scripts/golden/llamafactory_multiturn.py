#!/usr/bin/env python3
"""Reference output for multi-turn SFT the way LLaMA-Factory prepares it with `template: qwen`.

The oracle (shared/oracle/seed_recipes.py) covers LLaMA-Factory only for single-turn alpaca data. This script
extends it to sharegpt conversations by following LLaMA-Factory's own code (src/llamafactory/data/template.py,
`Template._encode` with the `qwen` template's formatters, and processor/supervised.py,
`SupervisedDatasetProcessor._encode_data_example`), built on the oracle's `records`, `enc` and `infer_seqlen`:

- the sharegpt converter: an optional leading `system` turn gives the system text (an empty one leaves the
  template's default: `Template._encode` takes `system or self.default_system`); the other turns must
  alternate user, assistant, starting with a user turn and ending with an assistant turn, else the example is
  dropped (LLaMA-Factory logs "Invalid role tag" and skips it);
- pair i's prompt = enc("<|im_start|>system\\n{system}<|im_end|>\\n") (first pair only, when a system text is
  set) + enc("<|im_start|>user\\n{user}<|im_end|>\\n<|im_start|>assistant\\n"); its response =
  enc("{assistant}<|im_end|>\\n"): one tokenizer call per formatter slot, as `_convert_elements_to_ids` does;
- cutoff_len shared pair by pair with infer_seqlen until used up; with --mask-history the pairs are taken
  last first and prepended, and only the last response is trained; with --train-on-prompt prompts are
  trained too.

`lf_alpaca` does the same for alpaca records with a `history` column (LLaMA-Factory's alpaca converter: the
history pairs, then instruction + "\n" + input (input left out when empty) and output).

Usage (as RUNNER of scripts/golden/make_goldens.sh, which passes the oracle's path first):
  llamafactory_multiturn.py ORACLE lf_multiturn|lf_alpaca --tokenizer DIR --input FILE [--cutoff-len 2048]
      [--mask-history] [--train-on-prompt] [--system TEXT]
"""
import argparse
import importlib.util
import json
import sys

USER_TAGS = {"human", "user"}
ASSISTANT_TAGS = {"assistant", "gpt"}
SYSTEM_TAGS = {"system"}


def load_oracle(path):
    spec = importlib.util.spec_from_file_location("seed_recipes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def conversation(record, default_system):
    turns = record["conversations"]
    system = default_system
    if turns and turns[0]["from"] in SYSTEM_TAGS:
        system = turns[0]["value"] or default_system  # Template._encode: system or self.default_system
        turns = turns[1:]
    if not turns or len(turns) % 2:
        return None
    for i, turn in enumerate(turns):
        if turn["from"] not in (USER_TAGS if i % 2 == 0 else ASSISTANT_TAGS):
            return None
    return system, [(turns[i]["value"], turns[i + 1]["value"]) for i in range(0, len(turns), 2)]


def alpaca(record, system):
    query = "\n".join(x for x in (record["instruction"], record.get("input")) if x)
    return system, [tuple(pair) for pair in record.get("history") or []] + [(query, record["output"])]


def main():
    oracle = load_oracle(sys.argv[1])
    ap = argparse.ArgumentParser()
    ap.add_argument("recipe", choices=["lf_multiturn", "lf_alpaca"])
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--cutoff-len", type=int, default=2048)
    ap.add_argument("--mask-history", action="store_true")
    ap.add_argument("--train-on-prompt", action="store_true")
    ap.add_argument("--system", default="You are a helpful assistant.")
    args = ap.parse_args(sys.argv[2:])
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.tokenizer)
    for record in oracle.records(args.input):
        parsed = conversation(record, args.system) if args.recipe == "lf_multiturn" else alpaca(record, args.system)
        if parsed is None:
            continue
        system, pairs = parsed
        encoded = []
        for i, (user, assistant) in enumerate(pairs):
            source = oracle.enc(tok, f"<|im_start|>system\n{system}<|im_end|>\n") if i == 0 and system else []
            source += oracle.enc(tok, f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n")
            encoded.append((source, oracle.enc(tok, f"{assistant}<|im_end|>\n")))
        if args.mask_history:
            encoded = encoded[::-1]
        input_ids, labels, total = [], [], 0
        for turn, (source, target) in enumerate(encoded):
            if total >= args.cutoff_len:
                break
            source_len, target_len = oracle.infer_seqlen(len(source), len(target), args.cutoff_len - total)
            source, target = source[:source_len], target[:target_len]
            total += source_len + target_len
            source_label = source if args.train_on_prompt else [oracle.IGNORE] * source_len
            target_label = [oracle.IGNORE] * target_len if args.mask_history and turn != 0 else target
            if args.mask_history:
                input_ids = source + target + input_ids
                labels = source_label + target_label + labels
            else:
                input_ids += source + target
                labels += source_label + target_label
        sys.stdout.write(json.dumps({"input_ids": input_ids, "labels": labels}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
