#!/usr/bin/env python3
"""Writes the golden files of PrepTokenizer's tests from HF `tokenizers` running the Qwen3 tokenizer.json.

Run: /work/main/.venv/bin/python scripts/tokenizer/make_golden.py [.cache/tokenizer/qwen3]

fixtures/tokenizer/
  corpus.jsonl      {"text", "ids", "decoded"}: hand-written and generated texts (scripts, digits, contractions,
                    whitespace, NFC cases, added tokens, long runs, random strings, corpus snippets)
  codepoints.txt    "<first code point hex> <ids...>": the BMP (and every 7th scalar of planes 1-3, and all
                    of plane 14) in batches of 32, each scalar written as c + "x!" so the ids pin its class
  nfc.txt           "<input hex scalars>\t<HF NFC hex scalars>": every scalar HF's NFC changes, and
                    combining sequences
  decode.jsonl      {"ids", "text"}: HF decode of id lists, including ones that cut UTF-8 sequences
"""
import json
import os
import random
import sys
import unicodedata

from tokenizers import Tokenizer, normalizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOK_DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".cache", "tokenizer", "qwen3")
OUT = os.path.join(ROOT, "fixtures", "tokenizer")
tok = Tokenizer.from_file(os.path.join(TOK_DIR, "tokenizer.json"))
nfc = normalizers.NFC()
rng = random.Random(20261123)


def enc(text):
    return tok.encode(text, add_special_tokens=False).ids


