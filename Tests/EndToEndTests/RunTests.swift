import Foundation
import PrepTestSupport
import Testing

/// Output bytes never depend on the worker count, the chunk size of the work, or the run.
@Test(arguments: ["fudan", "monkey", "belle-assistant"])
func outputIsIdenticalForAnyWorkerCountAndOnRerun(_ pipeline: String) throws {
  var reference: [String: Data]? = nil
  var referenceIndex: Data? = nil
  let out = TestPaths.temporaryDirectory("det")
  for (i, workers) in ["1", "2", "3", "2"].enumerated() {
    let dir = out + "/run"
    // A tiny chunk size makes many chunks, so the map really runs out of order.
    let run = try prep([
      "run", pipeline, "--set", "output=\(dir)", "--set", "input.chunk_bytes=4096", "--workers", workers, "--quiet",
      "--force",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let files = try datasetFiles(dir)
    #expect(!files.isEmpty)
    let index = contents(dir + "/index.json")
    if let reference, let referenceIndex {
      #expect(files == reference, "shards differ with --workers \(workers) (run \(i))")
      #expect(index == referenceIndex, "index.json differs with --workers \(workers) (run \(i))")
    } else {
      reference = files
      referenceIndex = index
    }
  }
}

/// Every bad line is reported with file, line, byte offset and reason; every good record still comes through.
@Test func badInputIsReportedAndGoodRecordsComeThrough() throws {
  let expected = try jsonObject(TestPaths.fixture("bad/mixed.expected.json"))
  let out = TestPaths.temporaryDirectory("bad")
  let run = try prep(["run", "fudan", "--set", "input=fixtures/bad/mixed.jsonl", "--set", "output=\(out)", "--quiet"])
  #expect(run.status == 0, "\(run.stderr)")
  let rejects = String(decoding: contents(out + "/rejects.jsonl"), as: UTF8.self).split(separator: "\n")
  let bad = expected["bad"] as? [[String: Any]] ?? []
  #expect(!bad.isEmpty)
  #expect(rejects.count == bad.count)
  for (line, want) in zip(rejects, bad) {
    let got = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    #expect(got["file"] as? String == "fixtures/bad/mixed.jsonl")
    #expect(got["line"] as? Int == want["line"] as? Int)
    #expect(got["byte_offset"] as? Int == want["byte_offset"] as? Int)
    #expect(got["reason"] as? String == want["reason"] as? String)
    #expect(!(got["detail"] as? String ?? "").isEmpty)
  }
  let index = try jsonObject(out + "/index.json")
  let totals = index["totals"] as? [String: Any]
  #expect(totals?["samples"] as? Int == expected["good_records"] as? Int)
  let stats = index["stats"] as? [String: Any]
  #expect(stats?["rejected_total"] as? Int == bad.count)
  #expect(run.text.contains("\(bad.count) rejected"))
}

@Test func anExistingDatasetIsNotOverwrittenWithoutForce() throws {
  let out = TestPaths.temporaryDirectory("force")
  #expect(try prep(["run", "fudan", "--set", "output=\(out)", "--quiet"]).status == 0)
  let before = contents(out + "/index.json")
  // Another pipeline's dataset is never replaced without --force.
  let other = try prep(["run", "monkey", "--set", "output=\(out)", "--quiet"])
  #expect(other.status != 0)
  #expect(other.stderr.contains("--force"))
  #expect(contents(out + "/index.json") == before)
  #expect(try prep(["run", "monkey", "--set", "output=\(out)", "--quiet", "--force"]).status == 0)
  #expect(contents(out + "/index.json") != before)
}

@Test func aRerunSaysUpToDateAndAChangeRebuilds() throws {
  let dir = TestPaths.temporaryDirectory("uptodate")
  let input = dir + "/train.jsonl"
  try contents(TestPaths.fixture("fudan/train.jsonl")).write(to: URL(fileURLWithPath: input))
  let out = dir + "/out"
  let args = ["run", "fudan", "--set", "input=\(input)", "--set", "output=\(out)", "--quiet"]
  #expect(try prep(args).status == 0)
  let first = contents(out + "/index.json")
  let again = try prep(args)
  #expect(again.status == 0)
  #expect(again.text.hasPrefix("up to date"))
  #expect(contents(out + "/index.json") == first)
  // A changed pipeline value rebuilds, saying why.
  let changed = try prep(args + ["--set", "max_length=100"])
  #expect(changed.status == 0)
  #expect(changed.stderr.contains("the pipeline changed"))
  #expect(contents(out + "/index.json") != first)
  // A changed input (new modification time and size) rebuilds too.
  try (contents(input) + Data("{\"text\": \"新的一条\", \"category\": [\"a\"], \"output\": \"a\"}\n".utf8))
    .write(to: URL(fileURLWithPath: input))
  let grown = try prep(args + ["--set", "max_length=100"])
  #expect(grown.stderr.contains("the input files changed"))
  #expect(grown.text.contains("66 read"))
}

@Test func tooManyRejectsFailsWithoutACompleteDataset() throws {
  let out = TestPaths.temporaryDirectory("maxrej")
  let run = try prep([
    "run", "fudan", "--set", "input=fixtures/bad/mixed.jsonl", "--set", "output=\(out)", "--quiet",
    "--max-rejects", "2",
  ])
  #expect(run.status == 3)
  #expect(run.stderr.contains("rejected"))
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
  #expect(FileManager.default.fileExists(atPath: out + "/rejects.jsonl"))
  let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter {
    $0.hasPrefix("shard-") || $0.hasSuffix(".tmp")
  }
  #expect(leftovers.isEmpty, "\(leftovers)")
  // A percentage works too, and a generous one lets the run finish.
  let lenient = try prep([
    "run", "fudan", "--set", "input=fixtures/bad/mixed.jsonl", "--set", "output=\(out)", "--quiet",
    "--max-rejects", "90%",
  ])
  #expect(lenient.status == 0, "\(lenient.stderr)")
}

/// A percentage limit is judged on the whole input: a bad start that is a small share of the whole passes, with
/// any chunk size; a count limit stops the run as soon as it is passed.
@Test func aRejectShareIsJudgedOnTheWholeInput() throws {
  let out = TestPaths.temporaryDirectory("maxrej-share")
  var lines = Array(repeating: "not json", count: 20)
  lines += (0..<980).map { "{\"text\": \"document number \($0) with a few words of text in it\"}" }
  let input = out + "/input.jsonl"
  try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: input))
  for chunk in ["4096", "1048576"] {
    let args = [
      "run", "monkey", "--set", "input=\(input)", "--set", "input.chunk_bytes=\(chunk)", "--quiet", "--force",
    ]
    let passes = try prep(args + ["--set", "output=\(out)/pass", "--max-rejects", "5%"])
    #expect(passes.status == 0, "chunk \(chunk): \(passes.stderr)")
    let fails = try prep(args + ["--set", "output=\(out)/fail", "--max-rejects", "1%"])
    #expect(fails.status == 3, "chunk \(chunk)")
    #expect(fails.stderr.contains("20 of 1000 records rejected"), "\(fails.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out + "/fail/index.json"))
  }
}

