#!/usr/bin/env python3
"""Writes seeded random input records for every oracle recipe that a shipped pipeline reproduces.

`recipe_conformance.py` runs the oracle (shared/oracle/seed_recipes.py) and prep on these files and compares them
sample by sample. The records are what a real corpus might hold and the fixtures do not: text in many scripts
(CJK, kana, Hangul and its jamo, Arabic, Hebrew, Devanagari, Thai, Cyrillic, Greek), emoji sequences (ZWJ, flags,
skin tones, keycaps), combining marks in and out of canonical order and text that NFC changes, fullwidth forms,
whitespace at the edges and in runs (spaces, tabs, \\n, \\r\\n, U+3000), literal and broken special-token text
(`<|im_end|>`, `<|endoftext|>`, `<|im_start|>`, `<|im_`), text that a Python f-string or `repr` renders in a
surprising way, JSON written with every kind of escape and number literal, very long texts that run into each
recipe's length limit, and very short or empty ones. Nothing here is tuned to prep's implementation.

Record shapes the oracle itself cannot take (it raises) are left out: a non-string text/instruction/output/turn
value (fudan's text and output excepted: its f-string takes any value), an alpaca input that Python calls true
but is not a string, a turn role other than human/assistant/gpt (or a system turn after the first), a missing key
the oracle indexes, a UTF-8 BOM (Python's json.loads refuses it), lone surrogates (HF tokenizers refuses them).

Files written to OUT_DIR (all deterministic for a given --seed and --records):
  fudan.jsonl       {"text", "category", "output"}: category a string, a list (repr-hostile strings, numbers,
                    booleans, null, nested values) or now and then another JSON value
  belle.jsonl       {"id", "conversations": [{"from", "value"}]}: leading non-human turns, several turns, empty
                    values, conversations long enough to be cut at 2048
  monkey.jsonl      {"text"}: empty texts included
  monkey_batch.jsonl  40,001 to 43,000 tiny {"text"} records (seed_compat's 40,000-document batches)
  alpaca.jsonl      {"instruction", "input", "output"}: input empty, absent or whitespace; cut by cutoff_len 1024
  alpaca.json       the same kind of records as one JSON array (pretty-printed or compact)
  alpaca_history.jsonl  alpaca records with LLaMA-Factory's `history` column ([[instruction, response], ...])
  chat.jsonl        {"messages": [{"role", "content"}]}: system, user, assistant (inline <think> reasoning in many
                    forms) and tool messages, for the Qwen3 chat template
  identity.json     LLaMA-Factory identity records: {{name}} / {{author}} placeholders and brace look-alikes
  manifest.json     seed, record counts, each record's byte offset in its file, three (name, author) pairs for
                    identity

Usage: make_records.py OUT_DIR [--seed 1] [--records 300]
"""
import argparse
import json
import os
import random
import re

# ---- text material ------------------------------------------------------------------------------------------

CJK_COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
    "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命"
    "此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求"
    "老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光"
    "门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速"
    "花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需"
)
KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞ" \
       "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴー・ッャュョ"
