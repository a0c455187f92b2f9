#!/usr/bin/env python3
"""Regenerates oracle.json: the oracle's outputs on small inputs, plus every text the oracle tokenized.

The Swift tests replay the recipes with an encoder that only knows these texts (`GoldenEncoder`), so a recipe
passes only if it tokenizes exactly the oracle's segments and concatenates them in the oracle's order; and the
ids/labels must equal the oracle's, computed with the real Qwen3 tokenizer.

Command (from the repository root):
  /work/main/.venv/bin/python Tests/PrepTemplateTests/Golden/make_golden.py \
      --oracle /work/shared/oracle --tokenizer .cache/tokenizer/qwen3 > Tests/PrepTemplateTests/Golden/oracle.json
"""
import argparse
import json
import sys

FUDAN = [
    {"text": "北京时间昨晚,NBA总决赛第3场,勇士队以 110:98 战胜对手。", "category": ["体育", "财经", "教育"], "output": "体育"},
    {"text": "Children's literature review", "category": ["Children's Books", "Art"], "output": "Art"},
    {"text": "带引号的\"文本\"和 <|im_end|> 字样", "category": ["It's \"quoted\"", "x"], "output": "x"},
    {"text": "长" * 500, "category": ["长文本"], "output": "长文本"},
]

BELLE = [
    {"conversations": [{"from": "human", "value": "你好,请介绍一下你自己。"}, {"from": "assistant", "value": "我是一个AI助手,很高兴为你服务!"}]},
    {"conversations": [{"from": "gpt", "value": "leading"}, {"from": "human", "value": "1+1=?"}, {"from": "gpt", "value": "\n2"},
                       {"from": "human", "value": " 再算 12345*6789"}, {"from": "assistant", "value": "83810205。\n\n"}]},
    {"conversations": [{"from": "human", "value": "写一首诗" * 80}, {"from": "assistant", "value": "春眠不觉晓," * 60}]},
]

ALPACA = [
    {"instruction": "hi", "input": "", "output": "Hello! I am {{name}}, an AI assistant developed by {{author}}."},
    {"instruction": "把下面的句子翻译成英文", "input": "今天天气很好。", "output": "The weather is nice today."},
    {"instruction": "Summarize:", "input": "word " * 300, "output": "short"},
    {"instruction": "Explain", "output": "token " * 400},
]

MONKEY = [
    {"text": "在查处虚开增值税专用发票案件中,常常涉及进项留抵税额和税款损失的认定和处理。"},
    {"text": "Hello world. 123 456"},
    {"text": ""},
    {"text": "第三篇文档:" + "数据" * 40},
    {"text": "  leading spaces\nand newlines\n\n"},
]

CHAT = [
    {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好!"}]},
    {"messages": [{"role": "user", "content": "U1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "2+2?"},
                  {"role": "assistant", "content": "\n<think>\nsum\n</think>\n\n4"}]},
]


def chat_fixed(tok, args):
    """The oracle's `chat`, with its transformers-5 defect fixed: `apply_chat_template(tokenize=True)` returns a
    BatchEncoding (a UserDict, not a dict), so the oracle's `isinstance(ids, dict)` misses it and it writes the
    keys ["input_ids", "attention_mask"] instead of the ids."""
    from collections.abc import Mapping

    for r in CHAT:
        ids = tok.apply_chat_template(r["messages"], tokenize=True, add_generation_prompt=False)
        if isinstance(ids, Mapping):
            ids = ids["input_ids"]
        yield {"input_ids": list(ids)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--oracle", required=True)
    p.add_argument("--tokenizer", required=True)
    a = p.parse_args()
    sys.path.insert(0, a.oracle)
    import seed_recipes as o
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(a.tokenizer)
    seen = {}
    real_enc = o.enc

    def enc(t, text):
        ids = real_enc(t, text)
        seen[text] = ids
        return ids

    o.enc = enc
    enc(tok, "\n")
    data = {}

    def run(key, fn, records, **kw):
        o.records = lambda _path: iter(records)
        settings = dict(input="-", system="You are a helpful assistant.", user_tag="human", user_role="human",
                        name="{{name}}", author="{{author}}", seed_compat=False)
        settings.update(kw)
        args = argparse.Namespace(**settings)
        data[key] = {"records": records, "outputs": list(fn(tok, args))}

    run("fudan", o.fudan, FUDAN, max_length=384)
    run("belle", o.belle, BELLE, max_length=300)
    run("alpaca", o.alpaca, ALPACA, cutoff_len=256)
    run("alpaca_identity", o.alpaca, ALPACA, cutoff_len=64, system="", name="小助手", author="prep")
    run("belle_user", o.belle, BELLE[:2], max_length=120, user_role="user")
    run("monkey", o.monkey, MONKEY, block_size=16)
    docs = []
    for r in MONKEY:
        docs.append(enc(tok, r["text"]))
    data["monkey_documents"] = docs
    run("chat", chat_fixed, CHAT)
    for r in CHAT:
        enc(tok, tok.apply_chat_template(r["messages"], tokenize=False))
    data["encodings"] = [[text, ids] for text, ids in seen.items()]
    data["added"] = {t: tok.convert_tokens_to_ids(t) for t in ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]}
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