/// A rebuild without a split removes the validation split of the dataset it replaces (left behind, it would pair
/// the new training data with validation data of the old input).
@Test func aRebuildWithoutASplitRemovesTheOldValidationSplit() throws {
  let out = TestPaths.temporaryDirectory("stale-validation")
  #expect(try prep(["run", "alpaca", "--set", "output=\(out)", "--set", "val_size=7", "--quiet"]).status == 0)
  #expect(FileManager.default.fileExists(atPath: out + "/validation/index.json"))
  let again = try prep(["run", "alpaca", "--set", "output=\(out)", "--set", "val_size=0", "--quiet", "--force"])
  #expect(again.status == 0, "\(again.stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/validation"))
  #expect(try prep(["export", out]).text.split(separator: "\n").count == 39)
}

/// The run's rejects file sits beside its training part; the statistics of the validation part point there.
@Test func validationStatsPointToTheRunsRejectsFile() throws {
  let out = TestPaths.temporaryDirectory("validation-rejects")
  var lines = (0..<20).map { #"{"instruction": "q\#($0)", "input": "", "output": "a\#($0)"}"# }
  lines.insert("not json", at: 3)
  try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: out + "/in.jsonl"))
  let run = try prep([
    "run", "alpaca", "--set", "input=\(out)/in.jsonl", "--set", "output=\(out)/d", "--set", "val_size=4", "--quiet",
  ])
  #expect(run.status == 0, "\(run.stderr)")
  let stats = try prep(["stats", "\(out)/d/validation"])
  #expect(stats.text.contains("(see \(out)/d/rejects.jsonl)"), "\(stats.text)")
}

