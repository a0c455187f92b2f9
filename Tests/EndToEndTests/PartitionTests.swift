import Foundation
import PrepTestSupport
import Testing

/// Runs `arguments` (a `prep run` without its output) as `parts` tasks `--partition I/N` into `out`, one after the
/// other, each expected to succeed.
private func runParts(_ arguments: [String], parts: Int, out: String) throws {
  for i in 0..<parts {
    let run = try prep(arguments + ["--set", "output=\(out)", "--partition", "\(i)/\(parts)", "--quiet"])
    #expect(run.status == 0, "part \(i)/\(parts): \(run.stderr)")
  }
}

/// What a dataset directory holds, as the tests compare it: its samples as `prep export` prints them, its index
/// stats (parsed) and its rejects file.
private struct Snapshot {
  var export: Data
  var stats: NSDictionary
  var rejects: Data

  init(_ dir: String) throws {
    let run = try prep(["export", dir])
    #expect(run.status == 0, "\(run.stderr)")
    export = run.stdout
    stats = NSDictionary(dictionary: try jsonObject(dir + "/index.json")["stats"] as? [String: Any] ?? [:])
    rejects = contents(dir + "/rejects.jsonl")
  }
}

/// The part directories left in `dir`.
private func partDirectories(_ dir: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("part-") }.sorted()
}

/// A copy of the first `lines` lines of a fixture, in `dir`.
private func firstLines(_ fixture: String, _ lines: Int, in dir: String) throws -> String {
  let path = dir + "/input.jsonl"
  let text = String(decoding: contents(TestPaths.fixture(fixture)), as: UTF8.self)
  let kept = text.split(separator: "\n", omittingEmptySubsequences: false).prefix(lines).joined(separator: "\n")
  try Data((kept + "\n").utf8).write(to: URL(fileURLWithPath: path))
  return path
}

/// SFT samples do not depend on their neighbours: N parts merged are exactly one run's samples (in order), with
/// exactly its statistics (records, bytes, rejects by reason, truncated, tokens, input files, fingerprint, ...) and
/// its rejects file; the merged dataset verifies and the parts are gone. Two input files (one with bad records)
/// cut into 1, 2 and 3 parts, and 18 records cut into 25 parts (some parts empty, some files cut mid-way).
@Test(arguments: [
  ("fixtures/bad/mixed.jsonl,fixtures/fudan/train.jsonl", 1),
  ("fixtures/bad/mixed.jsonl,fixtures/fudan/train.jsonl", 2),
  ("fixtures/bad/mixed.jsonl,fixtures/fudan/train.jsonl", 3),
  ("fixtures/bad/mixed.jsonl", 25),
])
func partitionedSFTRunMergesIntoTheSingleRunsDataset(_ input: String, _ parts: Int) throws {
  let out = TestPaths.temporaryDirectory("partition-sft") + "/out"
  let args = ["run", "fudan", "--set", "input=[\(input)]"]
  let single = try prep(args + ["--set", "output=\(out)", "--quiet"])
  #expect(single.status == 0, "\(single.stderr)")
  let reference = try Snapshot(out)
  #expect(!reference.rejects.isEmpty)
  try FileManager.default.removeItem(atPath: out)

  try runParts(args, parts: parts, out: out)
  #expect(try partDirectories(out).count == parts)
  let lastPart = out + "/" + (try partDirectories(out).last ?? "")
  let partStats = try prep(["stats", lastPart])
  #expect(partStats.text.contains("partition part \(parts - 1) of \(parts)"), "\(partStats.text)")
  let merge = try prep(["merge", out])
  #expect(merge.status == 0, "\(merge.stderr)")
  #expect(merge.text.contains("merged \(parts) parts"))
  #expect(try partDirectories(out).isEmpty)
  let merged = try Snapshot(out)
  let same = merged.export == reference.export
  #expect(same, "the merged samples differ from one run's")
  #expect(merged.stats == reference.stats, "stats: \(merged.stats) vs one run's \(reference.stats)")
  #expect(merged.rejects == reference.rejects)
  let partition = try jsonObject(out + "/index.json")["pipeline"] as? [String: Any]
  #expect((partition?["partition"] as? [String: Any])?["count"] as? Int == parts)
  let verify = try prep(["verify", out])
  #expect(verify.status == 0, "\(verify.text) \(verify.stderr)")
  let stats = try prep(["stats", out])
  #expect(stats.status == 0)
  #expect(stats.text.contains("partition merged from \(parts) parts"), "\(stats.text)")
}