WORDS = {
    "zh": ["你好", "世界", "国家统计局", "人工智能", "中文字符", "繁體中文", "類型選型", "文本", "分类", "𠀋𠀍", "鿿", "〇"],
    "ja": ["日本語", "カタカナ", "ひらがな", "東京都", "ありがとう", "ｶﾀｶﾅ", "ﾃﾞｰﾀ", "ヴァイオリン", "きゃりー"],
    "ko": ["한국어", "안녕하세요", "각", "서울특별시", "ㄱㄴㄷ", "뷁", "\u1100\u1161\u11a8", "\u1112\u1161\u11ab"],
    "ar": ["مرحبا", "العربية", "السلام عليكم", "كِتَابٌ", "٣٤٥", "ﻻ", "\u0627\u0653"],
    "he": ["שלום", "עברית", "בְּרֵאשִׁית", "ישראל"],
    "hi": ["हिन्दी", "नमस्ते", "क़", "क्षत्रिय", "१२३", "\u0915\u093c"],
    "th": ["ภาษาไทย", "สวัสดีครับ", "กรุงเทพมหานคร", "๑๒๓", "น้ำ"],
    "ru": ["Пример", "тест", "Москва", "ёлка", "Й", "\u0418\u0306", "ПРИВЕТ"],
    "el": ["Ελλάδα", "Ωμέγα", "ἄνθρωπος", "ΣΊΣΥΦΟΣ", "\u03b1\u0301", "\u1f71"],
    "latin": ["naïve", "façade", "Straße", "İstanbul", "ǅemal", "Ærøskøbing", "e\u0301", "A\u030a", "\u212b", "\u212a",
              "ﬁnance", "Å", "o\u0308\u0304", "a\u0328\u0301", "a\u0301\u0328", "q\u0307\u0323", "ſ", "'ſ", "'S"],
    "en": ["the", "quick", "brown", "fox", "don't", "DON'T", "We'LL", "she'S", "I'M", "it'd", "x'y", "hello", "world",
           "Hello", "HTTP", "JSON", "naïveté", "co-operate", "e-mail", "U.S.A.", "3.14159", "2024-01-01", "1,000,000"],
    "emoji": ["😀", "👍🏽", "👩‍👩‍👧‍👦", "🏳️‍🌈", "🇨🇳🇺🇸", "🇯🇵", "❤️", "✌︎", "1️⃣", "🧑🏿‍🚀", "👨‍💻", "🫠", "🏴\U000e0067\U000e0062"
              "\U000e0073\U000e0063\U000e0074\U000e007f", "🤌🏻", "☺"],
    "fullwidth": ["Ｆｕｌｌｗｉｄｔｈ", "ＡＢＣ１２３", "！？", "（）", "：", "，", "　", "ｈｅｌｌｏ"],
    "marks": ["\u0301", "\u0301\u0301", "\u0323\u0307", "\u0307\u0323", "\u1ab0", "\u1dfa", "\u1df6", "\u0d00",
              "\u1abf", "\u0e47", "\u20dd", "\u0338", "=\u0338", "<\u0338", ">\u0338", "\u302a", "\u3099", "か\u3099",
              "\uf900", "\u2126", "\u0344", "\u0f73", "\u0958"],
    "code": ["def f(x):", "return x", "{\"a\": 1}", "a[i] = b;", "// TODO", "if (x < 0) {", "SELECT * FROM t;",
             "print('hi')", "\\n", "\\\\", "C:\\Users\\me", "https://example.com/a?b=c&d=e", "#include <stdio.h>"],
}
SPECIAL = ["<|im_end|>", "<|endoftext|>", "<|im_start|>", "<|im_start|>assistant\n", "<|im_end|>\n<|im_start|>user\n",
           "<|im_", "<|im_end", "|im_end|>", "<|endoftext", "<|im_start|", "< |im_end|>", "<|IM_END|>",
           "<|im_end|>\u0338", "<|endoftext|>\u0301", "<|im_end|><|im_end|>", "<think>", "</think>", "<|im_sep|>"]
BRACES = ["{text}", "{category}", "{output}", "{{", "}}", "{", "}", "{0}", "{x!r}", "%s", "{}", "$1", "\\1"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\n ", "\t\n", "   \n\n  ", "\u3000", "\xa0", "\r",
          "        ", "\n\n\n", " \t ", "\u2028", "\x0b", "\x0c", "\u200b", "\u200d", "\ufeff", "\u00ad"]
PUNCT = list(".,;:!?-—–…()[]{}\"'`~@#$%^&*_+=|\\/<>，。！？；：“”‘’（）【】《》、·")
# Category-list elements whose Python repr is not the string in quotes.
REPR_HOSTILE = ["Children's Books", "Art", 'Rock \'n\' "Roll"', "C:\\Users", "Economy\tLabour", 'say "hi"', "it's",
                "'", '"', "'\"", "\\", "\\'", "a\nb", "\r", "\x00", "\x1b[0m", "\x7f", "\x85", "\xa0", "\xad",
                "\u200b", "\u2028", "\u3000", "\ufeff", "\ufffd", "\U000e0001", "\U0001f600", "é", "e\u0301",
                "中文", "Ｆ", "\u0378", "\u0560", "\u0870", "\U0001fae8", "\u2e5d", "\U00031350", "\U000f0000", "",
                " ", "  lead", "trail  ", "{x}", "{{name}}", "None", "True", "[1, 2]"]