@Test func aRecipeErrorStopsTheRunAndLeavesNothingThatLooksComplete() throws {
  let out = TestPaths.temporaryDirectory("unfilled")
  // identity.json holds {{name}} placeholders: without --set name=... the run must refuse.
  let run = try prep(["run", "identity", "--set", "output=\(out)", "--quiet"])
  #expect(run.status == 1)
  #expect(run.stderr.contains("name"))
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
}

@Test func pipelineErrorsNameFileLineKeyAndSuggest() throws {
  let run = try prep(["run", "fudan", "--set", "recipe.max_lenght=3", "--set", "output=/tmp/never"])
  #expect(run.status == 2)
  #expect(run.stderr.contains("recipe.max_lenght"))
  #expect(run.stderr.contains("did you mean 'max_length'?"))
  let typo = try prep(["run", "fudan", "--set", "packing.mode=best-fti"])
  #expect(typo.status == 2)
  #expect(typo.stderr.contains("pipelines/fudan.pipeline"))
  #expect(typo.stderr.contains("did you mean 'best_fit'?"))
}

@Test func dryRunPrintsTheResolvedPipeline() throws {
  let run = try prep(["run", "fudan", "--dry-run", "--set", "input=/data/x.jsonl", "--set", "max_length=512"])
  #expect(run.status == 0)
  #expect(run.text.contains("path: /data/x.jsonl"))
  #expect(run.text.contains("max_length: 512"))
}

/// Pretraining tokens after the last whole block are dropped by default: the summary and index.json say how many,
/// and a run that writes no sample at all says so.
@Test func droppedRemainderTokensAreReported() throws {
  let out = TestPaths.temporaryDirectory("dropped-remainder")
  let run = try prep(["run", "monkey-xml", "--set", "output=\(out)"])
  #expect(run.status == 0, "\(run.stderr)")
  #expect(run.text.contains("tokens after the last whole block"), "\(run.text)")
  #expect(run.text.contains("no sample was written"))
  let index = try JSONSerialization.jsonObject(with: contents(out + "/index.json")) as? [String: Any]
  let stats = index?["stats"] as? [String: Any]
  #expect((stats?["dropped_tokens_by_packing"] as? Int ?? 0) > 0)
}

/// Samples cut to the block by the packer are counted apart from the recipe's cuts, in index.json and in stats.
@Test func statsShowWhatPackingCut() throws {
  let out = TestPaths.temporaryDirectory("stats-packing")
  let run = try prep([
    "run", "belle-assistant", "--set", "output=\(out)", "--set", "block_size=64", "--set", "max_length=2048",
    "--quiet",
  ])
  #expect(run.status == 0, "\(run.stderr)")
  // The tokens lost are the cut tails, not a remainder after the last block (remainder is for pretraining).
  #expect(run.text.contains("tokens cut from samples longer than a block"), "\(run.text)")
  #expect(!run.text.contains("after the last whole block"))
  let json = try JSONSerialization.jsonObject(with: try prep(["stats", out, "--json"]).stdout) as? [String: Any]
  let cut = try #require(json?["truncated_by_packing"] as? Int)
  #expect(cut > 0)
  #expect(try prep(["stats", out]).text.contains("\(cut) cut to the block by packing"))
}

