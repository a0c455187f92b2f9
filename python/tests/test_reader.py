"""Tests of python/prep_reader against datasets written by the Swift writer.

Run: /work/main/.venv/bin/python -m pytest python/tests -q
The fixture (fixtures/shard/sample-dataset + sample-dataset.jsonl) is written by the Swift test
`committedFixtureIsWhatTheWriterProduces` (PREP_WRITE_FIXTURES=1 swift test --filter committedFixture).
"""
import json
import os
import shutil
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

from prep_reader import FormatError, ShardDataset, collate, decode_leb128  # noqa: E402

FIXTURE = os.path.join(ROOT, "fixtures", "shard", "sample-dataset")
EXPECTED = os.path.join(ROOT, "fixtures", "shard", "sample-dataset.jsonl")


def expected():
    with open(EXPECTED) as f:
        return [json.loads(line) for line in f]


def test_reader_reproduces_the_swift_samples_exactly():
    ds = ShardDataset(FIXTURE, verify=True)
    want = expected()
    assert len(ds) == len(want) == ds.index["totals"]["samples"]
    for got, w in zip(ds, want):
        for key in ("input_ids", "labels", "position_ids", "cu_seqlens"):
            assert got[key].tolist() == w[key], key
        assert got["attention_mask"].tolist() == [1] * len(w["input_ids"])
        assert got["input_ids"].dtype == np.int64 and got["labels"].dtype == np.int64


def test_random_access_equals_iteration():
    ds = ShardDataset(FIXTURE, cache_frames=1)
    seq = [x["input_ids"].tolist() for x in ds]
    order = np.random.default_rng(7).permutation(len(ds))
    for i in order:
        assert ds[int(i)]["input_ids"].tolist() == seq[i]
    assert ds[-1]["input_ids"].tolist() == seq[-1]
    with pytest.raises(IndexError):
        ds[len(ds)]


def test_leb128_decoding():
    raw = np.array([0x05, 0xAC, 0x02, 0xFF, 0xA2, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], np.uint8)
    assert decode_leb128(raw).tolist() == [5, 300, 151935, 2**32 - 1]
    with pytest.raises(FormatError):
        decode_leb128(np.array([0x80], np.uint8))


def copy_fixture(tmp_path):
    d = tmp_path / "ds"
    shutil.copytree(FIXTURE, d)
    return str(d)


def test_verify_catches_a_flipped_shard_byte(tmp_path):
    d = copy_fixture(tmp_path)
    path = os.path.join(d, "shard-00000.bin")
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 1
    open(path, "wb").write(bytes(data))
    ShardDataset(d)  # structure intact: opens without verify
    with pytest.raises(FormatError, match="SHA-256"):
        ShardDataset(d, verify=True)


def test_a_damaged_frame_table_or_header_is_refused_without_verify(tmp_path):
    d = copy_fixture(tmp_path)
    path = os.path.join(d, "shard-00000.bin")
    raw = open(path, "rb").read()
    table_at, frames = (int(x) for x in np.frombuffer(raw[-40:], "<u8", 2))
    # The header's version and flags, then each field of every frame-table entry, one bit at a time.
    places = [8, 12] + [table_at + 32 * k + field for k in range(frames) for field in (0, 8, 16, 24, 28)]
    for at in places:
        damaged = bytearray(raw)
        damaged[at] ^= 1
        open(path, "wb").write(bytes(damaged))
        with pytest.raises(FormatError):
            ShardDataset(d)
    open(path, "wb").write(raw)
    assert len(ShardDataset(d)) == len(expected())


def test_a_damaged_frame_header_is_a_format_error_without_verify(tmp_path):
    # zstd allocates what a frame header declares: one flipped bit of its content size asked for exabytes
    # (MemoryError). Every flip of the first frame's header either reads right or is a FormatError.
    d = copy_fixture(tmp_path)
    path = os.path.join(d, "shard-00000.bin")
    raw = open(path, "rb").read()
    table_at = int(np.frombuffer(raw[-40:], "<u8", 1)[0])
    frame_at = int(np.frombuffer(raw[table_at:table_at + 8], "<u8", 1)[0])
    want = expected()
    for at in range(frame_at, frame_at + 18):
        for bit in (0x01, 0x80):
            damaged = bytearray(raw)
            damaged[at] ^= bit
            open(path, "wb").write(bytes(damaged))
            try:
                got = [ShardDataset(d)[i] for i in range(len(want))]
            except FormatError:
                continue
            assert [g["input_ids"].tolist() for g in got] == [w["input_ids"] for w in want]
    open(path, "wb").write(raw)


def test_a_flipped_index_byte_is_refused(tmp_path):
    d = copy_fixture(tmp_path)
    path = os.path.join(d, "index.json")
    raw = open(path, "rb").read()
    for i in range(0, len(raw), 7):
        damaged = bytearray(raw)
        damaged[i] ^= 1
        open(path, "wb").write(bytes(damaged))
        with pytest.raises((FormatError, ValueError, KeyError)):
            ShardDataset(d)
    open(path, "wb").write(raw)
    assert len(ShardDataset(d)) == len(expected())


def test_collate_pads_and_flattens():
    ds = ShardDataset(FIXTURE)
    items = [ds[0], ds[1], ds[2]]
    lengths = [len(x["input_ids"]) for x in items]
    padded = collate(items, pad_token_id=151643)
    assert padded["input_ids"].shape == (3, max(lengths))
    assert padded["labels"][2, 1:].tolist() == [-100] * (max(lengths) - 1)
    assert padded["attention_mask"].sum() == sum(lengths)
    assert padded["input_ids"][2, -1] == 151643
    flat = collate(items, flatten=True)
    assert flat["input_ids"].shape == (1, sum(lengths))
    # Sample 1 is a packed block of three documents: [0, 4, 7, 8] shifted by the 11 tokens of sample 0.
    assert flat["cu_seq_lens_q"].tolist() == [0, 11, 15, 18, 19, 20]
    assert flat["position_ids"][0, 11:19].tolist() == [0, 1, 2, 3, 0, 1, 2, 0]
    assert flat["labels"][0, 11] == -100 and flat["labels"][0, 12] == 2


def test_torch_wrapper_and_tensors_with_a_stub_torch(monkeypatch):
    # torch is not installed here: a stub with the three names the reader uses stands in for it.
    import importlib
    import types

    import prep_reader

    data = types.ModuleType("torch.utils.data")
    data.Dataset = object
    utils = types.ModuleType("torch.utils")
    utils.data = data
    torch = types.ModuleType("torch")
    torch.utils = utils
    torch.from_numpy = lambda a: ("tensor", a.tolist())
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch.utils", utils)
    monkeypatch.setitem(sys.modules, "torch.utils.data", data)
    try:
        mod = importlib.reload(prep_reader)
        ds = mod.TorchShardDataset(FIXTURE)
        assert len(ds) == len(expected())
        batch = mod.collate([ds[0], ds[1]], return_tensors="pt")
        assert batch["input_ids"][0] == "tensor"
        assert batch["labels"][1][1][:2] == [1, 2]
    finally:
        monkeypatch.undo()
        importlib.reload(prep_reader)


def test_torch_wrapper_without_torch_says_so(monkeypatch):
    # README's example used to fail with "'NoneType' object is not callable" when torch was missing.
    import importlib
    import prep_reader

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    try:
        mod = importlib.reload(prep_reader)
        with pytest.raises(ImportError, match="needs torch"):
            mod.TorchShardDataset(FIXTURE)
        assert len(mod.ShardDataset(FIXTURE)) == len(expected())
    finally:
        monkeypatch.undo()
        importlib.reload(prep_reader)
