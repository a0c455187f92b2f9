#!/usr/bin/env python3
"""End-to-end pipelines: prep against the seeds' own Python recipes (and a lean Python packer), side by side
in one run. For every row: wall time of the whole process (start-up included, for every tool alike),
records/s and MB/s of JSONL input, peak RSS summed over the process and all its descendants (sampled from
/proc every 50 ms; HF datasets' num_proc workers are children, so they are included; shared pages are
counted once per process, as `ps` would), the largest single-process max RSS (wait4), output bytes on disk,
tokens and bytes per token on disk. Ratios come last.

  fudan   a large fudan-shaped JSONL (make_fudan_large.py: --records from the dev corpus, text = first 300
          chars of a document, category = 4 names, output = one of them), then
            seed recipe (seed_fudan.py: pandas -> Dataset.from_pandas -> map(process_func) -> save_to_disk),
              num_proc unset (the seed's own call: one process), 1 (datasets 5 then forks a worker) and 2
            prep run pipelines/fudan.pipeline --set input=... --set output=... --workers 2 --quiet
  monkey  the dev corpus (default /work/corpus/monkey_dev.jsonl, ~100 MB), then
            seed recipe (seed_monkey.py: load_dataset json -> map tokenize -> map group_texts 2048 ->
              save_to_disk), num_proc 2
            lean Python (lean_monkey.py: orjson -> fastokens -> <|endoftext|> -> 2048 blocks -> uint32 ->
              zstd-3), 1 and 2 threads
            prep run pipelines/monkey.pipeline --set input=... --set output=... --workers 1 and 2
            prep --workers 2 on the corpus concatenated twice (RSS should not grow with the input)

A row whose command is missing or fails is printed as failed and the run goes on.

Usage: bench_pipeline.py fudan  [--records 100000] [--input FILE] [common options]
       bench_pipeline.py monkey [--input FILE] [--no-double] [common options]
  common: [--prep PATH] [--tokenizer DIR] [--workdir /tmp/prep-bench] [--only seed,lean,prep] [--keep]
          [--pipelines DIR]  (default: pipelines/ of this repository)
          [--repeat N]  run every row N times (outputs and the HF datasets cache cleared before each) and keep
                        the fastest; default 1
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PAGE = os.sysconf("SC_PAGE_SIZE")


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import default_prep  # noqa: E402  (scripts/common.py)


# ---- measuring one command ------------------------------------------------------------------------------


def tree_rss(root_pid):
    """Sum of RSS bytes of root_pid and all its descendants."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(name))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def measure(cmd, env=None, cwd=None):
    """Runs cmd; returns wall seconds, peak summed RSS, max single RSS, status, stdout, stderr."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    except OSError as e:
        return {"error": f"cannot run {cmd[0]}: {e}"}
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = [], []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    res = {"wall": wall, "peak_rss": max(peak[0], usage.ru_maxrss * 1024), "max_rss_single": usage.ru_maxrss * 1024,
           "status": proc.returncode, "stdout": out[0].decode("utf-8", "replace"),
           "stderr": err[0].decode("utf-8", "replace")}
    if proc.returncode != 0:
        tail = (res["stderr"].strip().splitlines() or res["stdout"].strip().splitlines() or [""])[-1]
        res["error"] = f"exit {proc.returncode}: {tail[:300]}"
    return res


def disk_bytes(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


def last_json(text):
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    return {}


TOKEN_KEYS = ("tokens", "token_count", "tokenCount", "num_tokens", "numTokens", "tokenCounts")


def prep_tokens(out_dir):
    """Total tokens from prep's index.json (sums per-shard token counts; the key name is looked up)."""
    path = os.path.join(out_dir, "index.json")
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError):
        return None
    shards = index.get("shards") if isinstance(index, dict) else None
    if isinstance(shards, list):
        counts = [s.get("counts", {}).get("tokens") if isinstance(s, dict) else None for s in shards]
        if counts and all(isinstance(v, int) for v in counts):
            return sum(counts)
        for key in TOKEN_KEYS:
            vals = [s.get(key) for s in shards if isinstance(s, dict)]
            if vals and all(isinstance(v, int) for v in vals):
                return sum(vals)
    if isinstance(index, dict):
        for holder in (index, index.get("totals", {}), index.get("stats", {})):
            if isinstance(holder, dict):
                for key in TOKEN_KEYS:
                    if isinstance(holder.get(key), int):
                        return holder[key]
    return None