@Test func statsVerifyAndInspectDescribeTheDataset() throws {
  let out = TestPaths.temporaryDirectory("stats")
  #expect(try prep(["run", "fudan", "--set", "output=\(out)", "--quiet"]).status == 0)
  let stats = try prep(["stats", out, "--json"])
  #expect(stats.status == 0)
  let s = try JSONSerialization.jsonObject(with: stats.stdout) as? [String: Any] ?? [:]
  let golden = String(decoding: contents(TestPaths.fixture("fudan/golden.jsonl")), as: UTF8.self)
  #expect(s["samples"] as? Int == golden.split(separator: "\n").count)
  #expect((s["truncated"] as? Int ?? 0) > 0)
  let text = try prep(["stats", out])
  #expect(text.text.contains("p90"))
  #expect(text.text.contains("│"))
  let verify = try prep(["verify", out])
  #expect(verify.status == 0, "\(verify.stderr)")
  #expect(verify.text.hasPrefix("ok"))
  // A sample whose response survived the 384-token cut: the response and the seed's <|endoftext|> are trained.
  let inspect = try prep(["inspect", out, "--grep", "<|endoftext|>", "--sample", "1", "--plain"])
  #expect(inspect.status == 0)
  #expect(inspect.text.contains("<|im_start|>assistant\n⟦"))
  #expect(inspect.text.contains("<|endoftext|>⟧"))
}

/// An output directory that cannot be made is an error naming it and the system's reason, not a Foundation dump.
@Test func anOutputDirectoryThatCannotBeMadeIsNamed() throws {
  let dir = TestPaths.temporaryDirectory("output-under-file")
  let file = dir + "/a-file"
  #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
  let run = try prep(["run", "fudan", "--set", "output=\(file)/out", "--quiet"])
  #expect(run.status == 1)
  #expect(run.stderr == "error: \(file): mkdir failed: a file of that name exists\n", "\(run.stderr)")
}

/// prep's own errors read `error: <what and where>` (exit 1); usage errors and help keep ArgumentParser's output.
@Test func errorsAndHelpAreShownTheirWay() throws {
  let missing = TestPaths.temporaryDirectory("no-tokenizer-here")
  let load = try prep(["tokenize", "--tokenizer", missing, "hello"])
  #expect(load.status == 1)
  #expect(load.stderr == "error: \(missing): no tokenizer.json, and no vocab.json + merges.txt pair\n")
  let help = try prep(["tokenize", "--help"])
  #expect(help.status == 0)
  #expect(help.text.hasPrefix("OVERVIEW: Tokenize text"))
  let usage = try prep(["run", "fudan", "--workers", "0"])
  #expect(usage.status == 64)
  #expect(usage.stderr.hasPrefix("Error: --workers must be at least 1"))
}

/// `prep train --save DIR` makes DIR before training, so a path that cannot take it fails at once, named.
@Test func trainRefusesAnUnusableSaveDirectoryBeforeTraining() throws {
  let dir = TestPaths.temporaryDirectory("train-save-under-file")
  #expect(try prep(["run", "fudan", "--set", "output=\(dir)/data", "--quiet"]).status == 0)
  let file = dir + "/a-file"
  #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
  let run = try prep(["train", "\(dir)/data", "--steps", "1", "--save", "\(file)/model"])
  #expect(run.status == 1)
  #expect(run.stderr == "error: \(file): mkdir failed: a file of that name exists\n", "\(run.stderr)")
  #expect(!run.text.contains("loss"), "nothing should have been trained")
  // The save path itself an existing file: refused before training too.
  let onFile = try prep(["train", "\(dir)/data", "--steps", "1", "--save", file])
  #expect(onFile.status == 1)
  #expect(onFile.stderr == "error: \(file): mkdir failed: a file of that name exists\n", "\(onFile.stderr)")
  #expect(!onFile.text.contains("loss"), "nothing should have been trained")
}