/// Pretraining blocks are cut from each part's own token stream, so blocks at part boundaries differ from one
/// run's. What holds, and is checked: with the last block padded, the trained tokens of all blocks in order are
/// exactly one run's token stream; records, bytes and rejects add up to one run's; every block is a full,
/// valid block (verify passes). 10 records in 13 parts leaves parts empty.
@Test(arguments: [3, 13])
func partitionedPretrainingRunKeepsTheTokenStream(_ parts: Int) throws {
  let dir = TestPaths.temporaryDirectory("partition-pretrain")
  let input = parts > 10 ? try firstLines("monkey/train.jsonl", 10, in: dir) : "fixtures/monkey/train.jsonl"
  let out = dir + "/out"
  let args = ["run", "monkey", "--set", "input=\(input)", "--set", "packing.remainder=pad"]
  #expect(try prep(args + ["--set", "output=\(out)", "--quiet"]).status == 0)
  let reference = try Snapshot(out)
  try FileManager.default.removeItem(atPath: out)

  try runParts(args, parts: parts, out: out)
  let merge = try prep(["merge", out])
  #expect(merge.status == 0, "\(merge.stderr)")
  let merged = try Snapshot(out)
  let stream = trainedStream(merged.export)
  let expected = trainedStream(reference.export)
  let same = stream == expected
  #expect(same, "the trained tokens differ from one run's stream (\(stream.count) vs \(expected.count) tokens)")
  #expect(!stream.isEmpty)
  for key in ["records", "input_bytes", "rejected_total", "input_files", "fingerprint"] {
    #expect(merged.stats[key] as? NSObject == reference.stats[key] as? NSObject, "\(key)")
  }
  func unpadded(_ s: NSDictionary) -> Int { (s["tokens"] as? Int ?? -1) - (s["pad_tokens"] as? Int ?? -1) }
  #expect(unpadded(merged.stats) == unpadded(reference.stats))
  for line in merged.export.split(separator: UInt8(ascii: "\n")) {
    let sample = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
    #expect((sample?["input_ids"] as? [Int])?.count == 2048)
  }
  let verify = try prep(["verify", out])
  #expect(verify.status == 0, "\(verify.text) \(verify.stderr)")
  let source = try prep(["verify", "--source", out])
  #expect(source.status == 0, "\(source.text) \(source.stderr)")
}

/// The ids of every trained position of an export, in order.
private func trainedStream(_ export: Data) -> [Int] {
  var out: [Int] = []
  for line in export.split(separator: UInt8(ascii: "\n")) {
    guard let sample = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
      let ids = sample["input_ids"] as? [Int], let labels = sample["labels"] as? [Int]
    else { return [-1] }
    for (id, label) in zip(ids, labels) where label != -100 { out.append(id) }
  }
  return out
}

