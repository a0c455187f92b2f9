#ifndef PREP_CSHA256_H
#define PREP_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// Runs the SHA-256 compression function over `blocks` 64-byte blocks at `data`, updating `state` (the eight
/// working words h0...h7), with the CPU's SHA instructions. Returns 0 without touching `state` when the CPU has
/// none (the caller then uses its portable code).
int prep_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Whether `prep_sha256_blocks` can run on this CPU.
int prep_sha256_accelerated(void);

/// The 64 round constants of SHA-256 (FIPS 180-4 section 4.2.2), for the portable code too.
const uint32_t *prep_sha256_round_constants(void);

#endif