/// A learning rate past Float's range is refused before training (it read as inf, and printing it hung); a run
/// whose loss becomes nan fails, and saves nothing.
@Test func trainRefusesAnInfiniteRateAndFailsWhenTheLossDiverges() throws {
  let dir = TestPaths.temporaryDirectory("train-diverge")
  #expect(try prep(["run", "fudan", "--set", "output=\(dir)/data", "--quiet"]).status == 0)
  for lr in ["inf", "1e39"] {
    let refused = try prep(["train", "\(dir)/data", "--steps", "1", "--lr=\(lr)"])
    #expect(refused.status == 64, "\(lr)")
    #expect(refused.stderr.contains("--lr must be a positive finite number, not inf"), "\(refused.stderr)")
  }
  let diverged = try prep(["train", "\(dir)/data", "--steps", "3", "--lr=1e30", "--save", "\(dir)/model"])
  #expect(diverged.status == 1)
  #expect(diverged.stderr.contains("training diverged: the loss is nan"), "\(diverged.stderr)")
  #expect(diverged.stderr.contains("nothing saved"))
  #expect(!FileManager.default.fileExists(atPath: dir + "/model/model.safetensors"))
  // The last step's update overflows after the last loss was taken: the weights are checked too.
  let overflow = try prep([
    "train", "\(dir)/data", "--steps", "1", "--warmup", "1", "--hidden", "32", "--layers", "1", "--batch-tokens",
    "512", "--lr=3.4e38", "--save", "\(dir)/model2",
  ])
  #expect(overflow.status == 1)
  #expect(overflow.stderr.contains("weights are no longer finite numbers"), "\(overflow.stderr)")
  #expect(!FileManager.default.fileExists(atPath: dir + "/model2/model.safetensors"))
}

/// Pretraining blocks: `prep stats` counts documents only when their boundaries are recorded (reset_positions).
@Test func statsCountsDocumentsInBlocksOnlyWhenTheyAreDelimited() throws {
  let plain = TestPaths.temporaryDirectory("stats-blocks")
  #expect(try prep(["run", "monkey", "--set", "output=\(plain)", "--quiet"]).status == 0)
  let text = try prep(["stats", plain]).text
  #expect(text.contains("packing   blocks: documents run across blocks (not delimited)"), "\(text)")
  let delimited = TestPaths.temporaryDirectory("stats-blocks-reset")
  #expect(
    try prep([
      "run", "monkey", "--set", "output=\(delimited)", "--set", "packing.reset_positions=true", "--quiet",
    ]).status == 0)
  let json = try JSONSerialization.jsonObject(with: try prep(["stats", delimited, "--json"]).stdout) as? [String: Any]
  let documents = try #require(json?["documents"] as? Int)
  let samples = try #require(json?["samples"] as? Int)
  #expect(documents > samples)
  #expect(try prep(["stats", delimited]).text.contains("packing   blocks: \(documents) documents"))
}

@Test func verifySourceCatchesAnInputThatChangedSinceTheRun() throws {
  let dir = TestPaths.temporaryDirectory("source")
  let input = dir + "/train.jsonl"
  try contents(TestPaths.fixture("fudan/train.jsonl")).write(to: URL(fileURLWithPath: input))
  let out = dir + "/out"
  #expect(try prep(["run", "fudan", "--set", "input=\(input)", "--set", "output=\(out)", "--quiet"]).status == 0)
  let same = try prep(["verify", out, "--source", "--sample", "5"])
  #expect(same.status == 0, "\(same.stderr)")
  #expect(same.text.contains("5 samples equal"))
  // Change one character of one record: the dataset no longer matches its source.
  var text = String(decoding: contents(input), as: UTF8.self)
  let range = try #require(text.range(of: "经济"))
  text.replaceSubrange(range, with: "金融")
  try Data(text.utf8).write(to: URL(fileURLWithPath: input))
  let changed = try prep(["verify", out, "--source"])
  #expect(changed.status == 1)
  #expect(changed.stderr.contains("differ"))
}

@Test func maxSamplesKeepsTheFirstRecordsAndValSizeSplitsExactlyAndRepeatably() throws {
  let out = TestPaths.temporaryDirectory("split")
  let first = try prep(["run", "alpaca", "--set", "output=\(out)/a", "--set", "val_size=7", "--quiet"])
  #expect(first.status == 0, "\(first.stderr)")
  let again = try prep(["run", "alpaca", "--set", "output=\(out)/b", "--set", "val_size=7", "--quiet"])
  #expect(again.status == 0)
  let trainA = try prep(["export", "\(out)/a"]).text.split(separator: "\n")
  let validA = try prep(["export", "\(out)/a/validation"]).text.split(separator: "\n")
  #expect(validA.count == 7)
  #expect(trainA.count == 39 - 7)
  // The same seed picks the same records; train + validation is every golden sample exactly once.
  #expect(try prep(["export", "\(out)/b/validation"]).text.split(separator: "\n") == validA)
  let golden = String(decoding: contents(TestPaths.fixture("alpaca/golden.jsonl")), as: UTF8.self)
    .split(separator: "\n")
  #expect(Set(trainA + validA) == Set(golden))
  #expect(trainA.allSatisfy { golden.contains($0) })
  // A different seed picks other records.
  #expect(
    try prep(["run", "alpaca", "--set", "output=\(out)/c", "--set", "val_size=7", "--set", "split.seed=7", "--quiet"])
      .status == 0)
  #expect(try prep(["export", "\(out)/c/validation"]).text.split(separator: "\n") != validA)
  // max_samples: the first N records only.
  #expect(try prep(["run", "fudan", "--set", "output=\(out)/m", "--set", "max_samples=10", "--quiet"]).status == 0)
  let firstTen = String(decoding: contents(TestPaths.fixture("fudan/golden.jsonl")), as: UTF8.self)
    .split(separator: "\n").prefix(10)
  #expect(try prep(["export", "\(out)/m"]).text.split(separator: "\n") == Array(firstTen))
}