NUMBER_LITERALS = ["0", "-0", "1", "-7", "42", "12345678901234567890", "-9223372036854775809", "1.0", "-0.0",
                   "0.1", "1.5", "1e5", "1E400", "-1e400", "2.5e-7", "1.7976931348623157e308", "5e-324", "1e16",
                   "123456789012345678.5", "0.30000000000000004", "1e-5", "100.0", "3.0e2", "1E+2"]


def float_literal(rng):
    """A random JSON number: Python prints it as repr(float) or repr(int) would."""
    sign = rng.choice(["", "", "-"])
    digits = str(rng.randint(0, 10 ** rng.randint(0, 20)))
    if rng.random() < 0.3 and len(digits) > 1:
        digits = digits.lstrip("0") or "0"
    frac = "." + str(rng.randint(0, 10 ** rng.randint(0, 18))).zfill(rng.randint(1, 18)) if rng.random() < 0.7 else ""
    exp = rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(rng.randint(0, 330)) \
        if rng.random() < 0.5 else ""
    return sign + digits + frac + exp


def random_code_points(rng, n):
    """Code points from anywhere (no surrogates): Python's repr escapes the ones it does not call printable."""
    out = []
    while len(out) < n:
        c = rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF), rng.randint(0x3000, 0xFFFF),
                        rng.randint(0x10000, 0x3FFFF), rng.randint(0xE0000, 0x10FFFF)])
        if not 0xD800 <= c <= 0xDFFF:
            out.append(chr(c))
    return "".join(out)


class Raw:
    """A JSON literal written as is (number literals whose text matters)."""

    def __init__(self, text):
        self.text = text


class Obj:
    """A JSON object as a list of (key, value) pairs: key order chosen, duplicate keys possible."""

    def __init__(self, pairs):
        self.pairs = pairs


def cjk_run(rng, n):
    return "".join(rng.choice(CJK_COMMON) for _ in range(n))


def code_point_soup(rng, n):
    lo, hi = rng.choice([(0x0300, 0x036F), (0x0590, 0x05FF), (0x0600, 0x06FF), (0x0900, 0x097F), (0x0E00, 0x0E7F),
                         (0x1100, 0x11FF), (0x3040, 0x30FF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF),
                         (0x2000, 0x206F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF),
                         (0x20000, 0x2A6DF), (0xE000, 0xE0FF), (0x0080, 0x00FF)])
    return "".join(chr(rng.randint(lo, hi)) for _ in range(n))


def piece(rng, script):
    """One word-sized piece, mostly of the text's main script."""
    r = rng.random()
    if r < 0.55:
        if script == "zh":
            return cjk_run(rng, rng.randint(1, 12))
        if script == "ja" and rng.random() < 0.5:
            return "".join(rng.choice(KANA) for _ in range(rng.randint(1, 8)))
        return rng.choice(WORDS[script])
    if r < 0.70:
        return rng.choice(WORDS[rng.choice(list(WORDS))])
    if r < 0.76:
        return rng.choice(PUNCT) * rng.choice([1, 1, 1, 2, 3])
    if r < 0.81:
        return str(rng.randint(0, 10 ** rng.randint(1, 15)))
    if r < 0.86:
        return rng.choice(SPECIAL)
    if r < 0.89:
        return rng.choice(BRACES)
    if r < 0.93:
        return code_point_soup(rng, rng.randint(1, 6))
    if r < 0.96:
        return rng.choice(["a", " ", "\n", "=", "中", "😀", "\u0301", "-", "ab"]) * rng.randint(5, 120)
    return rng.choice(SPACES)


