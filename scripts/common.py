"""Small helpers the scripts under scripts/ share (imported after putting scripts/ on sys.path)."""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_prep():
    """The prep binary to run: $PREP_BIN, else the newest kind of build in .build (release first)."""
    env = os.environ.get("PREP_BIN")
    if env:
        return env
    for cfg in ("release", "debug"):
        p = os.path.join(ROOT, ".build", cfg, "prep")
        if os.path.exists(p):
            return p
    return os.path.join(ROOT, ".build", "release", "prep")


def read_texts(path, field):
    """The string values of `field` in a JSONL file, in order (blank lines and other values skipped)."""
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                value = json.loads(line).get(field)
                if isinstance(value, str):
                    texts.append(value)
    return texts
