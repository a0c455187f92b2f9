#!/usr/bin/env python3
"""Writes a seeded JSONL of character-level fuzz for `make conformance FILE=...`.

`make_stress.py` mixes whole words and runs of one Unicode block. This file mixes at the level of single
characters instead: ASCII words, letters, digits and punctuation side by side with code points drawn from
the whole of Unicode (every plane, assigned or not, never a surrogate), apostrophes and contraction
suffixes next to non-ASCII letters, and every character the regex's `\\s` may or may not take (U+001C-001F,
U+0085, U+180E, U+200B, U+FEFF and the Unicode spaces) in runs of every length, in documents from a few bytes
to tens of kilobytes. ASCII text with a non-ASCII character at any offset exercises the border between the
ASCII fast paths and the general scanner. Nothing here is tuned to prep's implementation.

Usage: make_fuzz.py OUT [--docs 6000] [--seed 1]   (6,000 documents: about 5 MB)
"""
from make_stress import write_documents  # the same command line and output (this directory)

WORDS = ("the of and to in is was for on that with as by at from it an be this which or are not have had but "
         "were his her they you we I don't can't it's He'll We'VE she'D O'Neil rock'n'roll").split()
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", " \n", "\n\n", "\t \n", " \r\n ", "\x0b", "\x0c", "\x1c", "\x1d",
          "\x1e", "\x1f", "\x85", "\xa0", "\u1680", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f",
          "\u3000", "\u180e", "\u200b", "\ufeff"]
SUFFIXES = ["'s", "'S", "'ll", "'LL", "'ve", "'re", "'d", "'m", "'t", "\u2019s", "'x"]


def code_point(rng):
    r = rng.random()
    lo, hi = (0x80, 0x2FFF) if r < 0.5 else (0x3000, 0xFFFF) if r < 0.7 else (0x10000, 0x2FFFF) if r < 0.9 else (
        0x30000, 0x10FFFF)
    while True:
        c = rng.randint(lo, hi)
        if not 0xD800 <= c <= 0xDFFF:
            return chr(c)


def piece(rng):
    r = rng.random()
    if r < 0.35:
        word = rng.choice(WORDS)
        return word.upper() if rng.random() < 0.1 else word
    if r < 0.45:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 25)))
    if r < 0.55:
        return "".join(rng.choice(PUNCT) for _ in range(rng.randint(1, 6)))
    if r < 0.62:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 12)))
    if r < 0.80:
        # ASCII and any code point, character by character
        return "".join(code_point(rng) if rng.random() < 0.4 else rng.choice("aZ'9 .\n-_sTtd")
                       for _ in range(rng.randint(1, 12)))
    if r < 0.92:
        return rng.choice(SPACES) * rng.randint(1, 3)
    return rng.choice(SUFFIXES)


def document(rng):
    parts = []
    for _ in range(rng.randint(1, rng.choice([1, 3, 10, 40, 200, 1000]))):
        parts.append(piece(rng))
        if rng.random() < 0.7:
            parts.append(" ")
    text = "".join(parts)
    return text.strip() if rng.random() < 0.3 else text


if __name__ == "__main__":
    write_documents(6000, document, 0.3)