def text(rng, budget=None):
    """A text of about `budget` characters (drawn when None): empty, tiny, short, medium or very long."""
    if budget is None:
        r = rng.random()
        budget = (0 if r < 0.04 else rng.randint(1, 3) if r < 0.12 else rng.randint(4, 60) if r < 0.55
                  else rng.randint(60, 300) if r < 0.85 else rng.randint(300, 2500))
    if budget == 0:
        return ""
    script = rng.choice(["zh", "zh", "zh", "en", "en", "ja", "ko", "ar", "he", "hi", "th", "ru", "el", "latin"])
    joiner = "" if script in ("zh", "ja", "th") else " "
    parts, size = [], 0
    while size < budget:
        p = piece(rng, script)
        parts.append(p)
        size += len(p)
        if rng.random() < 0.75:
            sep = joiner if rng.random() < 0.8 else rng.choice(SPACES)
            parts.append(sep)
            size += len(sep)
    s = "".join(parts)
    if budget <= 3:
        s = s[:budget]
    if rng.random() < 0.2:
        s = rng.choice(SPACES) + s
    if rng.random() < 0.2:
        s = s + rng.choice(SPACES)
    return s


PLACEHOLDER = re.compile(r"\{\{[A-Za-z0-9_]+\}\}")


def without_placeholders(s, keep=()):
    """`s` with a brace taken off every {{identifier}} not in `keep`, until none is left: taking one off can make
    another (`{{{{x}}` -> `{{{x}}` still holds `{{x}}`), so it repeats."""
    while True:
        stray = [m for m in PLACEHOLDER.finditer(s) if m.group(0) not in keep]
        if not stray:
            return s
        m = stray[0]
        s = s[:m.start()] + s[m.start() + 1:]


def no_placeholder(rng, s):
    """Alpaca data without --set variables: a {{identifier}} would stop the run (recipe.placeholders: require)."""
    return without_placeholders(s)


# ---- JSON writing with every escape and number form ---------------------------------------------------------

SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class Writer:
    """JSON text of a value; per record, how much is written as \\u escapes is drawn at random."""

    def __init__(self, rng):
        self.rng = rng
        self.escape_share = 0.0
        self.ascii_share = 0.0
        self.slash = False
        self.gaps = ["", " "]

    def start_record(self, newlines=False):
        r = self.rng.random()
        self.escape_share = 0.0 if r < 0.7 else 1.0 if r < 0.8 else 0.15
        # now and then even ASCII letters of keys and values as \u escapes: "t\u0065xt" is the key "text"
        self.ascii_share = 0.0 if self.rng.random() < 0.88 else self.rng.choice([0.2, 1.0])
        self.slash = self.rng.random() < 0.1
        # white space between JSON tokens (a JSONL record stays on one line)
        self.gaps = ["", " "] if self.rng.random() < 0.85 else \
            ["", " ", "\t", "  "] + (["\n", "\r\n", "\n  "] if newlines else [])

    def gap(self):
        return self.rng.choice(self.gaps)

    def string(self, s):
        out = ['"']
        for ch in s:
            c = ord(ch)
            if ch in SHORT_ESCAPES:
                out.append(SHORT_ESCAPES[ch] if self.rng.random() < 0.8 else f"\\u{c:04x}")
            elif c < 0x20:
                out.append(f"\\u{c:04x}" if self.rng.random() < 0.5 else f"\\u{c:04X}")
            elif ch == "/" and self.slash:
                out.append("\\/")
            elif c < 0x80 and self.ascii_share and self.rng.random() < self.ascii_share:
                out.append(f"\\u{c:04x}" if self.rng.random() < 0.5 else f"\\u{c:04X}")
            elif c >= 0x80 and self.escape_share and self.rng.random() < self.escape_share:
                if c > 0xFFFF:
                    v = c - 0x10000
                    out.append(f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04x}")
                else:
                    out.append(f"\\u{c:04x}" if self.rng.random() < 0.5 else f"\\u{c:04X}")
            else:
                out.append(ch)
        out.append('"')
        return "".join(out)

    def value(self, v, indent=None, level=0):
        """JSON text of v; with indent, objects and arrays are spread over lines (a pretty-printed array file)."""
        if isinstance(v, Raw):
            return v.text
        if isinstance(v, str):
            return self.string(v)
        if v is None or isinstance(v, (bool, int, float)):
            return json.dumps(v)
        colon, comma = (": ", ", ") if self.rng.random() < 0.7 else (":", ",")
        if isinstance(v, list):
            body = [self.gap() + self.value(x, indent, level + 1) + self.gap() for x in v]
            opening, closing = "[", "]"
        else:
            pairs = v.pairs if isinstance(v, Obj) else list(v.items())
            body = [self.gap() + self.string(k) + self.gap() + colon + self.gap() + self.value(x, indent, level + 1)
                    + self.gap() for k, x in pairs]
            opening, closing = "{", "}"
        if not body:
            return opening + self.gap() + closing
        if indent is None:
            return opening + comma.join(body) + closing
        inner, outer = "\n" + " " * (indent * (level + 1)), "\n" + " " * (indent * level)
        return opening + ",".join(inner + b for b in body) + outer + closing


