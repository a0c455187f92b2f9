"""Read prep shard datasets (docs/shard-format.md) with numpy and zstandard.

    from prep_reader import ShardDataset, collate
    ds = ShardDataset("out/monkey")             # checks index.json's self-checksum
    ds[0]["input_ids"], ds[0]["labels"], len(ds)
    batch = collate([ds[i] for i in range(8)])  # padded numpy batch (flatten=True: one packed row)

Each sample is a dict of numpy arrays: input_ids (int64), labels (int64, -100 where not trained),
position_ids (int64, restarting at every document), attention_mask (int64 ones) and cu_seqlens
(int32 document offsets, [0, ..., length]). With torch installed, `TorchShardDataset` wraps a dataset
for `torch.utils.data.DataLoader` / `transformers.Trainer` and `collate(..., return_tensors="pt")`
gives tensors.
"""

import hashlib
import json
import os
from collections import OrderedDict

import numpy as np
import zstandard

__all__ = ["ShardDataset", "FormatError", "collate", "decode_leb128", "TorchShardDataset"]

MAGIC, END_MAGIC = b"PREPSHRD", b"PRSHDEND"
HEADER, FOOTER, FRAME_ENTRY = 16, 40, 32


class FormatError(ValueError):
    """A dataset file is damaged or not in the format this reader knows."""


def decode_leb128(buf):
    """Unsigned LEB128 bytes (numpy uint8) -> uint32 array, vectorised."""
    if len(buf) == 0:
        return np.zeros(0, np.uint32)
    if buf[-1] >= 0x80:
        raise FormatError("LEB128 id bytes end inside an id")
    ends = np.flatnonzero(buf < 0x80)
    starts = np.concatenate(([0], ends[:-1] + 1))
    pos = np.arange(len(buf)) - np.repeat(starts, ends - starts + 1)
    if pos.max() > 4:
        raise FormatError("LEB128 id longer than 5 bytes")
    vals = (buf & 0x7F).astype(np.uint64) << (7 * pos).astype(np.uint64)
    out = np.add.reduceat(vals, starts)
    if out.max() > 0xFFFFFFFF:
        raise FormatError("id above 2^32-1")
    return out.astype(np.uint32)


def check_index_checksum(raw):
    """index.json holds its own SHA-256, computed with that value replaced by 64 zeros."""
    key = raw.find(b'"index_sha256"')
    colon = raw.find(b":", key)
    quote = raw.find(b'"', colon)
    if key < 0 or colon < 0 or quote < 0 or raw[key + 14:colon].strip(b" ") or raw[colon + 1:quote].strip(b" "):
        raise FormatError("index.json: no index_sha256 field")
    stored = raw[quote + 1:quote + 65]
    zeroed = raw[:quote + 1] + b"0" * 64 + raw[quote + 65:]
    if hashlib.sha256(zeroed).hexdigest().encode() != stored:
        raise FormatError("index.json: index_sha256 does not match the file (edited or damaged)")


class _Frame:
    """One decompressed frame: all ids decoded at once, samples sliced out on demand."""

    def __init__(self, payload):
        p = np.frombuffer(payload, np.uint8)
        n = int(np.frombuffer(payload, "<u4", 1, 0)[0])
        table = np.frombuffer(payload, "<u4", 4 * n, 4).reshape(n, 4).astype(np.int64)
        tokens, id_bytes, runs, bounds = table.T
        id_begin = 4 + 16 * n
        id_end = id_begin + int(id_bytes.sum())
        run_end = id_end + 4 * int(runs.sum())
        if run_end + 4 * int(bounds.sum()) != len(payload):
            raise FormatError("frame payload size does not match its sample table")
        self.ids = decode_leb128(p[id_begin:id_end])
        if len(self.ids) != tokens.sum():
            raise FormatError("frame ids do not match the token counts")
        self.runs = np.frombuffer(payload, "<u4", int(runs.sum()), id_end).astype(np.int64)
        self.bounds = np.frombuffer(payload, "<u4", int(bounds.sum()), run_end).astype(np.int64)
        zero = np.zeros(1, np.int64)
        self.tok_at, self.run_at, self.bound_at = (np.concatenate((zero, np.cumsum(x))) for x in (tokens, runs, bounds))

    def sample(self, j):
        ids = self.ids[self.tok_at[j]:self.tok_at[j + 1]].astype(np.int64)
        n = len(ids)
        runs = self.runs[self.run_at[j]:self.run_at[j + 1]]
        if runs.sum() != n or (runs[1:] == 0).any():
            raise FormatError("malformed mask runs")
        trained = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
        cu = np.concatenate(([0], self.bounds[self.bound_at[j]:self.bound_at[j + 1]], [n]))
        if (np.diff(cu) <= 0).any():
            raise FormatError("malformed document boundaries")
        return {
            "input_ids": ids,
            "labels": np.where(trained, ids, -100),
            "position_ids": np.arange(n) - np.repeat(cu[:-1], np.diff(cu)),
            "attention_mask": np.ones(n, np.int64),
            "cu_seqlens": cu.astype(np.int32),
        }


