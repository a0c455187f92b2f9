#!/usr/bin/env python3
"""Derives the Unicode tables of PrepTokenizer from HF `tokenizers` itself and writes
Sources/PrepTokenizer/UnicodeTables.generated.swift.

HF runs the Qwen pre-tokenizer regex with Oniguruma and normalizes with the
`unicode-normalization-alignments` crate; both carry their own (older) Unicode tables, which differ
from Swift's and Python's current ones. So every fact here is measured by running HF on probes:

- the pre-tokenizer class of every scalar (letter, number, whitespace, CR/LF, other), from how the
  Split regex cuts `x?x`, `?!` and `??x`;
- which scalars fold to the letters of the case-insensitive contractions `(?i:'s|'t|'re|'ve|'m|'ll|'d)`;
- which canonical decompositions, combining classes and compositions HF's NFC knows (mappings and
  class values come from Python's unicodedata, kept only where HF's NFD/NFC shows it knows them);
- which scalars the `regex` crate's `\w` and `\s` match, as the added-token options see them: a
  `single_word` token after the scalar is kept only when it is no `\w`, and an `lstrip` token takes the
  scalar before it only when it is `\s`.

Run: /work/main/.venv/bin/python scripts/tokenizer/make_unicode_tables.py   (about 30 s)
"""
import os
import sys
import unicodedata

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, normalizers, pre_tokenizers

PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Sources", "PrepTokenizer", "UnicodeTables.generated.swift")

OTHER, LETTER, NUMBER, SPACE, NEWLINE = 0, 1, 2, 3, 4

split = pre_tokenizers.Split(Regex(PATTERN), "isolated")
nfc = normalizers.NFC()
nfd = normalizers.NFD()


def pieces(s):
    return [p for p, _ in split.pre_tokenize_str(s)]


def scalars():
    for c in range(0x110000):
        if 0xD800 <= c < 0xE000:
            continue
        yield c


def classify(c):
    ch = chr(c)
    a = pieces("x" + ch + "x")
    if a == ["x" + ch + "x"]:
        return LETTER
    if a == ["x", ch + "x"]:
        b = pieces(ch + ch + "!")  # (U+0020 + "!" alone would be one ` ?[^\s...]+` piece)
        if b == [ch + ch + "!"]:
            return OTHER
        if b in ([ch, ch + "!"], [ch, ch, "!"]):
            return SPACE
        raise SystemExit(f"U+{c:04X}: unexpected {b}")
    if a == ["x", ch, "x"]:
        b = pieces(ch + ch + "x")
        if b == [ch, ch, "x"]:
            return NUMBER
        if b == [ch + ch, "x"]:
            return NEWLINE
        raise SystemExit(f"U+{c:04X}: unexpected {b}")
    raise SystemExit(f"U+{c:04X}: unexpected {a}")


def boundaries(members):
    """Each value flips membership, starting outside."""
    out = []
    prev = False
    for c in range(0x110000):
        v = c in members
        if v != prev:
            out.append(c)
            prev = v
    return out


def added_token_classes():
    """The scalars `\\w` and `\\s` of the added-token options match, measured on HF (any tokenizer file will do:
    the options are the added vocabulary's, before any model runs)."""
    path = os.environ.get("PREP_TOKENIZER", os.path.join(ROOT, ".cache", "tokenizer", "qwen3"))
    tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
    tok.add_tokens([AddedToken("<SW>", single_word=True, normalized=False),
                    AddedToken("<LS>", lstrip=True, normalized=False)])
    sw = tok.token_to_id("<SW>")
    ls = tok.token_to_id("<LS>")
    chars = [chr(c) for c in scalars()]
    word = set()
    for ch, enc in zip(chars, tok.encode_batch([ch + "<SW>" for ch in chars], add_special_tokens=False)):
        if sw not in enc.ids:
            word.add(ord(ch))
    space = set()
    for ch, enc in zip(chars, tok.encode_batch(["a" + ch + "<LS>" for ch in chars], add_special_tokens=False)):
        start = enc.offsets[enc.ids.index(ls)][0]
        assert start in (1, 1 + len(ch)), (hex(ord(ch)), enc.offsets)
        if start == 1:
            space.add(ord(ch))
    return word, space