DECOY_VALUES = [None, True, 0, Raw("1E400"), Raw("-0.0"), [], ["text", "x"], "", "decoy <|im_end|>",
                Obj([]), Obj([("text", "nested decoy"), ("output", ["x"]), ("conversations", [])])]


def shuffled_pairs(rng, record, extras=(), duplicates=True):
    """The record's keys in random order, now and then an unused key or an object holding the same keys, and
    rarely a key written twice with a decoy value first (json.loads keeps the last value, at the first key's
    position)."""
    pairs = list(record.items()) + list(extras)
    if rng.random() < 0.05:
        pairs.append((rng.choice(["meta", "extra", "data", "x"]),
                      Obj([(k, rng.choice(DECOY_VALUES)) for k in record] + [("nested", Obj([("text", "d")]))])))
    rng.shuffle(pairs)
    if duplicates and rng.random() < 0.05:
        key = rng.choice(list(record))
        at = next(i for i, (k, _) in enumerate(pairs) if k == key)
        pairs.insert(rng.randint(0, at), (key, rng.choice(DECOY_VALUES)))
    return Obj(pairs)


# ---- records per recipe -------------------------------------------------------------------------------------

def category_value(rng):
    r = rng.random()
    if r < 0.6:
        return rng.choice(["Economy", "Sports", "中文", "体育", "Art", "Children's Books", ""]) if rng.random() < 0.5 \
            else text(rng, rng.randint(0, 40))
    if r < 0.95:
        items = []
        for _ in range(rng.randint(0, 6)):
            q = rng.random()
            if q < 0.45:
                items.append(rng.choice(REPR_HOSTILE))
            elif q < 0.7:
                items.append(text(rng, rng.randint(0, 20)))
            elif q < 0.76:
                items.append(Raw(rng.choice(NUMBER_LITERALS)))
            elif q < 0.8:
                items.append(Raw(float_literal(rng)))
            elif q < 0.82:
                items.append(random_code_points(rng, rng.randint(1, 6)))
            elif q < 0.9:
                items.append(rng.choice([True, False, None]))
            elif q < 0.95:
                items.append([rng.choice(REPR_HOSTILE), Raw(rng.choice(NUMBER_LITERALS))])
            else:
                keys = [rng.choice(REPR_HOSTILE) for _ in range(rng.randint(1, 3))]
                keys += [rng.choice(keys)] if rng.random() < 0.5 else []  # a repeated key: first place, last value
                items.append(Obj([(k, rng.choice([None, True, Raw("1.5"), "x", Raw(float_literal(rng))]))
                                  for k in keys]))
        return items
    return rng.choice([Raw(rng.choice(NUMBER_LITERALS)), Raw(float_literal(rng)), True, False, None,
                       Obj([("k", rng.choice(REPR_HOSTILE)), ("n", Raw("2.50"))])])


NON_STRINGS = [None, True, False, Raw("0"), Raw("-0.0"), Raw("42"), Raw("1e400"), Raw("2.50"), [], ["a", 'b"c'],
               Obj([]), Obj([("k", "v"), ("k", Raw("1"))])]


