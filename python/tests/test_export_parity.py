"""The Python reader against `prep export`, sample by sample, on every shipped pipeline's fixture.

Needs the built binary: `PREP_BIN` (set by `make test`), else .build/debug/prep. Skipped without it.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
from prep_reader import ShardDataset  # noqa: E402

PREP = os.environ.get("PREP_BIN") or os.path.join(ROOT, ".build", "debug", "prep")

CASES = [
    ("fudan", []),
    ("fudan-im-end", []),
    ("belle", []),
    ("belle-assistant", []),
    ("monkey", []),
    ("monkey", ["packing.reset_positions=true"]),
    ("monkey-xml", ["block_size=128"]),
    ("alpaca", []),
    ("identity", ["name=PrepBot", "author=the prep team"]),
    ("chat", []),
]


@pytest.mark.skipif(not os.path.exists(PREP), reason="prep is not built")
@pytest.mark.parametrize("pipeline,overrides", CASES)
def test_reader_equals_export(pipeline, overrides):
    with tempfile.TemporaryDirectory() as out:
        args = [PREP, "run", pipeline, "--set", f"output={out}", "--quiet"]
        for o in overrides:
            args += ["--set", o]
        subprocess.run(args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        exported = subprocess.run([PREP, "export", out], cwd=ROOT, check=True, capture_output=True, text=True)
        rows = [json.loads(line) for line in exported.stdout.splitlines()]
        ds = ShardDataset(out, verify=True)
        assert len(ds) == len(rows) > 0
        for i, row in enumerate(rows):
            sample = ds[i]
            assert np.array_equal(sample["input_ids"], row["input_ids"]), f"sample {i}"
            assert np.array_equal(sample["labels"], row["labels"]), f"sample {i}"
            if "position_ids" in row:
                assert np.array_equal(sample["position_ids"], row["position_ids"]), f"sample {i}"
            cu = np.asarray(sample["cu_seqlens"])
            assert cu[0] == 0 and cu[-1] == len(row["input_ids"]) and np.all(np.diff(cu) > 0)
