#!/usr/bin/env python3
"""Sample-for-sample conformance of prep's shipped pipelines against the oracle recipes, on generated records.

For each case below, runs the oracle (shared/oracle/seed_recipes.py, HF transformers) and
`prep run PIPELINE --set input=... --set output=TMP ...` + `prep export TMP` on the files that
`make_records.py` wrote to DIR, and compares the two outputs sample by sample (input_ids, labels, position_ids):
the exported JSON lines must be equal.

Rejects are part of the result. A record prep rejects is a mismatch unless a documented rule of the pipeline
predicts exactly that reject (then it is counted as `documented rejects` and the oracle's sample for it is left
out); a predicted reject that prep does not make is a mismatch too. The documented rules (docs/recipes.md):
  fudan     `require_text: [text, output]`: a text or output that is empty or only white space is rejected
            (empty_text; Sources/PrepTemplate/FudanRecipe.swift requireText); the oracle makes a sample. The case `fudan-all` sets `recipe.require_text=[]` and must match every record.
  belle     a conversation with no turns after the leading non-human turn is dropped is rejected
            (invalid_conversation); the oracle keeps it as a system-only sample. Run with
            `recipe.system_from_data=false`: by default a leading system turn replaces the system prompt, where
            the oracle drops it (documented).
  monkey    the shipped pipeline rejects an empty text (empty_text); its oracle run reads the input without those
            records. `monkey-keep` (`recipe.empty_text=keep`) and `monkey-seed-compat` read everything.
  belle-lf  belle-assistant (unpacked) against scripts/golden/llamafactory_multiturn.py, which drops what
            LLaMA-Factory drops (not strictly user/assistant pairs after an optional system turn): prep rejects
            those (invalid_conversation).
  chat      `recipe.labels=all` against the oracle's chat (HF apply_chat_template, Qwen3's template) through
            scripts/golden/oracle_chat.py; input_ids only, as the oracle writes no labels.
  alpaca-history  `recipe.history_field=history` against the same script's lf_alpaca.
  alpaca    `val_size=0` (the validation split is prep's addition; Tests/EndToEndTests/GoldenTests.swift does the
            same); identity: `--set name=... --set author=...` and the oracle's `--name/--author`, once for each
            of the manifest's three pairs.

Prints per case: records, documented rejects, samples compared, mismatches, and the first mismatch in detail
(record index and line, the first differing position, decoded context of both sides, the record itself).
Exit status: 0 all equal, 1 any mismatch, 2 the oracle or prep failed.

Usage: recipe_conformance.py DIR [--prep PATH] [--tokenizer DIR] [--oracle PATH] [--python PATH]
                                 [--only CASE[,CASE...]] [--keep TMPDIR] [--show N]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
from common import default_prep  # noqa: E402  (scripts/common.py)

EOS = 151643


def default_oracle():
    env = os.environ.get("ORACLE")
    if env:
        return env
    candidates = [os.path.join(ROOT, "..", "shared", "oracle", "seed_recipes.py")]
    try:
        common = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=ROOT, capture_output=True, text=True)
        if common.returncode == 0:
            git_dir = os.path.join(ROOT, common.stdout.strip())
            candidates.append(os.path.join(git_dir, "..", "..", "shared", "oracle", "seed_recipes.py"))
    except OSError:
        pass
    for c in candidates:
        if os.path.isfile(c):
            return os.path.abspath(c)
    return candidates[0]


# ---- the cases ----------------------------------------------------------------------------------------------

# Unicode's White_Space property (what prep's requireText tests; Python's str.isspace differs on U+001C-001F).
WHITE_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | {chr(c) for c in range(0x2000, 0x200B)}


def empty_fields(fields):
    """FudanRecipe's require_text: a field that is empty or only white space is rejected as empty_text."""
    def rule(rec):
        for f in fields:  # in order, as requireText checks them
            if not isinstance(rec[f], str):
                return "wrong_field_type"
            if all(ch in WHITE_SPACE for ch in rec[f]):
                return "empty_text"
        return None
    return rule