def fudan_record(rng, i):
    t = text(rng) if rng.random() < 0.9 else text(rng, rng.randint(600, 3000))  # long: cut at 384
    out = rng.choice(["Economy", "Sports", "体育", "Energy"]) if rng.random() < 0.5 else text(rng)
    # the oracle's f-string takes any value: a non-string text or output renders as Python's str()
    if rng.random() < 0.03:
        t = rng.choice(NON_STRINGS)
    if rng.random() < 0.03:
        out = rng.choice(NON_STRINGS)
    rec = {"text": t, "category": category_value(rng), "output": out}
    extras = [("id", i)] if rng.random() < 0.1 else []
    return shuffled_pairs(rng, rec, extras)


def belle_record(rng, i):
    turns = []
    lead = rng.random()
    if lead < 0.15:  # a leading system turn: the oracle drops it, LLaMA-Factory takes it as the system text
        turns.append({"from": "system", "value": text(rng) if rng.random() < 0.9 else ""})
    elif lead < 0.3:  # leading non-human turns: the oracle drops the first one only
        turns.append({"from": rng.choice(["gpt", "assistant"]), "value": text(rng)})
        if rng.random() < 0.3:
            turns.append({"from": rng.choice(["gpt", "assistant"]), "value": text(rng)})
    long_conversation = rng.random() < 0.12

    def value():
        return "" if rng.random() < 0.06 else text(rng, rng.randint(800, 2500)) if long_conversation else text(rng)

    shape = rng.random()
    if shape < 0.7:  # user/assistant pairs, what LLaMA-Factory accepts; sometimes none at all
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 6]) if rng.random() < 0.97 else 0):
            turns.append({"from": "human", "value": value()})
            turns.append({"from": rng.choice(["gpt", "assistant"]), "value": value()})
        if rng.random() < 0.1:  # ends with a user turn
            turns.append({"from": "human", "value": value()})
    else:  # any order
        for _ in range(rng.randint(1, 6)):
            turns.append({"from": rng.choice(["human", "gpt", "assistant"]), "value": value()})
    turn_pairs = []
    for t in turns:
        p = list(t.items())
        if rng.random() < 0.1:
            p.append(("markdown", rng.choice([None, True, "x"])))
        rng.shuffle(p)
        turn_pairs.append(Obj(p))
    rec = {"id": f"belle_{i:05d}" if rng.random() < 0.9 else text(rng, 8), "conversations": turn_pairs}
    return shuffled_pairs(rng, rec)


def monkey_batch_record(rng, i):
    """Tiny documents, many of them: seed_compat drops the remainder of every 40,000-document batch."""
    r = rng.random()
    t = "" if r < 0.2 else text(rng, rng.randint(1, 12)) if r < 0.97 else text(rng, rng.randint(100, 1000))
    return Obj([("text", t)])


def monkey_record(rng, i):
    rec = {"text": text(rng)}
    extras = [("source", text(rng, 6))] if rng.random() < 0.1 else []
    return shuffled_pairs(rng, rec, extras)


def alpaca_record(rng, i):
    big = rng.random()
    if big < 0.1:  # output long: target*2 >= cutoff
        instruction, output = text(rng), text(rng, rng.randint(1500, 4000))
    elif big < 0.18:  # prompt long
        instruction, output = text(rng, rng.randint(1500, 4000)), text(rng)
    elif big < 0.24:  # both long: the cutoff split in proportion
        instruction, output = text(rng, rng.randint(900, 3000)), text(rng, rng.randint(900, 3000))
    else:
        instruction, output = text(rng), text(rng)
    rec = {"instruction": no_placeholder(rng, instruction), "output": no_placeholder(rng, output)}
    r = rng.random()
    if r < 0.45:
        rec["input"] = ""
    elif r < 0.85:
        rec["input"] = no_placeholder(rng, text(rng))
    elif r < 0.92:
        rec["input"] = rng.choice([" ", "\n", "\t", "0", " \n"])
    elif r < 0.96:  # values Python calls false: the oracle's `if r.get("input")` leaves them out
        rec["input"] = rng.choice([None, False, Raw("0"), Raw("-0"), Raw("0.0"), Raw("-0.0"), Raw("0e5"),
                                   Raw("1e-400"), [], Obj([])])
    # else: no input key at all
    extras = []
    if rng.random() < 0.05:
        extras.append(("history", []))
    if rng.random() < 0.05:
        extras.append(("system", text(rng, 10)))
    return shuffled_pairs(rng, rec, extras)


