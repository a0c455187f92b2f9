#!/bin/bash
# Alternating runs of several prep binaries on one JSONL file (`prep tokenize --jsonl FILE --count --workers 1`):
# the host is noisy, so binaries take turns, and the summary gives the min and median of the self-reported
# seconds, the min process CPU time (user + sys, includes loading the tokenizer), and for every binary after
# the first the median of its per-round ratio to the first (paired, so slow phases of the host cancel out).
# Token counts must agree between binaries.
#
# Usage: scripts/bench/alternate_runs.sh FILE ROUNDS BIN1 [BIN2 ...]   (PREP_TOKENIZER defaults to
# .cache/tokenizer/qwen3; copy the old binary to /tmp first, since a rebuild replaces .build/release/prep)
set -euo pipefail
file=$1
rounds=$2
shift 2
export PREP_TOKENIZER=${PREP_TOKENIZER:-$(pwd)/.cache/tokenizer/qwen3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for ((b = 1; b <= $#; b++)); do
    bin=${!b}
    out=$({ /usr/bin/time -f "%U %S" "$bin" tokenize --jsonl "$file" --count --workers 1; } 2>&1)
    tokens=$(grep -o '"tokens":[0-9]*' <<<"$out" | cut -d: -f2)
    seconds=$(grep -o '"seconds":[0-9.]*' <<<"$out" | cut -d: -f2)
    cpu=$(tail -1 <<<"$out" | awk '{print $1 + $2}')
    echo "$tokens $seconds $cpu" >>"$work/$b"
  done
done
for ((b = 1; b <= $#; b++)); do
  median=$(awk '{print $2}' "$work/$b" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  minimum=$(awk '{print $2}' "$work/$b" | sort -n | head -1)
  cpu=$(awk '{print $3}' "$work/$b" | sort -n | head -1)
  tokens=$(awk '{print $1}' "$work/$b" | sort -u | tr '\n' ' ')
  line="${!b}: seconds min $minimum median $median; cpu min $cpu; tokens $tokens"
  if ((b > 1)); then
    ratio=$(paste "$work/1" "$work/$b" | awk '{print $5 / $2}' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    line="$line; paired ratio to the first (median) $ratio"
  fi
  echo "$line"
done