def belle_no_turns(rec):
    source = rec["conversations"]
    if source and source[0]["from"] != "human":
        source = source[1:]
    return None if source else "invalid_conversation"


def lf_invalid(rec):
    """LLaMA-Factory's sharegpt converter (scripts/golden/llamafactory_multiturn.py `conversation`): after an
    optional leading system turn, user/assistant pairs strictly alternating; anything else is dropped there and
    rejected by prep's assistant_only policy."""
    turns = rec["conversations"]
    if turns and turns[0]["from"] == "system":
        turns = turns[1:]
    if not turns or len(turns) % 2:
        return "invalid_conversation"
    for i, turn in enumerate(turns):
        if turn["from"] not in (("human", "user") if i % 2 == 0 else ("assistant", "gpt")):
            return "invalid_conversation"
    return None


def monkey_empty(rec):
    return "empty_text" if rec["text"] == "" else None


LF_SCRIPT = os.path.join(ROOT, "scripts", "golden", "llamafactory_multiturn.py")

# name, input file, pipeline, prep --set overrides, oracle recipe + arguments, documented-reject rule,
# kind: "records" (one sample per record, in order) or "stream" (blocks cut from one token stream).
CASES = [
    dict(name="fudan", file="fudan.jsonl", pipeline="fudan", sets=[], oracle=["fudan"],
         rule=empty_fields(["text", "output"]), kind="records"),
    dict(name="fudan-all", file="fudan.jsonl", pipeline="fudan", sets=["recipe.require_text=[]"], oracle=["fudan"],
         rule=None, kind="records"),
    dict(name="belle", file="belle.jsonl", pipeline="belle", sets=["recipe.system_from_data=false"],
         oracle=["belle"], rule=belle_no_turns, kind="records"),
    dict(name="belle-user", file="belle.jsonl", pipeline="belle",
         sets=["recipe.system_from_data=false", "recipe.user_role=user"], oracle=["belle", "--user-role", "user"],
         rule=belle_no_turns, kind="records"),
    # belle-assistant (LLaMA-Factory, template qwen) against scripts/golden/llamafactory_multiturn.py, unpacked;
    # the script writes no sample for a conversation it drops
    dict(name="belle-lf", file="belle.jsonl", pipeline="belle-assistant", sets=["packing.mode=none"],
         oracle=["lf_multiturn", "--cutoff-len", "2048"], runner=LF_SCRIPT, rule=lf_invalid, oracle_skips=True,
         kind="records"),
    dict(name="belle-lf-256-mask-history", file="belle.jsonl", pipeline="belle-assistant",
         sets=["packing.mode=none", "max_length=256", "recipe.last_turn_only=true"],
         oracle=["lf_multiturn", "--cutoff-len", "256", "--mask-history"], runner=LF_SCRIPT, rule=lf_invalid,
         oracle_skips=True, kind="records"),
    dict(name="belle-lf-256-train-on-prompt", file="belle.jsonl", pipeline="belle-assistant",
         sets=["packing.mode=none", "max_length=256", "recipe.train_on_prompt=true"],
         oracle=["lf_multiturn", "--cutoff-len", "256", "--train-on-prompt"], runner=LF_SCRIPT, rule=lf_invalid,
         oracle_skips=True, kind="records"),
    dict(name="monkey", file="monkey.jsonl", pipeline="monkey", sets=[], oracle=["monkey"], rule=monkey_empty,
         kind="stream"),
    dict(name="monkey-keep", file="monkey.jsonl", pipeline="monkey", sets=["recipe.empty_text=keep"],
         oracle=["monkey"], rule=None, kind="stream"),
    dict(name="monkey-keep-zst", file="monkey.jsonl", pipeline="monkey", sets=["recipe.empty_text=keep"],
         oracle=["monkey"], rule=None, kind="stream", zst=True),
    dict(name="monkey-keep-128", file="monkey.jsonl", pipeline="monkey",
         sets=["recipe.empty_text=keep", "block_size=128"], oracle=["monkey", "--block-size", "128"], rule=None,
         kind="stream"),
    dict(name="monkey-seed-compat", file="monkey.jsonl", pipeline="monkey", sets=["recipe.seed_compat=true"],
         oracle=["monkey", "--seed-compat"], rule=None, kind="stream"),
    dict(name="monkey-seed-compat-128", file="monkey.jsonl", pipeline="monkey",
         sets=["recipe.seed_compat=true", "block_size=128"], oracle=["monkey", "--seed-compat", "--block-size", "128"],
         rule=None, kind="stream"),
    # over 40,000 tiny documents: seed_compat's batch boundary; small input chunks and two workers
    dict(name="monkey-batch-seed-compat", file="monkey_batch.jsonl", pipeline="monkey",
         sets=["recipe.seed_compat=true", "block_size=64", "input.chunk_bytes=4096"],
         oracle=["monkey", "--seed-compat", "--block-size", "64"], rule=None, kind="stream", workers=2),
    dict(name="monkey-batch-keep", file="monkey_batch.jsonl", pipeline="monkey",
         sets=["recipe.empty_text=keep", "block_size=64"], oracle=["monkey", "--block-size", "64"], rule=None,
         kind="stream"),
    dict(name="alpaca", file="alpaca.jsonl", pipeline="alpaca", sets=["val_size=0"],
         oracle=["alpaca", "--cutoff-len", "1024"], rule=None, kind="records"),
    dict(name="alpaca-array", file="alpaca.json", pipeline="alpaca", sets=["val_size=0"],
         oracle=["alpaca", "--cutoff-len", "1024"], rule=None, kind="records"),
    dict(name="alpaca-history", file="alpaca_history.jsonl", pipeline="alpaca",
         sets=["val_size=0", "recipe.history_field=history"], oracle=["lf_alpaca", "--cutoff-len", "1024"],
         runner=LF_SCRIPT, rule=None, kind="records"),
    # chat: HF apply_chat_template with Qwen3's template through scripts/golden/oracle_chat.py (input_ids only;
    # labels=all so that no record is rejected for a token spanning a turn boundary)
    dict(name="chat", file="chat.jsonl", pipeline="chat", sets=["recipe.labels=all"], oracle=["chat"],
         runner=os.path.join(ROOT, "scripts", "golden", "oracle_chat.py"), rule=None, kind="records",
         ids_only=True),
    # the same outputs whatever the input chunking and the number of workers
    dict(name="alpaca-array-chunks", file="alpaca.json", pipeline="alpaca",
         sets=["val_size=0", "input.chunk_bytes=4096"], oracle=["alpaca", "--cutoff-len", "1024"], rule=None,
         kind="records", workers=2),
    dict(name="fudan-all-chunks", file="fudan.jsonl", pipeline="fudan",
         sets=["recipe.require_text=[]", "input.chunk_bytes=4096"], oracle=["fudan"], rule=None, kind="records",
         workers=2),
    dict(name="identity", file="identity.json", pipeline="identity", sets=[], oracle=["alpaca"], rule=None,
         kind="records", identity=True),
]