def alpaca_history_record(rng, i):
    """An alpaca record with LLaMA-Factory's `history` column: earlier [instruction, response] pairs."""
    rec = alpaca_record(rng, i)
    r = rng.random()
    if r < 0.1:
        return rec
    history = None if r < 0.15 else [[no_placeholder(rng, text(rng)), no_placeholder(rng, text(rng))]
                                     for _ in range(rng.choice([0, 1, 1, 2, 3, 5]))]
    rec.pairs = [p for p in rec.pairs if p[0] != "history"]
    rec.pairs.insert(rng.randint(0, len(rec.pairs)), ("history", history))
    return rec


THINK_FORMS = ["<think>\n{r}\n</think>\n\n{a}", "<think>{r}</think>{a}", "{r}</think>{a}", "<think>\n\n</think>\n\n{a}",
               "</think>{a}", "{a}</think>", "<think>{r}</think>", "{r}</think>\n\n\n{a}\n", "<think>{r}", "{a}<think>",
               "\n\n<think>\n{r}\n\n</think>{a}", "{r}</think>{a}</think>{a}", "<think>{r}<think>{r}</think>{a}",
               "{a}", "{a}", "{a}", "\n{a}\n", "\n\n{a}"]


def chat_record(rng, i):
    """OpenAI messages for the Qwen3 chat template: an optional system message, user and assistant turns,
    assistant contents with inline <think> reasoning in every form the template splits, runs of tool messages,
    user messages wrapped as tool responses (not a query for the template), later system messages."""
    messages = []
    if rng.random() < 0.4:
        messages.append({"role": "system", "content": text(rng) if rng.random() < 0.9 else ""})
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
        user = text(rng)
        if rng.random() < 0.08:
            user = "<tool_response>" + text(rng, 20) + "</tool_response>"
        messages.append({"role": "user", "content": user})
        for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 3)):
            form = rng.choice(THINK_FORMS)
            content = form.replace("{r}", text(rng, rng.randint(0, 80))).replace("{a}", text(rng))
            messages.append({"role": "assistant", "content": content})
            if rng.random() < 0.12:
                for _ in range(rng.randint(1, 3)):
                    messages.append({"role": "tool", "content": text(rng, rng.randint(0, 40))})
        if rng.random() < 0.05:
            messages.append({"role": "system", "content": text(rng, 20)})
    if rng.random() < 0.1:  # ends with a user message
        messages.append({"role": "user", "content": text(rng)})
    return shuffled_pairs(rng, {"messages": [Obj(list(m.items())) for m in messages]})


# Values given with --set name=... / author=... (and the oracle's --name/--author). Left out: a name holding
# "{{author}}", which the oracle's second str.replace fills again and prep's single pass keeps as written.
IDENTITY_NAMES = ["PrepBot", "小助手", "Ünïcødé Bot", "O'Brien \"AI\"", "a\\b", "  spaced  ", "ＢＯＴ", "🤖 bot",
                  "<|im_end|>", "名字\n第二行", "e\u0301", "x", "[AI] helper", "{bot}", "{{name}}", "- item", "a: b",
                  "null", "123", "#1", "~"]
IDENTITY_AUTHORS = ["the prep team", "某某公司", "Ada & Co.", "", "{name}", "l'équipe", "\t", "👩‍💻 team", "{{name}}",
                    "[x, y]", "{a: 1}", "true", "'q'", "\"dq\""]
