import ArgumentParser
import PrepCore
import PrepJSON
import PrepPipeline
import PrepShard

/// `prep export`: one JSON object per sample, the form HF trainers take.
struct Export: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print one JSON object per sample: input_ids, labels (-100 where not trained), position_ids.",
    discussion: """
      position_ids are printed for packed blocks (packing: blocks or best_fit), restarting at 0 at each document \
      boundary recorded in the shard. Lines are compact JSON, keys in the order input_ids, labels, position_ids, \
      as the seed recipes' json.dumps(..., separators=(",", ":")) writes them.
      """)

  @Argument(help: "A dataset directory written by prep run.")
  var directory: String

  @Option(name: .long, help: "Export only the first N samples.")
  var limit: Int?

  func run() throws {
    let dataset = try openDataset(directory)
    let packing = dataset.index.stats.lookup("packing")?.stringValue ?? "none"
    let positions = packing == "blocks" || packing == "best_fit"
    var out = StandardOutput()
    var line = JSONWriter(capacity: 1 << 16)
    var iterator = dataset.makeSampleIterator()
    var n = 0
    while let sample = try iterator.next() {
      if let limit, n >= limit { break }
      n += 1
      line.reset()
      line.writeRaw("{\"input_ids\":")
      line.writeArray(sample.ids)
      line.writeRaw(",\"labels\":")
      line.writeLabels(ids: sample.ids, trained: sample.trained)
      if positions {
        line.writeRaw(",\"position_ids\":")
        line.writeArray(sample.positionIDs)
      }
      line.writeRaw("}\n")
      out.write(bytes: line.bytes)
    }
    out.flush()
  }
}

/// Opens a dataset, turning a missing or broken one into a message that says what to do.
func openDataset(_ directory: String) throws -> Dataset {
  do {
    return try Dataset(directory: directory)
  } catch {
    if let interrupted = interruptedRunSummary(directory: directory) { fail(interrupted, code: 1) }
    fail(
      "\(error.description) (is \(directory) a dataset written by prep run? `prep verify \(directory)` says more)",
      code: 1)
  }
}