@Test func aLineOverTheLimitIsRejectedWithoutStoppingTheRun() throws {
  let expected = try jsonObject(TestPaths.fixture("bad/long_line.expected.json"))
  let out = TestPaths.temporaryDirectory("long")
  let run = try prep([
    "run", "fudan", "--set", "input=fixtures/bad/long_line.jsonl", "--set", "output=\(out)",
    "--set", "input.max_line_bytes=1024", "--quiet",
  ])
  #expect(run.status == 0, "\(run.stderr)")
  let rejects = String(decoding: contents(out + "/rejects.jsonl"), as: UTF8.self)
  #expect(rejects.contains("\"reason\":\"line_too_long\""))
  let index = try jsonObject(out + "/index.json")
  #expect((index["totals"] as? [String: Any])?["samples"] as? Int == expected["good_records"] as? Int)
}

/// max_samples stops reading early, with chunks of different runs read ahead by different amounts: index.json
/// (input_bytes included) and the shards are still the same for any worker count.
@Test func maxSamplesGivesTheSameDatasetForAnyWorkerCount() throws {
  let dir = TestPaths.temporaryDirectory("max-det")
  var bytes = Data()
  let fixture = contents(TestPaths.fixture("monkey/train.jsonl"))
  for _ in 0..<8 { bytes += fixture }
  try bytes.write(to: URL(fileURLWithPath: dir + "/input.jsonl"))
  for limit in ["300", "1150", "1180", "1210", "1400"] {
    var reference: [String: Data]? = nil
    for workers in ["1", "2", "3"] {
      let out = dir + "/out"
      let run = try prep([
        "run", "monkey", "--set", "input=\(dir)/input.jsonl", "--set", "output=\(out)", "--set",
        "input.chunk_bytes=4096", "--set", "max_samples=\(limit)", "--workers", workers, "--quiet", "--force",
      ])
      #expect(run.status == 0, "\(run.stderr)")
      var files = try datasetFiles(out)
      files["index.json"] = contents(out + "/index.json")
      // input_bytes counts the records read (whole chunks of about 4 KB), not how far the reader had read ahead.
      let stats = try jsonObject(out + "/index.json")["stats"] as? [String: Any]
      let counted = try #require(stats?["input_bytes"] as? Int)
      let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
      let upToLimit = lines.prefix(Int(limit) ?? 0).reduce(0) { $0 + $1.count + 1 }
      #expect(counted >= upToLimit && counted < upToLimit + 4096 + 8192, "max_samples \(limit): \(counted)")
      if let reference {
        #expect(files == reference, "max_samples \(limit): --workers \(workers) differs from --workers 1")
      } else {
        reference = files
      }
    }
  }
}