def hand_written():
    t = []
    # English prose and contractions in any case.
    t += [
        "The quick brown fox jumps over the lazy dog.",
        "I'm sure you'll see that it's what they've done, isn't it? We'd've known.",
        "DON'T SHOUT! I'LL GO. HE'S HERE. THEY'RE BACK. WE'VE WON. I'M DONE. SHE'D SAY.",
        "Don'T mIx'Ll cAsE'S 'S 'T 'Re 'rE 'Ve 'M 'lL 'D",
        "'s 't 're 've 'm 'll 'd 'x 'sx 'ſ 'ſx 'ſt Boſ'ſ",
        "He said 'hello' and 'Sorry'. 'Sup? ''s '''t",
        "rock'n'roll o'clock y'all ma'am",
        "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
        "foolishness, it was the epoch of belief, it was the epoch of incredulity.",
        "  leading spaces", "trailing spaces   ", "\tTabbed\tline\t", "a  b   c    d",
        "line one\nline two\n\nline four\r\nwindows\r\rlone cr\r", "\n\n\n", "   \n  \n\t\n x",
        "end with spaces and newline  \n", "\u000bvertical\u000ctab and form feed\u0085NEL\u2028LS\u2029PS",
        "ideographic\u3000space\u3000\u3000here", "nbsp\u00a0here\u00a0\u00a0x", "\u2003em\u2009thin\u200bzw",
        "x \n", "x\u3000\n", "!!!\n\n", "?!\r\n", " !?", " \u3000!", "  !", "\t!", "a\u00a0\u00a0b",
        "",
        " ",
        "   ",
        "\n",
        "a",
    ]
    # CJK and other scripts.
    t += [
        "我们今天去公园玩了一整天，晚上回家吃饭。",
        "中华人民共和国成立于一九四九年十月一日。北京是中国的首都。",
        "這是繁體中文的句子，讓我們測試一下。臺灣、香港和澳門使用繁體字。",
        "日本語のテキストです。ひらがなとカタカナ、そして漢字を混ぜています。東京スカイツリー",
        "한국어 문장입니다. 한글은 세종대왕이 만들었습니다. 서울특별시",
        "Mixed 中文 and English, 日本語 too. 한국어도 있어요! 123 四五六",
        "مرحبا بالعالم! هذه جملة عربية مع تشكيل: بِسْمِ اللَّهِ الرَّحْمَٰنِ الرَّحِيمِ",
        "שלום עולם! זה משפט בעברית עם ניקוד: בְּרֵאשִׁית בָּרָא אֱלֹהִים",
        "สวัสดีครับ นี่คือประโยคภาษาไทย ที่มีวรรณยุกต์และสระ",
        "नमस्ते दुनिया! यह हिंदी वाक्य है। क़िला ज़मीन",
        "Привет, мир! Это русское предложение. Ёлка и ёжик.",
        "Γειά σου Κόσμε! Ελληνικά με τόνους: άέήίόύώ ΐΰ",
        "Tiếng Việt có nhiều dấu: Nguyễn, Trường, Đặng, ưở",
        "Ça va? Où est la bibliothèque? Naïve façade, crème brûlée.",
        "Größe, Straße, Äpfel, Öl, Übermut — ß ẞ",
        "ქართული ენა, Հայերեն լեզու, አማርኛ ቋንቋ, ᏣᎳᎩ",
        "தமிழ் மொழி, తెలుగు భాష, ಕನ್ನಡ ಭಾಷೆ, മലയാളം, বাংলা ভাষা, ਪੰਜਾਬੀ, ગુજરાતી, ଓଡ଼ିଆ",
        "ພາສາລາວ, ភាសាខ្មែរ, မြန်မာဘာသာ, བོད་ཡིག, ᠮᠣᠩᠭᠣᠯ",
    ]
    # Digits of several scripts.
    t += [
        "2024-11-23 12:34:56.789 1,000,000 3.14159 -42 +7 1e10 0x1F",
        "Arabic-Indic ٠١٢٣٤٥٦٧٨٩ extended ۰۱۲۳۴۵۶۷۸۹ Devanagari ०१२३४५६७८९",
        "fullwidth ０１２３４５６７８９ ＡＢＣ superscripts ¹²³⁴⁵ subscripts ₁₂₃ fractions ½ ⅓ ¾",
        "Roman Ⅰ Ⅱ Ⅲ Ⅳ Ⅻ ⅰⅱⅲ circled ①②③ ⑴ ⒈ Thai ๑๒๓ Bengali ১২৩ Chinese 〇一二三 Ⅹ",
        "x²+y²=z² H₂O 10⁻³ 𝟏𝟐𝟑 🄀 ①",
    ]
    # Emoji.
    t += [
        "Emoji 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇺🇸🇨🇳🇯🇵 ❤️ ☺︎ 🧑🏿‍💻 1️⃣ #️⃣",
        "👋🏻👋🏼👋🏽👋🏾👋🏿 🫠🫡🪿 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    ]
    # Text NFC changes.
    t += [
        "cafe\u0301 re\u0301sume\u0301 nai\u0308ve A\u030a \u212b \u212a Kelvin \u2126 Ohm",
        "e\u0301\u0323 e\u0323\u0301 a\u0328\u0301 o\u031b\u0323 \u1e0b\u0323 q\u0307\u0323",
        "\u1100\u1161\u11a8 \u1100\u1161 \u1112\u1175\u11ab\u1100\u1173\u11af \u110b\u1163\u11bc \uac00\u11a8",
        "\u1100\u1176 \u1100\uac00\u11a8 \u115f\u1160 \u11a7",
        "CJK compatibility \uf900\uf901\uf902 \ufa10 \ufa11 \U0002f800\U0002f801 \u2f00",
        "\u0344 \u0340 \u0341 \u0343 \u0374 \u037e \u0387 \u0f73 \u0f75 \u0f81",
        "Marks after Unicode 9: a\u1ab0\u0301 a\u0301\u1ab0 a\u1dfa\u0301 a\u1df9 x\u0c3c\u0301 \u0d81 \u1e08\u0300",
        "a\u08d3\u0301 a\u0301\u08d3 a\u0ebc\u0301 a\U00016ff0\u0301 \U00011c3f a\U0001e944\u0301",
        "\u0915\u093c \u0958 \u09cb \u09c7\u09be \u0b48 \u0b47\u0b56 \u0cca \u0cc6\u0cc2\u0cd5 \u0dda \u0dd9\u0dca",
        "\u1b3b \u1b3a\u1b35 \u0e4d\u0e32 \u0ec8 \u3099\u304b \u304b\u3099 \u30cf\u309a \uff8a\uff9f",
        "\u05d1\u05bc\u05b0 \u05e9\u05c1\u05bc \u05e9\u05bc\u05c1 \ufb2c \u0627\u0653 \u0627\u0654 \u0648\u0654 \u064a\u0654",
        "\u00c5\u0301 A\u030a\u0301 \u01fa \u1e9b\u0323 \u0073\u0323\u0307 \u1e69",
        "\u0301 starts with a mark, \u0308\u0301\u0302 three marks",
    ]
    # Added tokens, literal and partial.
    t += [
        "<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n<think>\nhmm\n</think>\n\nHi<|im_end|>",
        "<|im_end|><|im_end|><|endoftext|><|im_start|>",
        "<|im_end <|im_end| <|im_end|> <|im_end|x <|im_start|>\n<|",
        "text<|endoftext|>more text<think></think><tool_call>{\"a\": 1}</tool_call>",
        "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>return 1<|fim_pad|><|repo_name|>x<|file_sep|>",
        "<|vision_start|><|image_pad|><|vision_end|><|box_start|>(1,2)<|box_end|><|quad_start|><|quad_end|>",
        "<tool_response>ok</tool_response> <|object_ref_start|>x<|object_ref_end|> <|video_pad|><|vision_pad|>",
        "<<|im_end|>> <|<|im_end|>|> <think><think> </think</think>",
        "<|im_end|>\u0301 e<|im_end|>\u0301 \u1100<|endoftext|>\u1161",
        " <|im_end|> ", "\n<|im_end|>\n", "<|IM_END|> <|Im_End|>", "<tHink> <think >",
    ]
    # Code and markup.
    t += [
        "def main():\n    for i in range(10):\n        print(f\"{i:>3}\")  # comment\n\treturn None\n",
        "<html><body><p class=\"x\">Hello &amp; welcome</p></body></html>",
        "SELECT * FROM users WHERE id = 42 AND name LIKE '%o''brien%';",
        "{\"key\": [1, 2.5, true, null], \"nested\": {\"a\": \"b\\n\"}}",
        "https://example.com/path?query=1&x=y#frag user@mail.example.org C:\\Windows\\System32",
        "    indented\n        more\n\n\n    back   \n\t\t tabs+space \t \n",
        "a!b@c#d$e%f^g&h*i(j)k_l+m=n[o]p{q}r|s\\t;u:v'w\"x,y<z>.?/~`",
        "...---... !!! ??? ,,, ;;; ::: --- ___ *** ### ``` '''",
    ]
    # Long runs.
    t += ["a" * 10000, "中" * 5000, " " * 3000, "\n" * 2000, "ab" * 3000, "的" * 4000 + "了",
          "x" + " " * 1000 + "y", "1" * 3000, "!" * 3000, "\u3000" * 500 + "中", "é" * 2000,
          "e\u0301" * 1000, "ha" * 2000 + "\n" * 3, "\t" * 500 + "\n" * 500 + " " * 500]
    return t


def random_texts():
    t = []
    pools = [
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t'!?.,;:-_\"()[]{}<>|/\\@#$%^&*+=~`",
        "中文日本語한국어的一是不了人我在有他这为之大来以个中上们ひらがなカタカナ",
        " \t\n\r\u000b\u000c\u0085\u00a0\u1680\u2000\u2001\u200a\u2028\u2029\u202f\u205f\u3000\u200b",
        "'sStTmMdDrReEvVlLſ",
        "\u0301\u0300\u0323\u0308\u0327\u030a\u0345\u05b0\u05bc\u064b\u0651\u093c\u094d\u0e38\u0e48\u1ab0"
        "\u1dfa\u3099\u309a\u1161\u11a8\u1100",
        "aeiouAEIOUéüñçÅΩω",
        "😀👍🏽‍❤️🇺🇸\ufe0f\u200d",
        "<|im_end|>",
    ]
    for k in range(600):
        n = rng.randint(1, 80)
        chunks = []
        for _ in range(n):
            pool = rng.choice(pools)
            if pool == "<|im_end|>" and rng.random() < 0.5:
                chunks.append(rng.choice(["<|im_end|>", "<|im_start|>", "<think>", "<|endoftext|>", "<|im_"]))
            else:
                chunks.append(rng.choice(pool))
        t.append("".join(chunks))
    # Random scalars from the whole range (no surrogates).
    for k in range(300):
        chars = []
        for _ in range(rng.randint(1, 40)):
            while True:
                c = rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x7FF), rng.randint(0x800, 0xFFFF),
                                rng.randint(0x10000, 0x10FFFF)])
                if not 0xD800 <= c < 0xE000:
                    break
            chars.append(chr(c))
        t.append("".join(chars))
    return t