/// A missing part, an unfinished part, parts of different runs or of different pipelines: the merge stops,
/// naming the part, and writes no index.json.
@Test func mergeRefusesMissingUnfinishedAndMismatchedParts() throws {
  let out = TestPaths.temporaryDirectory("partition-missing") + "/out"
  let args = ["run", "fudan"]
  for i in [0, 2] {
    #expect(try prep(args + ["--set", "output=\(out)", "--partition", "\(i)/3", "--quiet"]).status == 0)
  }
  let missing = try prep(["merge", out])
  #expect(missing.status == 1)
  #expect(missing.stderr.contains("part-00001-of-00003: missing"), "\(missing.stderr)")
  #expect(missing.stderr.contains("--partition 1/3"))
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))

  try FileManager.default.createDirectory(atPath: out + "/part-00001-of-00003", withIntermediateDirectories: false)
  let unfinished = try prep(["merge", out])
  #expect(unfinished.status == 1)
  #expect(unfinished.stderr.contains("part-00001-of-00003: not finished"), "\(unfinished.stderr)")

  #expect(try prep(args + ["--set", "output=\(out)", "--partition", "0/2", "--quiet"]).status == 0)
  let mixed = try prep(["merge", out])
  #expect(mixed.stderr.contains("different numbers of parts (2, 3)"), "\(mixed.stderr)")
  try FileManager.default.removeItem(atPath: out + "/part-00000-of-00002")

  let other = args + ["--set", "output=\(out)", "--partition", "1/3", "--set", "max_length=100", "--quiet"]
  #expect(try prep(other).status == 0)
  let differ = try prep(["merge", out])
  #expect(differ.status == 1)
  #expect(differ.stderr.contains("part-00001-of-00003"))
  #expect(differ.stderr.contains("the pipelines differ (recipe)"), "\(differ.stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
  #expect(try partDirectories(out).count == 3)
}

/// Pipelines that need the whole input are refused with --partition, saying why, before anything is written.
@Test(arguments: [
  ["--set", "val_size=0.1"], ["--set", "max_samples=10"], ["--set", "recipe.seed_compat=true"],
])
func partitionRefusesWholeInputSettings(_ setting: [String]) throws {
  let out = TestPaths.temporaryDirectory("partition-refused") + "/out"
  let pipeline = setting.last?.hasPrefix("recipe.seed_compat") == true ? "monkey" : "fudan"
  let run = try prep(["run", pipeline, "--set", "output=\(out)", "--partition", "0/2", "--quiet"] + setting)
  #expect(run.status == 2)
  let key = setting[1].split(separator: "=")[0].split(separator: ".").last.map(String.init) ?? ""
  #expect(run.stderr.contains(key), "\(run.stderr)")
  #expect(run.stderr.contains("--partition"))
  #expect(!FileManager.default.fileExists(atPath: out))
  // Without --partition the same settings run.
  #expect(try prep(["run", pipeline, "--set", "output=\(out)", "--quiet"] + setting).status == 0)
}

/// A merge interrupted after writing index.json leaves parts behind: merging again recognises them (by their
/// index.json's SHA-256) and removes them; one interrupted before leaves shard files without an index, which
/// merging again replaces. Each part's run is up to date when repeated.
@Test func anInterruptedMergeCanBeRunAgain() throws {
  let dir = TestPaths.temporaryDirectory("partition-again")
  let out = dir + "/out"
  try runParts(["run", "fudan"], parts: 2, out: out)
  let again = try prep(["run", "fudan", "--set", "output=\(out)", "--partition", "1/2"])
  #expect(again.text.hasPrefix("up to date"), "\(again.text)")
  try FileManager.default.copyItem(atPath: out, toPath: dir + "/backup")

  // Interrupted before index.json: stray shards and temporary files in OUTPUT.
  try Data("not a shard".utf8).write(to: URL(fileURLWithPath: out + "/shard-00007.bin"))
  try Data("{".utf8).write(to: URL(fileURLWithPath: out + "/.index.json.tmp"))
  #expect(try prep(["merge", out]).status == 0)
  #expect(try prep(["verify", out]).status == 0)
  let merged = contents(out + "/index.json")

  // Interrupted while removing the parts: one is back, half removed.
  let part = "/part-00001-of-00002"
  try FileManager.default.copyItem(atPath: dir + "/backup" + part, toPath: out + part)
  try FileManager.default.removeItem(atPath: out + part + "/shard-00000.bin")
  let leftovers = try prep(["merge", out])
  #expect(leftovers.status == 0, "\(leftovers.stderr)")
  #expect(leftovers.text.contains("already merged from 2 parts; removed 1 leftover"), "\(leftovers.text)")
  #expect(try partDirectories(out).isEmpty)
  #expect(contents(out + "/index.json") == merged)
  #expect(try prep(["verify", out]).status == 0)

  // Parts of another run are not taken for leftovers: the dataset is kept unless --force.
  try runParts(["run", "fudan", "--set", "max_length=100"], parts: 2, out: out)
  let refused = try prep(["merge", out])
  #expect(refused.status == 1)
  #expect(refused.stderr.contains("--force"))
  #expect(contents(out + "/index.json") == merged)
  #expect(try prep(["merge", out, "--force"]).status == 0)
  #expect(contents(out + "/index.json") != merged)
  #expect(try prep(["verify", out]).status == 0)
}

