#!/usr/bin/env python3
"""Writes a seeded JSONL of adversarial multilingual text for `make conformance FILE=...`.

The dev corpus is mostly English and Chinese. This file mixes what it lacks, in documents of random length:
words of many scripts (Latin with diacritics, Cyrillic, Greek, Arabic, Hebrew, Devanagari, Bengali, Tamil, Thai,
Lao, Georgian, Armenian, Ethiopic, Hangul syllables and jamo, kana, CJK of several planes, Tibetan), runs of a
single script with no spaces, code-point soup from whole Unicode blocks (combining marks, compatibility and
half-width forms, symbols, private use, unassigned points), emoji with ZWJ sequences, skin tones and flags,
digits of many scripts, contractions in any case, every kind of whitespace and line break, literal and broken
special-token text, JSON escapes and very long runs. Nothing here is tuned to prep's implementation.

Usage: make_stress.py OUT [--docs 5000] [--seed 1]   (5,000 documents: about 24 MB)
"""
import argparse
import json
import random

BLOCKS = {
    "latin": (0x0041, 0x024F), "ipa": (0x0250, 0x02AF), "combining": (0x0300, 0x036F), "greek": (0x0370, 0x03FF),
    "cyrillic": (0x0400, 0x04FF), "armenian": (0x0531, 0x058F), "hebrew": (0x0591, 0x05F4),
    "arabic": (0x0600, 0x06FF), "syriac": (0x0710, 0x074F), "thaana": (0x0780, 0x07B1),
    "devanagari": (0x0900, 0x097F), "bengali": (0x0980, 0x09FE), "tamil": (0x0B82, 0x0BFA),
    "telugu": (0x0C00, 0x0C7F), "sinhala": (0x0D81, 0x0DF4), "thai": (0x0E01, 0x0E5B), "lao": (0x0E81, 0x0EDF),
    "tibetan": (0x0F00, 0x0FDA), "myanmar": (0x1000, 0x109F), "georgian": (0x10A0, 0x10FF),
    "jamo": (0x1100, 0x11FF), "ethiopic": (0x1200, 0x137C), "cherokee": (0x13A0, 0x13FD),
    "khmer": (0x1780, 0x17F9), "mongolian": (0x1800, 0x18AA), "latin_ext_add": (0x1E00, 0x1EFF),
    "greek_ext": (0x1F00, 0x1FFE), "punctuation": (0x2000, 0x206F), "super_sub": (0x2070, 0x209C),
    "currency": (0x20A0, 0x20C0), "letterlike": (0x2100, 0x214F), "number_forms": (0x2150, 0x218B),
    "arrows_math": (0x2190, 0x22FF), "box": (0x2500, 0x25FF), "dingbats": (0x2700, 0x27BF),
    "cjk_radicals": (0x2E80, 0x2FD5), "cjk_punct": (0x3000, 0x303F), "hiragana": (0x3041, 0x309F),
    "katakana": (0x30A0, 0x30FF), "bopomofo": (0x3105, 0x312F), "hangul_compat": (0x3131, 0x318E),
    "enclosed_cjk": (0x3200, 0x32FF), "cjk_compat": (0x3300, 0x33FF), "cjk_ext_a": (0x3400, 0x4DBF),
    "cjk": (0x4E00, 0x9FFF), "yi": (0xA000, 0xA48C), "hangul": (0xAC00, 0xD7A3), "private_use": (0xE000, 0xE0FF),
    "cjk_compat_ideo": (0xF900, 0xFAFF), "presentation": (0xFB00, 0xFDFF), "half_full": (0xFF00, 0xFFEF),
    "specials": (0xFFF0, 0xFFFD), "math_alnum": (0x1D400, 0x1D7FF), "emoji": (0x1F300, 0x1FAFF),
    "cjk_ext_b": (0x20000, 0x2A6DF), "tags": (0xE0000, 0xE007F), "plane_15": (0xF0000, 0xF00FF),
}
WORDS = [
    "naïve", "façade", "Ærøskøbing", "Straße", "İstanbul", "ǅemal", "Ωμέγα", "Пример", "тест", "Ελλάδα",
    "مرحبا", "العربية", "שלום", "हिन्दी", "নমস্কার", "தமிழ்", "ภาษาไทย", "ສະບາຍດີ", "ქართული", "Հայերեն",
    "አማርኛ", "한국어", "안녕하세요", "각", "カタカナ", "ひらがな", "日本語", "中文字符", "繁體中文", "𠀋𠀍", "བོད་ཡིག",
    "Ｆｕｌｌｗｉｄｔｈ", "ｶﾀｶﾅ", "ﬁnance", "Å", "K", "Ω", "é", "ñ", "가", "각",
    "don't", "DON'T", "We'LL", "she'S", "I'M", "they'Re", "it'd", "x'y", "'s", "''",
    "👩‍👩‍👧‍👦", "👍🏽", "🏳️‍🌈", "🇨🇳🇺🇸", "❤️", "✌︎", "1️⃣", "🧑🏿‍🚀",
    "٣٤٥", "१२३", "১২৩", "๑๒๓", "௧௨", "１２３", "①②", "Ⅻ", "½", "²³",
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<|im_start", "|im_end|>", "<|endoftext",
    "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2028", "\u2029", "\u0085", "\u3000", "\xa0",
]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n", "\n ", "\t\n", "   \n\n  ", "\u3000", "\xa0", "\x0b", "\x0c"]
PUNCT = list(".,;:!?-—–…()[]{}\"'`~@#$%^&*_+=|\\/<>，。！？；：“”‘’（）【】《》、·")


def soup(rng, n):
    name = rng.choice(list(BLOCKS))
    lo, hi = BLOCKS[name]
    out = []
    for _ in range(n):
        c = rng.randint(lo, hi)
        if 0xD800 <= c <= 0xDFFF:
            continue
        out.append(chr(c))
    return "".join(out)


def piece(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(WORDS)
    if r < 0.6:
        return soup(rng, rng.randint(1, 12))
    if r < 0.7:
        return rng.choice(PUNCT) * rng.randint(1, 3)
    if r < 0.78:
        return str(rng.randint(0, 10 ** rng.randint(1, 12)))
    if r < 0.85:
        # a long run of one script with no spaces (a whole CJK sentence is one pre-token)
        return soup(rng, rng.randint(20, 200))
    if r < 0.9:
        return rng.choice(WORDS) * rng.randint(2, 40)
    if r < 0.93:
        return rng.choice(["a", " ", "\n", "=", "ab", "中", "😀", "\u0301"]) * rng.randint(50, 3000)
    return rng.choice(SPACES)


def write_documents(default_docs, document, escaped_share):
    """The command line of the corpus makers here: OUT [--docs N] [--seed S]; one {"text"} line per `document(rng)`,
    written with JSON's \\u escapes for non-ASCII in `escaped_share` of the lines."""
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--docs", type=int, default=default_docs)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for _ in range(args.docs):
            text = document(rng)
            f.write(json.dumps({"text": text}, ensure_ascii=rng.random() < escaped_share) + "\n")


def document(rng):
    parts = []
    for _ in range(rng.randint(1, 60)):
        parts.append(piece(rng))
        if rng.random() < 0.6:
            parts.append(rng.choice(SPACES) if rng.random() < 0.3 else " ")
    return "".join(parts)


if __name__ == "__main__":
    write_documents(5000, document, 0.2)