# ---- reading records back -----------------------------------------------------------------------------------

def load_records(path, offsets):
    """The records as the oracle's json.loads sees them, and each one's line number (1-based)."""
    data = open(path, "rb").read()
    decoder = json.JSONDecoder()
    text = data.decode("utf-8")
    records, lines = [], []
    char_of = {}
    # byte offset -> character offset, walking once
    wanted = sorted(set(offsets))
    pos_b = pos_c = 0
    for off in wanted:
        pos_c += len(data[pos_b:off].decode("utf-8"))
        pos_b = off
        char_of[off] = pos_c
    for off in offsets:
        start = char_of[off]
        while text[start] in " \t\r\n":
            start += 1
        value, _ = decoder.raw_decode(text, start)
        records.append(value)
        lines.append(data.count(b"\n", 0, off) + 1)
    return records, lines


# ---- running both sides -------------------------------------------------------------------------------------

def run_oracle(args, case, input_path, extra):
    runner = [case["runner"]] if case.get("runner") else []
    cmd = [args.python] + runner + [args.oracle] + case["oracle"][:1] + ["--tokenizer", args.tokenizer, "--input", input_path] \
        + case["oracle"][1:] + extra
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"oracle failed ({' '.join(cmd)}):\n{proc.stderr.decode(errors='replace')[-3000:]}")
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines() if line.strip()], cmd


