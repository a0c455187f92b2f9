import ArgumentParser
import PrepPipeline
import PrepShard

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

  func run() throws {
    var vocabulary: Int? = nil
    var fingerprint: String? = nil
    if !noTokenizer {
      let dir = try TokenizerLocation.resolve(tokenizerOptions.tokenizer)
      fingerprint = try tokenizerFingerprint(dir)
      vocabulary = try tokenizerOptions.load().vocabularySize
    }
    let faults = DatasetVerifier.verify(
      directory: directory, vocabularySize: vocabulary, tokenizerFingerprint: fingerprint)
    if faults.isEmpty {
      let index = try DatasetIndex.read(directory: directory)
      print(
        "ok: \(directory): \(index.shards.count) shards, \(group(index.totals.samples)) samples, "
          + "\(group(index.totals.tokens)) tokens verified")
      return
    }
    for fault in faults { writeStderr("fault: \(fault)\n") }
    fail("\(faults.count) fault\(faults.count == 1 ? "" : "s") in \(directory)", code: 1)
  }
}