/// An XML dump with broken pages: each is a line of rejects.jsonl (malformed_xml, its line and offset, libxml2's
/// message), and the dataset equals the one made from the same dump without them.
@Test func brokenXMLPagesAreRejectedAndTheRestIsTheCleanDumpsDataset() throws {
  let dir = TestPaths.temporaryDirectory("xml-broken")
  let wiki = String(decoding: contents(TestPaths.fixture("monkey/wiki.xml")), as: UTF8.self)
  // Break the second and the fourth page: an invalid character, then a tag mismatch.
  var parts = wiki.components(separatedBy: "<page>")
  #expect(parts.count > 5)
  parts[2] = parts[2].replacingOccurrences(of: "</title>", with: "\u{08}</title>")
  parts[4] = parts[4].replacingOccurrences(of: "</title>", with: "</titel>")
  let broken = parts.joined(separator: "<page>")
  var clean = parts
  clean.remove(at: 4)
  clean.remove(at: 2)
  try Data(broken.utf8).write(to: URL(fileURLWithPath: dir + "/broken.xml"))
  try Data(clean.joined(separator: "<page>").utf8).write(to: URL(fileURLWithPath: dir + "/clean.xml"))
  var exports: [Data] = []
  for name in ["broken", "clean"] {
    let out = dir + "/" + name
    let run = try prep([
      "run", "monkey-xml", "--set", "input=\(dir)/\(name).xml", "--set", "output=\(out)", "--set", "block_size=64",
      "--set", "recipe.empty_text=keep", "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    exports.append(try prep(["export", out]).stdout)
  }
  #expect(!exports[0].isEmpty)
  #expect(exports[0] == exports[1])
  let rejects = String(decoding: contents(dir + "/broken/rejects.jsonl"), as: UTF8.self).split(separator: "\n")
  #expect(rejects.count == 2)
  let lines = broken.split(separator: "\n", omittingEmptySubsequences: false)
  for (k, line) in rejects.enumerated() {
    let r = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    #expect(r["reason"] as? String == "malformed_xml")
    #expect(!(r["detail"] as? String ?? "").isEmpty)
    // The reported line holds the broken page's start tag, and the offset points at it.
    let at = try #require(r["line"] as? Int)
    #expect(lines[at - 1].contains("<page>"), "reject \(k): line \(at)")
    let offset = try #require(r["byte_offset"] as? Int)
    #expect(Array(broken.utf8)[offset..<(offset + 5)] == Array("<page".utf8)[...])
  }
}

/// `chat` renders Qwen3's template; a tokenizer whose own chat template is another stops the run before any
/// output (HF would render that template), unless `recipe.template: qwen3` says to render Qwen3's anyway.
@Test func chatRefusesATokenizerWithAnotherChatTemplate() throws {
  let tokenizer = TestPaths.temporaryDirectory("other-template")
  try FileManager.default.copyItem(
    atPath: TestPaths.tokenizer + "/tokenizer.json", toPath: tokenizer + "/tokenizer.json")
  try #"{"chat_template":"{% for m in messages %}{{ m.content }}{% endfor %}"}"#.write(
    toFile: tokenizer + "/tokenizer_config.json", atomically: true, encoding: .utf8)
  let out = TestPaths.temporaryDirectory("other-template-out") + "/chat"
  let refused = try prep(["run", "chat", "--set", "tokenizer=\(tokenizer)", "--set", "output=\(out)", "--quiet"])
  #expect(refused.status == 1)
  #expect(refused.stderr.contains(tokenizer + "/tokenizer_config.json"), "\(refused.stderr)")
  #expect(refused.stderr.contains("recipe.template: qwen3"))
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
  let forced = try prep([
    "run", "chat", "--set", "tokenizer=\(tokenizer)", "--set", "recipe.template=qwen3", "--set", "output=\(out)",
    "--quiet",
  ])
  #expect(forced.status == 0, "\(forced.stderr)")
  #expect(FileManager.default.fileExists(atPath: out + "/index.json"))
}

/// `prep verify OUTPUT` checks the validation part of a split run too: a damaged validation shard is a fault.
@Test func verifyChecksTheValidationPart() throws {
  let out = TestPaths.temporaryDirectory("verify-validation") + "/alpaca"
  #expect(try prep(["run", "alpaca", "--set", "output=\(out)", "--quiet"]).status == 0)
  let sound = try prep(["verify", out])
  #expect(sound.status == 0, "\(sound.stderr)")
  #expect(sound.text.contains("ok: \(out)/validation: 1 shards, 4 samples"), "\(sound.text)")
  let shard = out + "/validation/shard-00000.bin"
  var bytes = [UInt8](contents(shard))
  bytes[bytes.count / 2] ^= 1
  try Data(bytes).write(to: URL(fileURLWithPath: shard))
  let damaged = try prep(["verify", out])
  #expect(damaged.status == 1)
  #expect(damaged.stderr.contains("fault: \(shard): SHA-256"), "\(damaged.stderr)")
  // No validation part at all, though the run split one off.
  try FileManager.default.removeItem(atPath: out + "/validation")
  let missing = try prep(["verify", out])
  #expect(missing.status == 1)
  #expect(missing.stderr.contains("fault: \(out)/validation: missing"), "\(missing.stderr)")
}

/// A rerun is not "up to date" when a shard the index lists is gone or cut (the validation part's too): it says
/// so and rebuilds, and the result verifies.
@Test func aRerunRebuildsADatasetWithAMissingOrCutShard() throws {
  let out = TestPaths.temporaryDirectory("rerun-damaged") + "/alpaca"
  let arguments = ["run", "alpaca", "--set", "output=\(out)", "--quiet"]
  #expect(try prep(arguments).status == 0)
  #expect(try prep(arguments).text.hasPrefix("up to date"))
  try FileManager.default.removeItem(atPath: out + "/validation/shard-00000.bin")
  let missing = try prep(arguments)
  #expect(missing.status == 0)
  #expect(missing.stderr.contains("is damaged (\(out)/validation/shard-00000.bin is missing): rebuilding"))
  try Data("x".utf8).write(to: URL(fileURLWithPath: out + "/shard-00000.bin"))
  let cut = try prep(arguments)
  #expect(cut.status == 0)
  #expect(cut.stderr.contains("\(out)/shard-00000.bin has 1 bytes"), "\(cut.stderr)")
  #expect(try prep(["verify", out]).status == 0)
  #expect(try prep(arguments).text.hasPrefix("up to date"))
  // The whole validation part gone: a split run always writes one.
  try FileManager.default.removeItem(atPath: out + "/validation")
  let gone = try prep(arguments)
  #expect(gone.stderr.contains("is damaged (\(out)/validation/index.json is missing): rebuilding"), "\(gone.stderr)")
  #expect(FileManager.default.fileExists(atPath: out + "/validation/index.json"))
}

/// `prep inspect` with tokenizer files other than the dataset's warns: the decoded text may not be what the model
/// sees. With the dataset's own tokenizer it says nothing.
@Test func inspectWarnsAboutAnotherTokenizer() throws {
  let dir = TestPaths.temporaryDirectory("inspect-tokenizer")
  #expect(try prep(["run", "fudan", "--set", "output=\(dir)/data", "--quiet"]).status == 0)
  let same = try prep(["inspect", "\(dir)/data", "--index", "0", "--plain"])
  #expect(same.status == 0)
  #expect(!same.stderr.contains("warning"), "\(same.stderr)")
  let other = dir + "/other-tokenizer"
  try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
  try FileManager.default.copyItem(atPath: TestPaths.tokenizer + "/tokenizer.json", toPath: other + "/tokenizer.json")
  let warned = try prep(["inspect", "\(dir)/data", "--index", "0", "--plain", "--tokenizer", other])
  #expect(warned.status == 0)
  #expect(warned.stderr.contains("was made with another tokenizer"), "\(warned.stderr)")
}

/// A run whose every record is rejected (a field name that matches nothing) fails with exit 3 and writes no
/// dataset, keeping rejects.jsonl; `--max-rejects 100%` writes the empty dataset as asked.
@Test func aRunThatRejectsEveryRecordFails() throws {
  let out = TestPaths.temporaryDirectory("all-rejected") + "/alpaca"
  let arguments = ["run", "alpaca", "--set", "recipe.instruction_field=instr", "--set", "output=\(out)", "--quiet"]
  let failed = try prep(arguments)
  #expect(failed.status == 3)
  #expect(failed.stderr.contains("all 39 records were rejected"), "\(failed.stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
  #expect(FileManager.default.fileExists(atPath: out + "/rejects.jsonl"))
  let allowed = try prep(arguments + ["--max-rejects", "100%", "--force"])
  #expect(allowed.status == 0, "\(allowed.stderr)")
  #expect(FileManager.default.fileExists(atPath: out + "/index.json"))
}