def run_prep(args, case, input_path, out_dir, extra_sets):
    env = dict(os.environ, PREP_TOKENIZER=os.path.abspath(args.tokenizer))
    cmd = [args.prep, "run", case["pipeline"], "--set", f"input={input_path}", "--set", f"output={out_dir}",
           "--force", "--quiet"]
    for s in case["sets"] + extra_sets:
        cmd += ["--set", s]
    if case.get("workers"):
        cmd += ["--workers", str(case["workers"])]
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"prep run failed ({' '.join(cmd)}):\n{proc.stderr.decode(errors='replace')[-3000:]}")
    exp = subprocess.run([args.prep, "export", out_dir], capture_output=True, env=env, cwd=ROOT)
    if exp.returncode != 0:
        raise RuntimeError(f"prep export failed:\n{exp.stderr.decode(errors='replace')[-3000:]}")
    samples = [json.loads(line) for line in exp.stdout.decode("utf-8").splitlines() if line.strip()]
    rejects = []
    rpath = os.path.join(out_dir, "rejects.jsonl")
    if os.path.exists(rpath):
        rejects = [json.loads(line) for line in open(rpath, encoding="utf-8") if line.strip()]
    validation = os.path.join(out_dir, "validation")
    if os.path.isdir(validation):
        raise RuntimeError(f"prep wrote a validation split in {validation}: the case must set val_size=0")
    return samples, rejects, cmd


# ---- showing a difference -----------------------------------------------------------------------------------

class Decoder:
    def __init__(self, tokenizer_dir):
        from tokenizers import Tokenizer
        self.tok = Tokenizer.from_file(os.path.join(tokenizer_dir, "tokenizer.json"))

    def pieces(self, ids):
        return [self.tok.decode([i], skip_special_tokens=False) if 0 <= i < self.tok.get_vocab_size() else "<bad id>"
                for i in ids]

    def text(self, ids):
        return self.tok.decode([i for i in ids if 0 <= i < self.tok.get_vocab_size()], skip_special_tokens=False)

    def encode(self, text):
        return self.tok.encode(text, add_special_tokens=False).ids


