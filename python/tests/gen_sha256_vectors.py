"""Prints the SHA-256 test vectors embedded in Tests/PrepCoreTests/ChecksumTests.swift.

The data is a seeded 64-bit LCG (the same generator is written in Swift in the test), so the vectors
check the hand-written Swift SHA-256 against Python's hashlib.  Regenerate with:

    python3 python/tests/gen_sha256_vectors.py
"""
import hashlib


def lcg_bytes(seed: int, n: int) -> bytes:
    state = seed
    out = bytearray()
    for _ in range(n):
        state = (state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        out.append(state >> 56)
    return bytes(out)


LENGTHS = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 4095, 65537, 1_000_003]

if __name__ == "__main__":
    for i, n in enumerate(LENGTHS):
        print(f'    ({n}, {i + 1}, "{hashlib.sha256(lcg_bytes(i + 1, n)).hexdigest()}"),')
