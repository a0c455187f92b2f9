#ifndef PREP_CBYTECLASSES_H
#define PREP_CBYTECLASSES_H

// Class bitmaps of 64 ASCII bytes for the tokenizer's pre-token scanner: bit k of each map stands for
// byte k. SSE2 (every x86-64 CPU) compares 16 bytes at a time and gathers their high bits with one
// instruction; elsewhere the same maps come from 8-byte words.

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct {
  uint64_t letters;      // A-Z a-z
  uint64_t digits;       // 0-9
  uint64_t spaces;       // \t \n \v \f \r and the space
  uint64_t newlines;     // \n \r
  uint64_t blanks;       // the space
  uint64_t apostrophes;  // '
} prep_byte_classes;

// A mask of the bytes of the 64 at p that are not ASCII (bit k for byte k).
static inline uint64_t prep_non_ascii64(const uint8_t *p) {
#if defined(__SSE2__)
  uint64_t mask = 0;
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
    mask |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
  }
  return mask;
#else
  uint64_t mask = 0;
  for (int k = 0; k < 64; k++) mask |= (uint64_t)(p[k] >> 7) << k;
  return mask;
#endif
}

#if !defined(__SSE2__)
// The high bit of each byte of w (all below 0x80) in low...high.
static inline uint64_t prep_in_range8(uint64_t w, uint8_t low, uint8_t high) {
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  return ((w | highs) - low * ones) & (((uint64_t)high | 0x80) * ones - w) & highs;
}
// The high bits of the eight bytes of x as its eight low bits (byte k to bit k).
static inline uint64_t prep_gather8(uint64_t x) {
  return (((x >> 7) & 0x0101010101010101ull) * 0x0102040810204080ull) >> 56;
}
#endif

// The class maps of the 64 ASCII bytes at p (which must all be ASCII).
static inline prep_byte_classes prep_classify64(const uint8_t *p) {
  prep_byte_classes c = {0, 0, 0, 0, 0, 0};
#if defined(__SSE2__)
  // A byte is in [low, low + count) when byte + (0x80 - low), as a signed byte, is below -128 + count.
  const __m128i toLetter = _mm_set1_epi8((char)(0x80 - 'a')), letterEnd = _mm_set1_epi8((char)(-128 + 26));
  const __m128i toDigit = _mm_set1_epi8((char)(0x80 - '0')), digitEnd = _mm_set1_epi8((char)(-128 + 10));
  const __m128i toControl = _mm_set1_epi8((char)(0x80 - 0x09)), controlEnd = _mm_set1_epi8((char)(-128 + 5));
  const __m128i lowerBit = _mm_set1_epi8(0x20), blank = _mm_set1_epi8(' ');
  const __m128i lineFeed = _mm_set1_epi8('\n'), carriageReturn = _mm_set1_epi8('\r');
  const __m128i apostrophe = _mm_set1_epi8('\'');
  for (int k = 0; k < 4; k++) {
    __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
    int shift = 16 * k;
    __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, lowerBit), toLetter), letterEnd);
    __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, toDigit), digitEnd);
    __m128i isBlank = _mm_cmpeq_epi8(v, blank);
    __m128i space = _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(v, toControl), controlEnd), isBlank);
    __m128i newline = _mm_or_si128(_mm_cmpeq_epi8(v, lineFeed), _mm_cmpeq_epi8(v, carriageReturn));
    c.letters |= (uint64_t)(uint16_t)_mm_movemask_epi8(letter) << shift;
    c.digits |= (uint64_t)(uint16_t)_mm_movemask_epi8(digit) << shift;
    c.spaces |= (uint64_t)(uint16_t)_mm_movemask_epi8(space) << shift;
    c.newlines |= (uint64_t)(uint16_t)_mm_movemask_epi8(newline) << shift;
    c.blanks |= (uint64_t)(uint16_t)_mm_movemask_epi8(isBlank) << shift;
    c.apostrophes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, apostrophe)) << shift;
  }
#else
  for (int k = 0; k < 8; k++) {
    uint64_t w;
    memcpy(&w, p + 8 * k, 8);
    int shift = 8 * k;
    uint64_t blank = prep_in_range8(w, ' ', ' ');
    c.letters |= prep_gather8(prep_in_range8(w | 0x2020202020202020ull, 'a', 'z')) << shift;
    c.digits |= prep_gather8(prep_in_range8(w, '0', '9')) << shift;
    c.spaces |= prep_gather8(prep_in_range8(w, 0x09, 0x0D) | blank) << shift;
    c.newlines |= prep_gather8(prep_in_range8(w, '\n', '\n') | prep_in_range8(w, '\r', '\r')) << shift;
    c.blanks |= prep_gather8(blank) << shift;
    c.apostrophes |= prep_gather8(prep_in_range8(w, '\'', '\'')) << shift;
  }
#endif
  return c;
}

#endif