class ShardDataset:
    """A prep dataset directory: `len(ds)`, `ds[i]` (decompresses one frame, small cache), iteration."""

    def __init__(self, directory, verify=False, cache_frames=4):
        self.directory = directory
        with open(os.path.join(directory, "index.json"), "rb") as f:
            raw = f.read()
        check_index_checksum(raw)
        self.index = json.loads(raw)
        if self.index["format"] != "prep-shards" or self.index["format_version"] != 1:
            raise FormatError("index.json: unknown format %r version %r"
                              % (self.index["format"], self.index["format_version"]))
        self._files, self._frames, self._starts = [], [], [0]
        for entry in self.index["shards"]:
            path = os.path.join(directory, entry["file"])
            with open(path, "rb") as f:
                data = f.read() if verify else None
                size = os.fstat(f.fileno()).st_size
                f.seek(0)
                head = f.read(HEADER)
                f.seek(size - FOOTER)
                foot = f.read(FOOTER)
                if size != entry["bytes"] or head[:8] != MAGIC or foot[32:] != END_MAGIC:
                    raise FormatError(path + ": not a prep shard, or not the size index.json records")
                version, flags = np.frombuffer(head, "<u4", 2, 8)
                if version != 1 or flags != 0:
                    raise FormatError(path + ": shard version %d, flags %d (this reader knows 1, 0)" % (version, flags))
                table_at, frames, samples, tokens = (int(x) for x in np.frombuffer(foot, "<u8", 4))
                if frames < 1 or table_at + FRAME_ENTRY * frames + FOOTER != size:
                    raise FormatError(path + ": the footer does not match the file size")
                f.seek(table_at)
                table = np.frombuffer(f.read(FRAME_ENTRY * frames), np.uint8).reshape(-1, FRAME_ENTRY)
            if verify and hashlib.sha256(data).hexdigest() != entry["sha256"]:
                raise FormatError(path + ": SHA-256 does not match index.json")
            if samples != entry["counts"]["samples"]:
                raise FormatError(path + ": sample count does not match index.json")
            offsets = table[:, 0:8].copy().view("<u8").ravel().astype(np.int64)
            sizes = table[:, 8:16].copy().view("<u4").reshape(-1, 2).astype(np.int64)
            first = table[:, 16:24].copy().view("<u8").ravel().astype(np.int64)
            counts = table[:, 24:32].copy().view("<u4").reshape(-1, 2).astype(np.int64)
            # The table's own rules (docs/shard-format.md), checked without reading the frames: a damaged table
            # would otherwise send reads to the wrong frame or sample.
            ends = np.cumsum(sizes[:, 0])
            if (offsets != HEADER + np.concatenate(([0], ends[:-1]))).any() or HEADER + ends[-1] != table_at:
                raise FormatError(path + ": frame offsets are not contiguous")
            if (counts[:, 0] < 1).any() or (first != np.concatenate(([0], np.cumsum(counts[:, 0])[:-1]))).any():
                raise FormatError(path + ": frame first-sample indices are not cumulative")
            if counts[:, 0].sum() != samples or counts[:, 1].sum() != tokens:
                raise FormatError(path + ": the frame table does not add up to the footer")
            self._files.append(path)
            self._frames.append((offsets, sizes, first))
            self._starts.append(self._starts[-1] + int(samples))
        self._cache, self._cache_size = OrderedDict(), cache_frames
        self._dctx = zstandard.ZstdDecompressor()

    def __len__(self):
        return self._starts[-1]

    def _frame(self, s, f):
        key = (s, f)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        offsets, sizes, _ = self._frames[s]
        with open(self._files[s], "rb") as fh:
            fh.seek(int(offsets[f]))
            blob = fh.read(int(sizes[f, 0]))
        where = "%s: frame %d" % (self._files[s], f)
        # zstd allocates what the frame header declares: a damaged header must not decide the allocation.
        try:
            declared = zstandard.frame_content_size(blob)
        except zstandard.ZstdError as error:
            raise FormatError("%s: %s" % (where, error))
        if declared != int(sizes[f, 1]):
            raise FormatError("%s: the frame says %d bytes of payload, the frame table %d" % (where, declared, sizes[f, 1]))
        try:
            payload = self._dctx.decompress(blob, max_output_size=int(sizes[f, 1]))
        except zstandard.ZstdError as error:
            raise FormatError("%s: %s" % (where, error))
        frame = _Frame(payload)
        self._cache[key] = frame
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return frame

    def __getitem__(self, i):
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("sample %d out of range (%d samples)" % (i, len(self)))
        s = int(np.searchsorted(self._starts, i, side="right")) - 1
        local = i - self._starts[s]
        first = self._frames[s][2]
        f = int(np.searchsorted(first, local, side="right")) - 1
        return self._frame(s, f).sample(local - int(first[f]))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def collate(features, pad_token_id=0, flatten=False, return_tensors="np"):
    """Batches samples for a training loop / `transformers.Trainer` (`data_collator=`).

    Padded (default): rows padded on the right to the longest sample; labels -100 and attention_mask 0
    on padding. `flatten=True`: one row of all samples end to end (HF DataCollatorWithFlattening):
    position_ids restart per document, `cu_seq_lens_q/k` list every document, the first label of each
    sample is -100 so no sample is trained to predict the next one, no attention_mask.
    """
    features = [{k: np.asarray(v) for k, v in x.items()} for x in features]
    if flatten:
        ids = np.concatenate([x["input_ids"] for x in features])
        labels = np.concatenate([np.concatenate(([-100], x["labels"][1:])) for x in features])
        pos = np.concatenate([x["position_ids"] for x in features])
        starts = np.cumsum([0] + [len(x["input_ids"]) for x in features])
        cu = np.concatenate([x["cu_seqlens"][:-1] + starts[k] for k, x in enumerate(features)] + [[starts[-1]]])
        cu = cu.astype(np.int32)
        batch = {"input_ids": ids[None], "labels": labels[None], "position_ids": pos[None],
                 "cu_seq_lens_q": cu, "cu_seq_lens_k": cu,
                 "max_length_q": int(np.diff(cu).max()), "max_length_k": int(np.diff(cu).max())}
    else:
        width = max(len(x["input_ids"]) for x in features)

        def pad(key, value):
            return np.stack([np.pad(x[key], (0, width - len(x[key])), constant_values=value) for x in features])

        batch = {"input_ids": pad("input_ids", pad_token_id), "labels": pad("labels", -100),
                 "position_ids": pad("position_ids", 0), "attention_mask": pad("attention_mask", 0)}
    if return_tensors == "pt":
        import torch

        batch = {k: torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v
                 for k, v in batch.items()}
    return batch


try:  # optional: torch wrappers
    import torch as _torch

    class TorchShardDataset(_torch.utils.data.Dataset):
        """`torch.utils.data.Dataset` over a prep dataset. Items are dicts of numpy arrays; batch them
        with `DataLoader(..., collate_fn=functools.partial(collate, return_tensors="pt"))` or
        `Trainer(..., data_collator=functools.partial(collate, return_tensors="pt"))`."""

        def __init__(self, directory, verify=False):
            self.directory, self.verify, self._ds = directory, verify, None

        def _dataset(self):  # opened lazily, once per DataLoader worker
            if self._ds is None:
                self._ds = ShardDataset(self.directory, verify=self.verify)
            return self._ds

        def __len__(self):
            return len(self._dataset())

        def __getitem__(self, i):
            return self._dataset()[i]

except ImportError:  # torch is optional: say so when the wrapper is used

    class TorchShardDataset:
        """Stands in for the torch wrapper when torch is not installed."""

        def __init__(self, *args, **kwargs):
            raise ImportError("TorchShardDataset needs torch (pip install torch); ShardDataset works without it")