# ---- rows ------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.rows = []
        self.prep_warmed = False
        os.makedirs(args.workdir, exist_ok=True)

    def py_env(self, threads=None):
        env = dict(os.environ, HF_DATASETS_CACHE=os.path.join(self.args.workdir, "hf-cache"), HF_HUB_OFFLINE="1",
                   HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
        if threads:
            env.update(RAYON_NUM_THREADS=str(threads), RAYON_RS_NUM_CPUS=str(threads),
                       FASTOKENS_BPE_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        return env

    def fresh(self, path):
        shutil.rmtree(os.path.join(self.args.workdir, "hf-cache"), ignore_errors=True)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)

    def run(self, label, cmd, out, input_path, records, env=None, cwd=None, tokens_from=None):
        print(f"running {label}: {' '.join(cmd)}", flush=True)
        r = None
        for _ in range(max(1, self.args.repeat)):  # the fastest of --repeat runs, for every row alike
            self.fresh(out)
            attempt = measure(cmd, env=env, cwd=cwd)
            if r is None or "error" in attempt or ("error" not in r and attempt["wall"] < r["wall"]):
                r = attempt
            if "error" in r:
                break
        row = {"label": label, "input_bytes": os.path.getsize(input_path), "records": records}
        if "error" in r:
            row["error"] = r["error"]
            print(f"  FAILED: {r['error']}", flush=True)
        else:
            row.update(wall=r["wall"], peak_rss=r["peak_rss"], max_rss_single=r["max_rss_single"],
                       out_bytes=disk_bytes(out) if os.path.exists(out) else None)
            row["tokens"] = tokens_from(r, out) if tokens_from else None
            print(f"  {r['wall']:.1f} s, peak RSS {r['peak_rss'] / 2**20:.0f} MiB summed, "
                  f"tokens {row['tokens']}", flush=True)
        if not self.args.keep:
            self.fresh(out)
        self.rows.append(row)
        return row

    def prep_row(self, label, pipeline, input_path, records, workers, fallback_tokens=None):
        out = os.path.join(self.args.workdir, f"prep-out-w{workers}")
        cmd = [self.args.prep, "run", os.path.join(self.args.pipelines, pipeline), "--set", f"input={input_path}",
               "--set", f"output={out}", "--workers", str(workers), "--quiet"]
        env = dict(os.environ, PREP_TOKENIZER=os.path.abspath(self.args.tokenizer))
        if not self.prep_warmed:
            # prep keeps the built tokenizer tables in its cache (~/.cache/prep/tokenizers); a machine's first
            # prep command builds them (0.15 s more). Build them here, untimed, so every prep row is measured
            # in the same, usual state.
            subprocess.run([self.args.prep, "tokenize", "warm-up"], env=env, cwd=ROOT, capture_output=True)
            print("prep: compiled tokenizer cache filled (untimed)", flush=True)
            self.prep_warmed = True

        def tokens(_r, o):
            n = prep_tokens(o)
            if n is None and fallback_tokens is not None:
                return ("assumed", fallback_tokens)
            return n

        return self.run(label, cmd, out, input_path, records, env=env, cwd=ROOT, tokens_from=tokens)

    def table(self, records_unit):
        print()
        head = (f"{'run':<40}{'wall s':>9}{records_unit + '/s':>12}{'MB/s':>8}{'peak RSS MiB':>14}"
                f"{'1-proc MiB':>12}{'out MB':>9}{'tokens':>12}{'B/token':>9}")
        print(head)
        print("-" * len(head))
        for row in self.rows:
            if "error" in row:
                print(f"{row['label']:<40}  failed: {row['error'][:100]}")
                continue
            tok = row["tokens"]
            note = ""
            if isinstance(tok, tuple):
                tok, note = tok[1], "*"
            bpt = f"{row['out_bytes'] / tok:.2f}{note}" if tok and row["out_bytes"] else "-"
            print(f"{row['label']:<40}{row['wall']:>9.1f}{row['records'] / row['wall']:>12.0f}"
                  f"{row['input_bytes'] / row['wall'] / 1e6:>8.1f}{row['peak_rss'] / 2**20:>14.0f}"
                  f"{row['max_rss_single'] / 2**20:>12.0f}{(row['out_bytes'] or 0) / 1e6:>9.1f}"
                  f"{str(tok if tok is not None else '-'):>12}{bpt:>9}")
        if any(isinstance(r.get("tokens"), tuple) for r in self.rows):
            print("* prep's token count not found in index.json; the seed recipe's count is used")
        preps = [r for r in self.rows if r["label"].startswith("prep") and "error" not in r]
        peers = [r for r in self.rows if not r["label"].startswith("prep") and "error" not in r]
        if preps and peers:
            print()
            print("ratios (speed = peer wall / prep wall, throughput on the same input; RSS = peer / prep):")
            for p in preps:
                for q in peers:
                    if p["input_bytes"] != q["input_bytes"]:
                        continue
                    print(f"  {p['label']} vs {q['label']}: speed {q['wall'] / p['wall']:.1f}x, "
                          f"peak RSS {q['peak_rss'] / max(p['peak_rss'], 1):.1f}x")


def bench_fudan(args):
    b = Bench(args)
    path = args.input
    if not path:
        path = os.path.join(args.workdir, f"fudan_{args.records}.jsonl")
        if not os.path.exists(path):
            subprocess.run([sys.executable, os.path.join(HERE, "make_fudan_large.py"), path,
                            "--records", str(args.records), "--corpus", args.corpus], check=True)
    with open(path, "rb") as f:
        records = sum(1 for line in f if line.strip())
    print(f"input: {path}: {records} records, {os.path.getsize(path) / 1e6:.1f} MB")
    seed_tokens = None
    only = args.only.split(",")
    if "seed" in only:
        for n in (0, 1, 2):
            out = os.path.join(args.workdir, f"seed-fudan-np{n}")
            row = b.run(f"seed recipe (datasets, num_proc {n or 'unset'})",
                        [sys.executable, os.path.join(HERE, "seed_fudan.py"), path, out, "--tokenizer",
                         args.tokenizer, "--num-proc", str(n)], out, path, records, env=b.py_env(),
                        tokens_from=lambda r, o: last_json(r["stdout"]).get("tokens"))
            seed_tokens = seed_tokens or row.get("tokens")
    if "prep" in only:
        b.prep_row("prep run --workers 2", "fudan.pipeline", path, records, 2, fallback_tokens=seed_tokens)
    b.table("rec")


def bench_monkey(args):
    b = Bench(args)
    path = args.input
    with open(path, "rb") as f:
        records = sum(1 for line in f if line.strip())
    print(f"input: {path}: {records} documents, {os.path.getsize(path) / 1e6:.1f} MB")
    only = args.only.split(",")
    ref_tokens = None
    if "seed" in only:
        out = os.path.join(args.workdir, "seed-monkey")
        row = b.run("seed recipe (datasets, num_proc 2)",
                    [sys.executable, os.path.join(HERE, "seed_monkey.py"), path, out, "--tokenizer", args.tokenizer,
                     "--num-proc", "2"], out, path, records, env=b.py_env(),
                    tokens_from=lambda r, o: last_json(r["stdout"]).get("tokens"))
    if "lean" in only:
        for n in (1, 2):
            out = os.path.join(args.workdir, f"lean-{n}.u32.zst")
            row = b.run(f"lean Python (fastokens, {n} thread{'s' if n > 1 else ''})",
                        [sys.executable, os.path.join(HERE, "lean_monkey.py"), path, out, "--tokenizer",
                         args.tokenizer], out, path, records, env=b.py_env(n),
                        tokens_from=lambda r, o: last_json(r["stdout"]).get("tokens"))
            ref_tokens = ref_tokens or row.get("tokens")
    if "prep" in only:
        for n in (1, 2):
            b.prep_row(f"prep run --workers {n}", "monkey.pipeline", path, records, n, fallback_tokens=ref_tokens)
        if not args.no_double:
            doubled = os.path.join(args.workdir, "monkey_doubled.jsonl")
            with open(doubled, "wb") as out:
                for _ in range(2):
                    with open(path, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 24)
            b.prep_row("prep run --workers 2, input x2", "monkey.pipeline", doubled, 2 * records, 2,
                       fallback_tokens=2 * ref_tokens if ref_tokens else None)
            if not args.keep:
                os.remove(doubled)
    b.table("doc")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=["fudan", "monkey"])
    ap.add_argument("--input", default=None)
    ap.add_argument("--corpus", default="/work/corpus/monkey_dev.jsonl")
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--no-double", action="store_true")
    ap.add_argument("--prep", default=default_prep())
    ap.add_argument("--tokenizer", default=os.environ.get("PREP_TOKENIZER")
                    or os.path.join(ROOT, ".cache", "tokenizer", "qwen3"))
    ap.add_argument("--workdir", default="/tmp/prep-bench")
    ap.add_argument("--pipelines", default=os.path.join(ROOT, "pipelines"), help="directory of the .pipeline files")
    ap.add_argument("--only", default="seed,lean,prep")
    ap.add_argument("--keep", action="store_true", help="keep outputs in --workdir")
    ap.add_argument("--repeat", type=int, default=1, help="run every row N times and keep the fastest")
    args = ap.parse_args()
    args.tokenizer = os.path.abspath(args.tokenizer)
    if args.which == "fudan":
        bench_fudan(args)
    else:
        args.input = args.input or args.corpus
        bench_monkey(args)


if __name__ == "__main__":
    main()