def main():
    classes = {}
    for c in scalars():
        classes[c] = classify(c)
    newline = sorted(c for c, k in classes.items() if k == NEWLINE)
    assert newline == [0x0A, 0x0D], newline
    # Surrogates never occur in valid UTF-8; call them "other".
    runs = []
    prev = None
    for c in range(0x110000):
        k = classes.get(c, OTHER)
        if k != prev:
            runs.append((c, k))
            prev = k

    # Contraction folds: which scalars Oniguruma's (?i:...) takes for each letter.
    single = {}  # scalar -> set of letters it can stand for
    letters = ["s", "t", "m", "d", "r", "v", "l", "e"]
    for c in scalars():
        ch = chr(c)
        if classes[c] != LETTER:
            continue  # a contraction letter is a letter; other scalars after ' make punctuation runs
        p = pieces("'" + ch + "x")
        if p[0] == "'" + ch and len(p) > 1:
            single.setdefault(c, set()).add("stmd")  # one of 's 't 'm 'd, or a scalar folding to two letters
        p = pieces("'" + ch + "ex")
        if p[0] == "'" + ch + "e" and len(p) > 1:
            single.setdefault(c, set()).add("rv")
        p = pieces("'" + ch + "lx")
        if p[0] == "'" + ch + "l" and len(p) > 1:
            single.setdefault(c, set()).add("l")
        p = pieces("'r" + ch + "x")
        if p[0] == "'r" + ch and len(p) > 1:
            single.setdefault(c, set()).add("e")
        p = pieces("'l" + ch + "x")
        if p[0] == "'l" + ch and len(p) > 1:
            single.setdefault(c, set()).add("l2")
    folds = []
    for c, kinds in sorted(single.items()):
        # Name the ASCII letter the scalar stands for, from its simple case folding.
        f = chr(c).casefold()
        if f == "ſ":
            f = "s"
        if c == 0x17F:
            f = "s"
        assert len(f) == 1 and f in "stmdrvle", (hex(c), f, kinds)
        expect = {"s": {"stmd"}, "t": {"stmd"}, "m": {"stmd"}, "d": {"stmd"}, "r": {"rv"}, "v": {"rv"},
                  "l": {"l", "l2"}, "e": {"e"}}[f]
        assert kinds == expect, (hex(c), f, kinds)
        folds.append((c, ord(f)))
    # A scalar folding to two letters ('ll' from one scalar) would show up as stmd with a multi-letter fold;
    # the assertion above rules that out.

    # NFC as HF knows it.
    decomp = []
    ccc = []
    comps = []
    known_decomp = set()
    for c in scalars():
        if 0xAC00 <= c <= 0xD7A3:
            continue  # Hangul syllables: algorithmic
        ch = chr(c)
        if nfd.normalize_str(ch) != ch:
            m = unicodedata.decomposition(ch)
            assert m and not m.startswith("<"), hex(c)
            parts = [int(x, 16) for x in m.split()]
            assert len(parts) in (1, 2)
            known_decomp.add(c)
            decomp.append((c, parts[0], parts[1] if len(parts) == 2 else 0))
            if len(parts) == 2 and nfc.normalize_str(ch) == ch:
                comps.append((parts[0], parts[1], c))
    for c in scalars():
        k = unicodedata.combining(chr(c))
        if k == 0:
            continue
        ch = chr(c)
        if c in known_decomp:
            ccc.append((c, k))
            continue
        m = "\u0301" if k != 230 else "\u0316"
        km = unicodedata.combining(m)
        if k > km:
            known = nfd.normalize_str("a" + ch + m) == "a" + m + ch
        else:
            known = nfd.normalize_str("a" + m + ch) == "a" + ch + m
        if known:
            ccc.append((c, k))
    # Scalars whose ccc HF does not know must not be reordered by it either way.
    cccset = dict(ccc)
    seconds = set(b for _, b, _ in comps)
    needs = set()
    for c in scalars():
        ch = chr(c)
        if cccset.get(c, 0) != 0 or c in seconds or (0x1161 <= c <= 0x1175) or (0x11A8 <= c <= 0x11C2):
            needs.add(c)
        elif nfc.normalize_str(ch) != ch:
            needs.add(c)
    need_runs = boundaries(needs)

    word, space = added_token_classes()

    def hexlist(values, per=10):
        lines = []
        for i in range(0, len(values), per):
            lines.append("    " + ", ".join(f"0x{v:X}" for v in values[i:i + per]) + ",")
        return "\n".join(lines)

    out = []
    out.append("// Generated by scripts/tokenizer/make_unicode_tables.py from HF tokenizers "
               f"{tokenizers.__version__} (Python unicodedata {unicodedata.unidata_version}). Do not edit.")
    out.append("")
    out.append("/// Unicode facts measured on HF `tokenizers` (Oniguruma regex classes, its NFC tables).")
    out.append("enum GeneratedUnicodeTables {")
    out.append("  /// Pre-tokenizer class runs, `start << 3 | class` (0 other, 1 letter, 2 number, 3 whitespace,")
    out.append("  /// 4 CR or LF), sorted by start, covering 0...0x10FFFF.")
    out.append("  static let classRuns: [UInt32] = [")
    out.append(hexlist([(s << 3) | k for s, k in runs]))
    out.append("  ]")
    out.append("  /// Scalars the case-insensitive contractions accept for a letter: `scalar << 8 | ASCII letter`.")
    out.append("  static let contractionFolds: [UInt32] = [")
    out.append(hexlist([(c << 8) | f for c, f in folds]))
    out.append("  ]")
    out.append("  /// Nonzero canonical combining classes HF's NFC knows: `scalar << 8 | class`.")
    out.append("  static let combiningClasses: [UInt32] = [")
    out.append(hexlist([(c << 8) | k for c, k in ccc]))
    out.append("  ]")
    out.append("  /// Canonical decompositions HF's NFC knows, one level: scalar, first, second (0 for a singleton).")
    out.append("  static let decompositions: [UInt32] = [")
    out.append(hexlist([v for t in decomp for v in t], 12))
    out.append("  ]")
    out.append("  /// Primary composites HF's NFC builds: first, second, composite.")
    out.append("  static let compositions: [UInt32] = [")
    out.append(hexlist([v for t in comps for v in t], 12))
    out.append("  ]")
    out.append("  /// Boundaries of the runs of scalars NFC may change (not quick-check Yes with class 0), starting")
    out.append("  /// with a run that does not need work: each value flips the state.")
    out.append("  static let nfcWorkBoundaries: [UInt32] = [")
    out.append(hexlist(need_runs))
    out.append("  ]")
    out.append("  /// Boundaries of the runs of scalars the `regex` crate's `\\w` matches in the added-token options")
    out.append("  /// (`single_word`), starting outside: each value flips the state.")
    out.append("  static let wordBoundaries: [UInt32] = [")
    out.append(hexlist(boundaries(word)))
    out.append("  ]")
    out.append("  /// The same for its `\\s` (`lstrip`, `rstrip`).")
    out.append("  static let whiteSpaceBoundaries: [UInt32] = [")
    out.append(hexlist(boundaries(space)))
    out.append("  ]")
    out.append("}")
    with open(OUT, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"{len(runs)} class runs, {len(folds)} folds {[(hex(c), chr(f)) for c, f in folds]}, {len(ccc)} ccc, "
          f"{len(decomp)} decompositions, {len(comps)} compositions, {len(need_runs)} nfc boundaries, "
          f"{len(word)} word and {len(space)} whitespace scalars", file=sys.stderr)


if __name__ == "__main__":
    main()