/// `--partition auto` takes the part from a Slurm job array (ids need not start at 0); in a Kubernetes Indexed
/// Job it says how to pass the count.
@Test func partitionAutoReadsASlurmArray() throws {
  let slurm = [
    "SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "6",
    "SLURM_ARRAY_TASK_COUNT": "3",
  ]
  let run = try prep(["run", "fudan", "--partition", "auto", "--dry-run"], environment: slurm)
  #expect(run.status == 0, "\(run.stderr)")
  #expect(run.text.contains("# partition 1/3 into out/fudan/part-00001-of-00003"), "\(run.text)")
  var stepped = slurm
  stepped["SLURM_ARRAY_TASK_MAX"] = "8"
  let gaps = try prep(["run", "fudan", "--partition", "auto", "--dry-run"], environment: stepped)
  #expect(gaps.status == 2)
  #expect(gaps.stderr.contains("pass --partition I/N"))
  let kubernetes = try prep(
    ["run", "fudan", "--partition", "auto", "--dry-run"],
    environment: ["SLURM_ARRAY_TASK_ID": "", "JOB_COMPLETION_INDEX": "2"])
  #expect(kubernetes.status == 2)
  #expect(kubernetes.stderr.contains("$(JOB_COMPLETION_INDEX)/N"), "\(kubernetes.stderr)")
  let bad = try prep(["run", "fudan", "--partition", "3/3", "--dry-run"])
  #expect(bad.status != 0)
  #expect(bad.stderr.contains("0 <= I < N"))
}

/// A part's run resumes in its own directory: killed after a checkpoint, `--resume` finishes it byte-identical to
/// an uninterrupted run of the same part (index.json included).
@Test func aKilledPartResumesToTheBytesOfAnUninterruptedPart() throws {
  let dir = TestPaths.temporaryDirectory("partition-resume")
  let input = try repeatedMonkeyInput(in: dir)
  let out = dir + "/out"
  let part = out + "/part-00001-of-00002"
  let arguments = [
    "run", "monkey", "--set", "input=\(input)", "--set", "output=\(out)", "--set", "input.chunk_bytes=4096",
    "--set", "output.samples_per_shard=20", "--partition", "1/2", "--quiet", "--workers", "2",
  ]
  let uninterrupted = try prep(arguments)
  #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
  let reference = try allFiles(part)
  #expect(reference.keys.contains("index.json"))
  try FileManager.default.removeItem(atPath: out)

  try killAfterCheckpoint(arguments, in: part)
  let resumed = try prep(arguments + ["--resume"])
  #expect(resumed.status == 0, "\(resumed.stderr)")
  #expect(resumed.stderr.contains("resuming the interrupted run in \(part)"), "\(resumed.stderr)")
  let got = try allFiles(part)
  #expect(Set(got.keys) == Set(reference.keys))
  for (name, bytes) in reference { #expect(got[name] == bytes, "\(name) differs from the uninterrupted part's") }
}
