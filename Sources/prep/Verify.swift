import ArgumentParser
import PrepPipeline
import PrepShard
import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// `prep verify`: everything a training job relies on, checked.
struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check a dataset: checksums, sizes, frame tables, ids inside the vocabulary, masks, boundaries, counts.",
    discussion: "Exits 1 naming every fault found (the first one first); prints `ok` and exits 0 when sound.")

  @Argument(help: "A dataset directory written by prep run.")
  var directory: String

  @OptionGroup var tokenizerOptions: TokenizerOptions

  @Flag(
    name: .long, help: "Skip the tokenizer fingerprint check (ids are still checked against the index's vocabulary).")
  var noTokenizer = false

  @Flag(
    name: .long,
    help: "Also re-run the recorded pipeline on its source files and check the shards hold exactly those samples.")
  var source = false

  @Option(name: .long, help: "With --source: compare N samples chosen by --seed instead of all.")
  var sample: Int?

  @Option(name: .long, help: "Seed of the --sample choice.")
  var seed: UInt64 = 0

  @OptionGroup var workerOptions: WorkerOptions

  func run() throws {
    if !DatasetIndex.exists(directory: directory),
      let interrupted = interruptedRunSummary(directory: directory)
    {
      fail(interrupted, code: 1)
    }
    // The tokenizer, loaded once for the fingerprint and vocabulary checks and for --source.
    var tokenizer: Tokenizer? = nil
    var fingerprint: String? = nil
    if !noTokenizer || source {
      let sourceFingerprint = try tokenizerOptions.fingerprint()
      tokenizer = try tokenizerOptions.load(fingerprint: sourceFingerprint)
      fingerprint = sourceFingerprint
    }
    func check(_ part: String) -> [ShardFault] {
      DatasetVerifier.verify(
        directory: part, vocabularySize: noTokenizer ? nil : tokenizer?.vocabularySize,
        tokenizerFingerprint: noTokenizer ? nil : fingerprint)
    }
    var faults = check(directory)
    // The validation part of a split run is part of the output: it is checked too.
    let validation = directory + "/validation"
    let hasValidation = FileManager.default.fileExists(atPath: validation)
    if hasValidation {
      faults += check(validation)
    } else if let index = try? DatasetIndex.read(directory: directory),
      let valSize = index.pipeline.lookup("split.val_size")?.stringValue.flatMap(Double.init), valSize != 0
    {
      // A split run always writes its validation part, even an empty one.
      faults.append(
        ShardFault(
          file: validation, message: "missing, though the run split off a validation part (split.val_size \(valSize))"))
    }
    if faults.isEmpty && source, let tokenizer, let fingerprint {
      let check = try checkAgainstSource(
        directory: directory, tokenizer: tokenizer, fingerprint: fingerprint,
        workers: workerOptions.count, sample: sample, seed: seed)
      if let difference = check.firstDifference {
        fail("\(directory): \(difference) (the input, the tokenizer or prep changed since the run)", code: 1)
      }
      print("source: \(group(check.compared)) samples equal what the recorded pipeline gives on its input today")
    }
    if faults.isEmpty {
      for part in [directory] + (hasValidation ? [validation] : []) {
        let index = try DatasetIndex.read(directory: part)
        print(
          "ok: \(part): \(index.shards.count) shards, \(group(index.totals.samples)) samples, "
            + "\(group(index.totals.tokens)) tokens verified")
      }
      return
    }
    for fault in faults { writeStderr("fault: \(fault)\n") }
    fail("\(faults.count) fault\(faults.count == 1 ? "" : "s") in \(directory)", code: 1)
  }
}
