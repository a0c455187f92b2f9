// SHA-256 block function on the x86 SHA extensions (SHA-NI), with a runtime check; written for prep.
//
// The state lives in two registers the way the sha256rnds2 instruction wants it: one holds (a, b, e, f) and the
// other (c, d, g, h), each with the first-named word in the highest lane. Each group of four rounds adds the round
// constants to four message words, runs two rounds with the low half and two with the high half, and, for the first
// twelve groups, extends the message schedule by four words with sha256msg1/msg2.
#include "csha256.h"

static const uint32_t round_constants[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

const uint32_t *prep_sha256_round_constants(void) { return round_constants; }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
  // Big-endian words: reverse the bytes within each 32-bit lane.
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i lo = _mm_loadu_si128((const __m128i *)&state[0]);  // lanes: a b c d
  __m128i hi = _mm_loadu_si128((const __m128i *)&state[4]);  // lanes: e f g h
  lo = _mm_shuffle_epi32(lo, 0xB1);                           // b a d c
  hi = _mm_shuffle_epi32(hi, 0x1B);                           // h g f e
  __m128i abef = _mm_alignr_epi8(lo, hi, 8);                  // f e b a
  __m128i cdgh = _mm_blend_epi16(hi, lo, 0xF0);               // h g d c
  while (blocks > 0) {
    const __m128i abef_start = abef;
    const __m128i cdgh_start = cdgh;
    __m128i w[4];
    for (int i = 0; i < 4; i++) {
      w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byte_swap);
    }
    for (int group = 0; group < 16; group++) {
      // w[group % 4] holds message words 4*group ... 4*group + 3.
      __m128i k = _mm_loadu_si128((const __m128i *)&round_constants[4 * group]);
      __m128i wk = _mm_add_epi32(w[group & 3], k);
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      wk = _mm_shuffle_epi32(wk, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
      if (group < 12) {
        // Words t = 4*group + 16 ... + 19: W[t-16] + s0(W[t-15]), + W[t-7], then + s1(W[t-2]).
        __m128i next = _mm_sha256msg1_epu32(w[group & 3], w[(group + 1) & 3]);
        next = _mm_add_epi32(next, _mm_alignr_epi8(w[(group + 3) & 3], w[(group + 2) & 3], 4));
        w[group & 3] = _mm_sha256msg2_epu32(next, w[(group + 3) & 3]);
      }
    }
    abef = _mm_add_epi32(abef, abef_start);
    cdgh = _mm_add_epi32(cdgh, cdgh_start);
    data += 64;
    blocks--;
  }
  __m128i t = _mm_shuffle_epi32(abef, 0x1B);                  // a b e f
  cdgh = _mm_shuffle_epi32(cdgh, 0xB1);                       // g h c d
  lo = _mm_blend_epi16(t, cdgh, 0xF0);                        // a b c d
  hi = _mm_alignr_epi8(cdgh, t, 8);                           // e f g h
  _mm_storeu_si128((__m128i *)&state[0], lo);
  _mm_storeu_si128((__m128i *)&state[4], hi);
}

// CPUID directly (not __builtin_cpu_supports, whose feature tables live in libgcc or compiler-rt and differ in
// layout between them: linking one while compiling against the other corrupts memory).
int prep_sha256_accelerated(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const int sha = (b >> 29) & 1;
  return ssse3 && sse41 && sha;
}

int prep_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  static int available = -1;
  if (available < 0) available = prep_sha256_accelerated();
  if (!available) return 0;
  blocks_ni(state, data, blocks);
  return 1;
}

#else

int prep_sha256_accelerated(void) { return 0; }

int prep_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
  (void)state;
  (void)data;
  (void)blocks;
  return 0;
}

#endif
