#!/usr/bin/env python3
"""Writes fixtures/tokenizer/added_options.jsonl: HF `tokenizers` running the Qwen3 tokenizer.json with added
tokens that use HF's matching options (single_word, lstrip, rstrip, normalized), as users add them with
`add_tokens` / `add_special_tokens` and save them.

Each line is one tokenizer: {"config", "added_tokens": the file's whole added_tokens array as HF saved it,
"decoded": [[id, HF decode([id])] for each added token], "cases": [{"text", "ids"}]}. `AddedOptionsTests` splices the array into the Qwen3 file and checks the ids.

Run: /work/main/.venv/bin/python scripts/tokenizer/make_added_options_golden.py [.cache/tokenizer/qwen3] [CASES]
"""
import json
import os
import random
import sys
import tempfile
import unicodedata

from tokenizers import AddedToken, Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOK_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".cache", "tokenizer", "qwen3")
CASES = int(sys.argv[2]) if len(sys.argv) > 2 else 300
OUT = os.path.join(ROOT, "fixtures", "tokenizer", "added_options.jsonl")


def T(content, **options):
    return content, options


# Each config: the tokens added on top of Qwen3's, in order; `special` ones through add_special_tokens.
CONFIGS = {
    # add_tokens' default: normalized=True (matched in NFC text), including a vocabulary word and text NFC changes.
    "add_tokens_default": [T("<custom>"), T("hello"), T("café"), T("cafe\u0301x"), T("\u210cx"), T(" spaced"), T("ab"),
                           T("\u03a9")],
    "single_word": [T("<sw>", single_word=True, normalized=False), T("foo", single_word=True),
                    T("bar", single_word=True, normalized=False), T("x_y", single_word=True),
                    T("日本", single_word=True), T("foobar", normalized=False)],
    "strip": [T("<mask>", lstrip=True, normalized=False, special=True), T("<r>", rstrip=True, normalized=False),
              T("<lr>", lstrip=True, rstrip=True), T("[N]", lstrip=True), T(" <sp>", rstrip=True, normalized=False),
              T("<x>", lstrip=True, rstrip=True, single_word=True, normalized=False)],
    "overlap": [T("<a>", lstrip=True, normalized=False), T("<a><b>", single_word=True, normalized=False),
                T("a><b", rstrip=True), T("<b>", normalized=True), T("b>", single_word=True, normalized=True),
                T("<|im_end|>x", normalized=True)],
    "nfc_tokens": [T("e\u0301", normalized=True), T("\u212b", normalized=True), T("\u1100\u1161", normalized=True),
                   T("\u00c5", normalized=False, rstrip=True), T("\u0301", normalized=True, lstrip=True),
                   T("\ufb01", normalized=True)],
    # Canonically equivalent contents are other tokens (HF compares bytes).
    "equivalent": [T("<\u00c5>", special=True), T("<A\u030a>", special=True), T("<\u212b>", special=True)],
    # Whitespace tokens that take whitespace: a match left empty inside what the match before took is dropped;
    # overlapping matches (an rstrip that took what the search then matches again) are all kept.
    "whitespace": [T("\n", lstrip=True, rstrip=True), T(" ", lstrip=True, rstrip=True, normalized=False),
                   T("\n\n", rstrip=True, normalized=False), T("e", rstrip=True), T("\t", special=True),
                   T("\nz", lstrip=True, rstrip=True)],
}
WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000", "\u2005", "\u200a", "\u2028",
              "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\u180e", "\ufeff", "  ", "\r\n"]
WORD = ["a", "Z", "_", "9", "\u0661", "é", "e\u0301", "\u0301", "日", "ア", "\u200c", "\u200d", "\u216b", "\u24d0",
        "\u00aa", "\u02b0", "\u0903", "\u01c5", "\U0001d400", "x"]
NON_WORD = [".", ",", "-", "!", "<", ">", "|", "\U0001f600", "\u2019", "$", "\u00b7", "\u3002", "'s", "\u00bf"]
FILLER = ["the", " quick", "brown", " fox", "你好", " world", "123", " cafe", "naïve", "Ångström", "K", "\u212a",
          "<|im_start|>", "<|endoftext|>", "<think>", "</think>", "foo", "bar", "hello", "ab", "<", ">"]


def text(rng, contents):
    parts = []
    for _ in range(rng.randint(1, 14)):
        r = rng.random()
        if r < 0.35:
            parts.append(rng.choice(contents))
        elif r < 0.55:
            parts.append(rng.choice(WHITESPACE) * rng.randint(1, 3))
        elif r < 0.7:
            parts.append(rng.choice(WORD))
        elif r < 0.8:
            parts.append(rng.choice(NON_WORD))
        else:
            parts.append(rng.choice(FILLER))
    s = "".join(parts)
    return unicodedata.normalize("NFD", s) if rng.random() < 0.2 else s


def main():
    rng = random.Random(20261125)
    lines = []
    for name, spec in CONFIGS.items():
        tok = Tokenizer.from_file(os.path.join(TOK_DIR, "tokenizer.json"))
        special = [AddedToken(c, **{k: v for k, v in o.items() if k != "special"}) for c, o in spec if o.get("special")]
        normal = [AddedToken(c, **o) for c, o in spec if not o.get("special")]
        if special:
            tok.add_special_tokens(special)
        tok.add_tokens(normal)
        # The array as HF saves it (and as loading the saved file numbers it).
        with tempfile.TemporaryDirectory() as d:
            tok.save(os.path.join(d, "tokenizer.json"))
            added = json.load(open(os.path.join(d, "tokenizer.json"), encoding="utf-8"))["added_tokens"]
            tok = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
        contents = [c for c, _ in spec]
        contents += [unicodedata.normalize(form, c) for c, _ in spec for form in ("NFC", "NFD")]
        texts = [text(rng, contents) for _ in range(CASES)]
        ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
        # HF decodes a normalized token as its normalized content.
        decoded = [[a["id"], tok.decode([a["id"]], skip_special_tokens=False)] for a in added if a["id"] >= 151669]
        lines.append(json.dumps({"config": name, "added_tokens": added, "decoded": decoded,
                                 "cases": [{"text": t, "ids": i} for t, i in zip(texts, ids)]}, ensure_ascii=False))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(CONFIGS)} tokenizers, {CASES} texts each", file=sys.stderr)


if __name__ == "__main__":
    main()