def corpus_snippets():
    path = "/work/corpus/monkey_dev.jsonl"
    t = []
    if not os.path.exists(path):
        return t
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()
    for k in range(300):
        text = json.loads(lines[rng.randrange(len(lines))])["text"]
        start = rng.randrange(max(1, len(text) - 400))
        t.append(text[start:start + rng.randint(50, 400)])
    return t


def write_corpus():
    texts = hand_written() + random_texts() + corpus_snippets()
    with open(os.path.join(OUT, "corpus.jsonl"), "w", encoding="utf-8") as f:
        for text in texts:
            ids = enc(text)
            decoded = tok.decode(ids, skip_special_tokens=False)
            f.write(json.dumps({"text": text, "ids": ids, "decoded": decoded}, ensure_ascii=False) + "\n")
    return len(texts)


def code_point_batches():
    starts = list(range(0, 0x10000, 32))
    extra = [c for c in range(0x10000, 0x40000, 7)] + list(range(0xE0000, 0xE0200))
    batches = []
    for s in starts:
        cps = [c for c in range(s, s + 32) if not 0xD800 <= c < 0xE000]
        if cps:
            batches.append(cps)
    for i in range(0, len(extra), 32):
        batches.append(extra[i:i + 32])
    return batches


def write_codepoints():
    lines = []
    for cps in code_point_batches():
        text = "".join(chr(c) + "x!" for c in cps)
        ids = enc(text)
        lines.append(" ".join([",".join(f"{c:X}" for c in cps)] + [str(i) for i in ids]))
    with open(os.path.join(OUT, "codepoints.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def hexs(s):
    return " ".join(f"{ord(c):X}" for c in s)


def write_nfc():
    pairs = []
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        out = nfc.normalize_str(ch)
        if out != ch:
            pairs.append((ch, out))
    marks = [chr(c) for c in range(0x300, 0x370)] + [chr(c) for c in range(0x591, 0x5c8)] + \
        [chr(c) for c in range(0x610, 0x620)] + [chr(c) for c in range(0x64b, 0x660)] + \
        list("\u093c\u094d\u0951\u0952\u09bc\u09be\u09d7\u0b3e\u0b56\u0b57\u0bbe\u0bd7\u0c56\u0cc2\u0cd5\u0cd6"
             "\u0d3e\u0d57\u0dca\u0dcf\u0ddf\u0e38\u0e39\u0e3a\u0e48\u0f71\u0f72\u0f74\u0f80\u102e\u1035\u1b35"
             "\u1ab0\u1ab5\u1abd\u1dc0\u1de7\u1df5\u1df6\u1df9\u1dfa\u1dfb\u1dff\u20d0\u20e1\u302a\u302f\u3099\u309a"
             "\ufe20\ufe2f\U000101fd\U0001d165\U0001d16d\U0001e944\U00016ff0\u08d3\u08e3\u0c3c\u0ebc"
             "\u1161\u1175\u11a8\u11c2\u0345")
    bases = list("aeiouAEIOUcnsyzwkKlLrRgGhH") + ["\u1100", "\u1112", "\uac00", "\uac01", "\u0915", "\u09c7",
                                                    "\u0b47", "\u0bc6", "\u0cc6", "\u0dd9", "\u05d0", "\u05e9",
                                                    "\u0627", "\u0648", "\u1025", "\u1b05", "\u304b", "\u30cf",
                                                    "\u00c5", "\u00e9", "\u01b0", "\u03b1", "\u0391", "\u1f00",
                                                    "\u0418", "\u0435", "\u2260", "\u212b", "\u0f40", "\u0fb2"]
    for k in range(6000):
        s = "".join(rng.choice(bases) if rng.random() < 0.3 else rng.choice(marks) for _ in range(rng.randint(1, 7)))
        pairs.append((s, nfc.normalize_str(s)))
    with open(os.path.join(OUT, "nfc.txt"), "w") as f:
        for a, b in pairs:
            f.write(hexs(a) + "\t" + hexs(b) + "\n")
    return len(pairs)


def write_decode():
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    rows = []
    samples = ["Hello world", "中文测试", "😀👍🏽", "e\u0301", "<|im_start|>user\nhi<|im_end|>", "Ça va?",
               "\ufffd", "a\u0000b"]
    for s in samples:
        ids = enc(s)
        rows.append(ids)
        for cut in range(1, len(ids)):
            rows.append(ids[:cut])
            rows.append(ids[cut:])
    # Byte tokens alone and in odd orders (lone continuation bytes, truncated sequences, overlong leads).
    byte_ids = [tok.token_to_id(t) for t in [chr(c) for c in range(0x21, 0x7F)]]
    for k in range(400):
        rows.append([rng.randrange(vocab_size) for _ in range(rng.randint(1, 12))])
    for k in range(200):
        rows.append([rng.randrange(151643) for _ in range(rng.randint(1, 6))])
    # Every single-byte token and every id below 300 alone.
    for i in range(300):
        rows.append([i])
    rows.append([151643, 151644, 151668])
    with open(os.path.join(OUT, "decode.jsonl"), "w", encoding="utf-8") as f:
        for ids in rows:
            f.write(json.dumps({"ids": ids, "text": tok.decode(ids, skip_special_tokens=False)},
                               ensure_ascii=False) + "\n")
    return len(rows)


def main():
    os.makedirs(OUT, exist_ok=True)
    print("corpus", write_corpus())
    print("codepoints", write_codepoints())
    print("nfc", write_nfc())
    print("decode", write_decode())


if __name__ == "__main__":
    main()
