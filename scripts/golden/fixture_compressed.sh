#!/usr/bin/env bash
# Writes the compressed copies of fixtures that the input tests and the golden runs read, with the standard tools
# (gzip, bzip2, xz), so that prep is checked on files those tools made. Byte-identical on rerun with the same tool
# versions (gzip -n leaves out the name and time). Run from anywhere; make_fixtures.sh calls it last.
#
# - fixtures/monkey/train.jsonl.{gz,bz2,xz} and fixtures/monkey/wiki.xml.bz2: the monkey fixtures, compressed; the
#   golden runs (Tests/EndToEndTests/GoldenTests.swift) export them and compare with the plain files' goldens;
#   fixtures/monkey/train-multistream.jsonl.bz2: the same lines as ten bzip2 streams (a multistream file).
# - fixtures/input/compressed/messy.jsonl.{gz,bz2,xz}: fixtures/input/messy.jsonl, compressed.
# - fixtures/input/compressed/long.jsonl.{gz,bz2,xz}: one JSON line of 8 MiB of "a" and a short line after it:
#   a few KiB that expand over a thousand times (the bounded-memory tests).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
compress_all() {  # compress_all FILE OUTDIR
  local name
  name=$(basename "$1")
  gzip -9 -n -c "$1" > "$2/$name.gz"
  bzip2 -9 -c "$1" > "$2/$name.bz2"
  xz -6 -c "$1" > "$2/$name.xz"
}
compress_all fixtures/monkey/train.jsonl fixtures/monkey
# Ten bzip2 streams of 20 lines each, one after another, as in Wikipedia's multistream dumps.
for start in $(seq 1 20 200); do
  sed -n "${start},$((start + 19))p" fixtures/monkey/train.jsonl | bzip2 -9 -c
done > fixtures/monkey/train-multistream.jsonl.bz2
bzip2 -9 -c fixtures/monkey/wiki.xml > fixtures/monkey/wiki.xml.bz2
mkdir -p fixtures/input/compressed
compress_all fixtures/input/messy.jsonl fixtures/input/compressed
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf '{"text": "'; head -c 8388608 /dev/zero | tr '\0' 'a'; printf '"}\n{"text": "after the long line"}\n'; } \
  > "$tmp/long.jsonl"
compress_all "$tmp/long.jsonl" fixtures/input/compressed
