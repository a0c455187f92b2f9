#ifndef PREP_CATOMICWORDS_H
#define PREP_CATOMICWORDS_H

#include <stdbool.h>
#include <stdint.h>

/// C11 atomic operations on 64-bit words of ordinary memory, for the tokenizer's shared cache (see
/// `SharedPieceCache`). Static inline: Swift inlines them, and on x86-64 each is one instruction.

/// Loads `*word` with acquire ordering: what was written before the matching release store is visible.
static inline uint64_t prep_atomic_load_acquire(const uint64_t *word) {
  return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

/// Stores `value` to `*word` with release ordering.
static inline void prep_atomic_store_release(uint64_t *word, uint64_t value) {
  __atomic_store_n(word, value, __ATOMIC_RELEASE);
}

/// Replaces `*word` with `desired` if it holds `expected`; returns whether it did.
static inline bool prep_atomic_claim(uint64_t *word, uint64_t expected, uint64_t desired) {
  return __atomic_compare_exchange_n(word, &expected, desired, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

#endif