def first_difference(a, b):
    """(key, position) of the first difference between two exported samples, or None."""
    for key in ("input_ids", "labels", "position_ids"):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        if x is None or y is None:
            return key, 0
        k = next((j for j, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
        return key, k
    if set(a) != set(b):
        return "keys", 0
    return None


def short(value, limit=600):
    s = json.dumps(value, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + f"... ({len(s)} chars)"


def show_sample_difference(dec, ref, got, where, lines_out):
    key, k = first_difference(ref, got)
    lo, hi = max(0, k - 8), k + 8
    ids_r, ids_p = ref.get("input_ids", []), got.get("input_ids", [])
    lines_out.append(f"  {where}: first difference in {key} at position {k} "
                     f"(oracle {len(ids_r)} ids, prep {len(ids_p)} ids)")
    for name, s in (("oracle", ref), ("prep  ", got)):
        seq = s.get(key) or []
        lines_out.append(f"    {name} {key}[{lo}:{hi}]: {seq[lo:hi]}")
    if key in ("input_ids", "labels"):
        for name, s in (("oracle", ref), ("prep  ", got)):
            ids = s.get("input_ids", [])
            lines_out.append(f"    {name} pieces[{lo}:{hi}]: {dec.pieces(ids[lo:hi])}")
        for name, s in (("oracle", ref), ("prep  ", got)):
            ids = s.get("input_ids", [])
            lines_out.append(f"    {name} text around it: {dec.text(ids[max(0, k - 24):k + 24])!r}")
        if key == "labels":
            for name, s in (("oracle", ref), ("prep  ", got)):
                lab = s.get("labels", [])
                trained = [i for i, v in enumerate(lab) if v != -100]
                lines_out.append(f"    {name} trained positions: {len(trained)} "
                                 f"({trained[:3]}...{trained[-3:]})" if trained else f"    {name} trained: none")


# ---- comparing ----------------------------------------------------------------------------------------------

def compare_records(args, dec, case, records, lines, offsets, oracle, samples, rejects, report):
    """One oracle sample per record; prep's samples are the records it did not reject, in order."""
    rule = case["rule"]
    by_offset = {o: i for i, o in enumerate(offsets)}
    by_line = {}
    for i, ln in enumerate(lines):
        by_line.setdefault(ln, []).append(i)
    rejected = {}
    mismatches = []
    for r in rejects:
        i = by_offset.get(r.get("byte_offset"))
        if i is None and len(by_line.get(r.get("line"), [])) == 1:
            i = by_line[r.get("line")][0]
        if i is None:
            mismatches.append(("unplaced reject", None, f"prep reject at no record start: {short(r)}"))
            continue
        rejected[i] = r
    documented = 0
    if case.get("oracle_skips"):
        # the reference writes nothing for the records the rule drops: spread its samples over the others
        spread, it = [], iter(oracle)
        for rec in records:
            spread.append(None if rule(rec) else next(it, None))
        if len(oracle) != sum(1 for rec in records if not rule(rec)):
            mismatches.append(("oracle count", None, f"the reference wrote {len(oracle)} samples, the rule keeps "
                               f"{len(records) - sum(1 for rec in records if rule(rec))} records"))
        oracle = spread
    elif len(oracle) != len(records):
        mismatches.append(("oracle count", None, f"the oracle wrote {len(oracle)} samples for {len(records)} records"))
    expected = []
    for i, rec in enumerate(records):
        want = rule(rec) if rule else None
        got = rejected.get(i)
        if want and got and got.get("reason") == want:
            documented += 1
            continue
        if got:
            mismatches.append(("prep rejected", i, f"prep rejected it ({got.get('reason')}: {got.get('detail')}); "
                               + (f"the documented rule expects {want}" if want else "the oracle accepts it")))
            continue
        if want:
            mismatches.append(("prep accepted", i, f"prep did not reject it; the documented rule expects {want}"))
        expected.append(i)
    compared = 0
    for n, i in enumerate(expected):
        if n >= len(samples):
            mismatches.append(("missing", i, f"prep wrote only {len(samples)} samples"))
            break
        if i >= len(oracle):
            break
        compared += 1
        if case.get("ids_only"):
            samples[n] = {"input_ids": samples[n]["input_ids"]}
        if samples[n] != oracle[i]:
            mismatches.append(("sample", i, (oracle[i], samples[n])))
    if len(samples) > len(expected):
        mismatches.append(("extra", None, f"prep wrote {len(samples)} samples for {len(expected)} accepted records"))
    report["records"], report["documented rejects"] = len(records), documented
    report["samples compared"], report["mismatches"] = compared, len(mismatches)
    detail = []
    for kind, i, what in mismatches[: args.show]:
        head = f"record {i} (line {lines[i]})" if i is not None else "run"
        if kind == "sample":
            show_sample_difference(dec, what[0], what[1], head, detail)
        else:
            detail.append(f"  {head}: {what}")
        if i is not None:
            detail.append(f"    record: {short(records[i], args.record_chars)}")
    report["detail"] = detail
    report["mismatch records"] = [i for _, i, _ in mismatches if i is not None]


def compare_stream(args, dec, case, records, lines, oracle, samples, rejects, kept, report):
    """Blocks of one token stream: compared block by block; a difference is traced back to its record."""
    rule = case["rule"]
    mismatches = []
    documented = 0
    rejected_lines = {}
    for r in rejects:
        rejected_lines[r.get("line")] = r
    by_line = {ln: i for i, ln in enumerate(lines)}
    for ln, r in sorted(rejected_lines.items()):
        i = by_line.get(ln)
        want = rule(records[i]) if (rule and i is not None) else None
        if want and r.get("reason") == want:
            documented += 1
        else:
            mismatches.append(f"record {i} (line {ln}): prep rejected it ({r.get('reason')}: {r.get('detail')}); "
                              "the oracle accepts it")
    if rule:
        for i, rec in enumerate(records):
            if rule(rec) and lines[i] not in rejected_lines:
                mismatches.append(f"record {i} (line {lines[i]}): prep did not reject it; the documented rule "
                                  f"expects {rule(rec)}")
    compared = min(len(oracle), len(samples))
    first = None
    sample_mismatches = 0
    for n in range(compared):
        if oracle[n] != samples[n]:
            sample_mismatches += 1
            if first is None:
                first = n
    if len(oracle) != len(samples):
        mismatches.append(f"the oracle wrote {len(oracle)} blocks, prep {len(samples)}")
    report["records"], report["documented rejects"] = len(records), documented
    report["samples compared"], report["mismatches"] = compared, len(mismatches) + sample_mismatches
    detail = [f"  {m}" for m in mismatches[: args.show]]
    if first is not None:
        key, k = first_difference(oracle[first], samples[first])
        block = len(oracle[first]["input_ids"])
        position = first * block + k
        separator = [] if "--seed-compat" in case["oracle"] else [EOS]
        start = 0
        owner = None
        for i in kept:
            n = len(dec.encode(records[i]["text"])) + len(separator)
            if start + n > position:
                owner = i
                break
            start += n
        show_sample_difference(dec, oracle[first], samples[first], f"block {first}", detail)
        if owner is not None:
            detail.append(f"    stream position {position} is token {position - start} of record {owner} "
                          f"(line {lines[owner]}): {short(records[owner], args.record_chars)}")
            report["mismatch records"] = [owner]
    report["detail"] = detail


def run_case(args, dec, case, data_dir, manifest, tmp):
    path = os.path.join(data_dir, case["file"])
    offsets = manifest["files"][case["file"]]["offsets"]
    records, lines = load_records(path, offsets)
    report = {"case": case["name"]}
    extra_oracle, extra_sets = [], []
    if case.get("identity"):
        ident = case["identity"]
        extra_oracle = ["--name", ident["name"], "--author", ident["author"]]
        extra_sets = [f"name={ident['name']}", f"author={ident['author']}"]
    oracle_input = path
    kept = list(range(len(records)))
    if case["kind"] == "stream" and case["rule"]:
        # the oracle reads the records prep is documented to keep
        kept = [i for i, rec in enumerate(records) if not case["rule"](rec)]
        oracle_input = os.path.join(tmp, case["name"] + ".oracle.jsonl")
        with open(oracle_input, "w", encoding="utf-8") as f:
            for i in kept:
                f.write(json.dumps(records[i], ensure_ascii=False) + "\n")
    started = time.time()
    oracle, oracle_cmd = run_oracle(args, case, oracle_input, extra_oracle)
    t_oracle = time.time() - started
    started = time.time()
    prep_input = os.path.abspath(path)
    if case.get("zst"):  # prep reads the same file zstd-compressed (a few frames), the oracle the plain one
        import zstandard
        prep_input = os.path.join(tmp, case["file"] + ".zst")
        data = open(path, "rb").read()
        third = len(data) // 3
        with open(prep_input, "wb") as f:
            for part in (data[:third], data[third:2 * third], data[2 * third:]):
                f.write(zstandard.ZstdCompressor(level=3).compress(part))
    samples, rejects, prep_cmd = run_prep(args, case, prep_input, os.path.join(tmp, case["name"]), extra_sets)
    t_prep = time.time() - started
    if case["kind"] == "records":
        compare_records(args, dec, case, records, lines, offsets, oracle, samples, rejects, report)
    else:
        compare_stream(args, dec, case, records, lines, oracle, samples, rejects, kept, report)
    report["seconds"] = f"oracle {t_oracle:.1f}, prep {t_prep:.1f}"
    report["commands"] = [" ".join(oracle_cmd), " ".join(prep_cmd)]
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", help="a directory written by make_records.py")
    ap.add_argument("--prep", default=default_prep())
    ap.add_argument("--tokenizer", default=os.environ.get("PREP_TOKENIZER")
                    or os.path.join(ROOT, ".cache", "tokenizer", "qwen3"))
    ap.add_argument("--oracle", default=default_oracle())
    ap.add_argument("--python", default=sys.executable, help="the interpreter that runs the oracle")
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--keep", default=None, help="keep prep's outputs in this directory")
    ap.add_argument("--show", type=int, default=1, help="mismatches shown in detail per case")
    ap.add_argument("--record-chars", type=int, default=600, help="characters of a record shown")
    ap.add_argument("--verbose", action="store_true", help="print the commands run")
    args = ap.parse_args()
    if not os.path.isfile(args.oracle):
        print(f"oracle not found at {args.oracle} (set ORACLE or pass --oracle)", file=sys.stderr)
        return 2
    manifest = json.load(open(os.path.join(args.dir, "manifest.json"), encoding="utf-8"))
    cases = CASES
    if args.only:
        names = args.only.split(",")
        unknown = [n for n in names if n not in {c["name"] for c in CASES}]
        if unknown:
            print(f"unknown case(s) {unknown}; cases: {[c['name'] for c in CASES]}", file=sys.stderr)
            return 2
        cases = [c for c in CASES if c["name"] in names]
    expanded = []
    for case in cases:
        if case.get("identity"):  # one run per (name, author) pair of the manifest
            for n, pair in enumerate(manifest["identity"], start=1):
                expanded.append(dict(case, name=f"{case['name']}-{n}", identity=pair))
        else:
            expanded.append(case)
    cases = expanded
    dec = Decoder(args.tokenizer)
    tmp = args.keep or tempfile.mkdtemp(prefix="recipe-conformance-")
    os.makedirs(tmp, exist_ok=True)
    print(f"records: {args.dir} (seed {manifest['seed']}, {manifest['records']} per file); prep {args.prep}")
    total = 0
    failed = False
    try:
        for case in cases:
            try:
                rep = run_case(args, dec, case, args.dir, manifest, tmp)
            except RuntimeError as e:
                print(f"{case['name']}: FAILED TO RUN\n{e}")
                failed = True
                continue
            total += rep["mismatches"]
            status = "ok" if rep["mismatches"] == 0 else "MISMATCH"
            print(f"{rep['case']:<28} records {rep['records']:>5}  documented rejects {rep['documented rejects']:>4}"
                  f"  samples compared {rep['samples compared']:>5}  mismatches {rep['mismatches']:>4}  {status}"
                  f"  ({rep['seconds']} s)")
            if case.get("identity"):
                print(f"  (name {case['identity']['name']!r}, author {case['identity']['author']!r})")
            if args.verbose:
                for c in rep["commands"]:
                    print(f"  $ {c}")
            for line in rep["detail"]:
                print(line)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"total mismatches: {total}")
    if failed:
        return 2
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
