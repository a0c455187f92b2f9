#!/usr/bin/env python3
"""A lean Python pretraining packer, the strongest simple peer for `prep run pipelines/monkey.pipeline`:
orjson per line -> fastokens `encode_batch_flat` (chunks of 4,096 documents; threads via FASTOKENS_BPE_THREADS)
-> `<|endoftext|>` after each document -> one stream cut into 2048-token blocks (the final partial block
dropped, as the oracle's monkey recipe does) -> numpy uint32 -> zstd level 3 (`zstandard`, one stream) ->
one output file. Memory stays bounded by the chunk size.

Usage: lean_monkey.py INPUT OUT_FILE --tokenizer DIR [--block 2048] [--level 3]
Prints one JSON line: {"documents": ..., "blocks": ..., "tokens": ..., "bytes": ...}.
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("out")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--block", type=int, default=2048)
    ap.add_argument("--level", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=4096)
    a = ap.parse_args()

    import fastokens
    import numpy as np
    import orjson
    import zstandard

    tok = fastokens.Tokenizer.from_file(os.path.join(a.tokenizer, "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    carry = np.zeros(0, dtype=np.uint32)
    docs = blocks = 0

    def flush(texts, carry, writer):
        ids, offsets = tok.encode_batch_flat(texts, add_special_tokens=False)
        ids = np.frombuffer(ids, dtype=np.uint32)
        offsets = np.frombuffer(offsets, dtype=np.uint64).astype(np.int64)
        stream = np.insert(ids, offsets[1:], eos)  # eos after every document
        stream = np.concatenate([carry, stream])
        full = len(stream) // a.block * a.block
        if full:
            writer.write(stream[:full].tobytes())
        return stream[full:].copy(), full // a.block

    cctx = zstandard.ZstdCompressor(level=a.level)
    with open(a.input, "rb") as f, open(a.out, "wb") as raw, cctx.stream_writer(raw) as writer:
        texts = []
        for line in f:
            if not line.strip():
                continue
            texts.append(orjson.loads(line)["text"])
            if len(texts) == a.chunk:
                carry, n = flush(texts, carry, writer)
                blocks += n
                docs += len(texts)
                texts = []
        if texts:
            carry, n = flush(texts, carry, writer)
            blocks += n
            docs += len(texts)
    print(json.dumps({"documents": docs, "blocks": blocks, "tokens": blocks * a.block,
                      "bytes": os.path.getsize(a.out)}))


if __name__ == "__main__":
    main()
