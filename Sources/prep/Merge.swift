import ArgumentParser
import PrepPipeline

/// `prep merge`: the parts of a partitioned run joined into one dataset.
struct Merge: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Join the parts written by prep run --partition I/N into one dataset.",
    discussion: """
      OUTPUT is the pipeline's output directory; each task of a partitioned run wrote its part into \
      OUTPUT/part-IIIII-of-NNNNN. Every part 0..N-1 must be finished (index.json) and made by the same run \
      (tokenizer, zstd settings, shard layout, pipeline). The shards are linked into OUTPUT in part order as \
      shard-00000.bin, shard-00001.bin, ..., the statistics summed, the rejects files concatenated, \
      OUTPUT/index.json written last, and then the parts removed. An interrupted merge can be run again.
      Samples merge into exactly one run's when the pipeline does not pack; packing (blocks, best_fit) starts \
      afresh in each part, so blocks at part boundaries differ from one run's. The shards are not re-read: \
      prep verify OUTPUT checks them.
      Example (4 tasks, then the merge):
        for i in 0 1 2 3; do prep run monkey --partition $i/4 --workers 1 & done; wait
        prep merge out/monkey && prep verify out/monkey
      """)

  @Argument(
    help: ArgumentHelp("The output directory holding the part-IIIII-of-NNNNN directories.", valueName: "output"))
  var directory: String

  @Flag(name: .long, help: "Replace a dataset already in OUTPUT that these parts did not make.")
  var force = false

  func run() throws {
    let summary: MergeSummary
    do {
      summary = try PartitionMerge.merge(directory: directory, force: force)
    } catch {
      fail(error.description, code: 1)
    }
    for path in summary.kept {
      writeStderr("warning: \(path) holds other files and was not removed\n")
    }
    if let n = summary.alreadyMerged {
      let leftovers = summary.parts > 0 ? "; removed \(summary.parts) leftover part directories" : ""
      print("\(directory): already merged from \(n) parts\(leftovers)")
      return
    }
    guard let index = summary.index else { return }
    let t = index.totals
    print(
      "\(directory): merged \(summary.parts) parts: \(index.shards.count) shards, \(t.samples) samples, "
        + "\(t.tokens) tokens (\(t.trainedTokens) trained)")
  }
}