PLACEHOLDER_MIX = ["{{name}}", "{{author}}", "{{{name}}}", "{{name}}}", "{{{{name}}}}", "{{name}}{{author}}",
                   "{{name}}{{name}}", "{{ name }}", "{{}}", "{{na-me}}", "{name}", "{{name", "name}}", "{{author}",
                   "{{{{", "}}}}", "{{中文}}", "{{name}}的", "我是{{name}}", "by {{author}}."]


def identity_text(rng):
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(PLACEHOLDER_MIX) if rng.random() < 0.5 else text(rng, rng.randint(0, 30)))
    return no_stray_placeholder("".join(parts))


def no_stray_placeholder(s):
    """identity runs with only name and author set: any other {{identifier}} would stop the run."""
    return without_placeholders(s, keep=("{{name}}", "{{author}}"))


def identity_record(rng, i):
    rec = {"instruction": identity_text(rng), "input": "" if rng.random() < 0.8 else identity_text(rng),
           "output": identity_text(rng)}
    return shuffled_pairs(rng, rec)


# ---- files --------------------------------------------------------------------------------------------------

def write_jsonl(path, rng, writer, make, count):
    offsets = []
    with open(path, "wb") as f:
        pos = 0
        for i in range(count):
            writer.start_record()
            line = writer.value(make(rng, i))
            if rng.random() < 0.05:
                line = rng.choice([" ", "\t", "  "]) + line + rng.choice(["", " ", "\t"])
            head = b""
            if rng.random() < 0.03:
                head = rng.choice([b"\n", b"   \n", b"\t\n", b"\r\n"])  # blank lines between records
            data = line.encode("utf-8")
            end = b"\r\n" if rng.random() < 0.05 else b"\n"
            f.write(head)
            pos += len(head)
            offsets.append(pos)
            f.write(data + end)
            pos += len(data) + len(end)
    return offsets


def write_array(path, rng, writer, make, count, indent):
    offsets = []
    parts, pos = [], 0

    def emit(s):
        nonlocal pos
        b = s.encode("utf-8")
        parts.append(b)
        pos += len(b)

    emit("[")
    for i in range(count):
        writer.start_record(newlines=True)
        if i:
            emit(",")
        emit("\n" + " " * indent if indent else rng.choice(["", " ", "\n"]))
        offsets.append(pos)
        emit(writer.value(make(rng, i), indent=indent or None, level=1 if indent else 0))
    emit("\n]\n" if indent else "]")
    with open(path, "wb") as f:
        f.write(b"".join(parts))
    return offsets


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--records", type=int, default=300)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    manifest = {"seed": args.seed, "records": args.records, "files": {}}

    def rng_for(name):  # one stream per file: adding a recipe never changes another's records
        return random.Random(f"{args.seed}:{name}")

    plan = [("fudan.jsonl", fudan_record, None), ("belle.jsonl", belle_record, None),
            ("monkey.jsonl", monkey_record, None), ("monkey_batch.jsonl", monkey_batch_record, None),
            ("alpaca.jsonl", alpaca_record, None),
            ("alpaca.json", alpaca_record, "array"), ("chat.jsonl", chat_record, None), ("alpaca_history.jsonl", alpaca_history_record, None), ("identity.json", identity_record, "array")]
    for name, make, kind in plan:
        rng = rng_for(name)
        writer = Writer(rng)
        path = os.path.join(args.out_dir, name)
        count = args.records
        if name == "monkey_batch.jsonl":  # past one batch of 40,000 whatever --records says
            count = 40000 + rng.randint(1, 3000)
        if kind == "array":
            offsets = write_array(path, rng, writer, make, count, rng.choice([0, 2, 4]))
        else:
            offsets = write_jsonl(path, rng, writer, make, count)
        manifest["files"][name] = {"records": count, "offsets": offsets}
    rng = rng_for("identity-variables")
    manifest["identity"] = [{"name": rng.choice(IDENTITY_NAMES), "author": rng.choice(IDENTITY_AUTHORS)}
                            for _ in range(3)]
    with open(os.path.join(args.out_dir, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(plan)} files of {args.records} records to {args.out_dir} (seed {args.seed})")


if __name__ == "__main__":
    main()
