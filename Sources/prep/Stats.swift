import ArgumentParser
import PrepCore
import PrepJSON
import PrepPipeline
import PrepShard

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// `prep stats`: what is in a dataset.
struct Stats: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Samples, tokens, trained share, truncation, rejects by reason, lengths and packing of a dataset.",
    discussion: "Counts are computed from the shards themselves; rejects and truncation come from the run's index.json."
  )

  @Argument(help: "A dataset directory written by prep run.")
  var directory: String

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let dataset = try openDataset(directory)
    let index = dataset.index
    let padID = index.stats.lookup("pad_id")?.intValue.map(UInt32.init)
    var stats = DatasetStats()
    var iterator = dataset.makeSampleIterator()
    while let sample = try iterator.next() { stats.add(sample, padID: padID) }
    let rejected = index.stats.lookup("rejected")?.objectValue ?? JSONObject()
    let truncated = index.stats.lookup("truncated")?.intValue ?? 0
    // Samples longer than a packed block, cut (or dropped) by the packer rather than by the recipe.
    let packTruncated = index.stats.lookup("truncated_by_packing")?.intValue ?? 0
    let packDropped = index.stats.lookup("dropped_by_packing")?.intValue ?? 0
    let records = index.stats.lookup("records")?.intValue
    let packing = index.stats.lookup("packing")?.stringValue ?? "none"
    // A part of a partitioned run records {index, count}; a merged dataset {count, parts}.
    let partition = index.pipeline.lookup("partition")
    let partCount = partition?.lookup("count")?.intValue
    let partIndex = partition?.lookup("index")?.intValue
    if json {
      var o = JSONObject()
      o.append("directory", .string(directory))
      if let records { o.append("records", .number(String(records))) }
      if let partCount {
        var p = JSONObject()
        if let partIndex { p.append("index", .number(String(partIndex))) }
        p.append("count", .number(String(partCount)))
        o.append("partition", .object(p))
      }
      o.append("samples", .number(String(stats.samples)))
      o.append("tokens", .number(String(stats.tokens)))
      o.append("trained_tokens", .number(String(stats.trainedTokens)))
      o.append("trained_share", .number(String(stats.trainedShare)))
      o.append("pad_tokens", .number(String(stats.padTokens)))
      o.append("documents", .number(String(stats.documents)))
      o.append("packing", .string(packing))
      o.append("packing_efficiency", .number(String(stats.packingEfficiency)))
      o.append("truncated", .number(String(truncated)))
      o.append("truncated_by_packing", .number(String(packTruncated)))
      o.append("dropped_by_packing", .number(String(packDropped)))
      o.append("rejected", .object(rejected))
      var lengths = JSONObject()
      lengths.append("min", .number(String(stats.minLength)))
      lengths.append("mean", .number(fixed(stats.meanLength, 1)))
      for p in [50.0, 90.0, 99.0] { lengths.append("p\(Int(p))", .number(String(stats.percentile(p)))) }
      lengths.append("max", .number(String(stats.maxLength)))
      o.append("lengths", .object(lengths))
      o.append(
        "histogram",
        .array(
          stats.histogram().map { bin in
            var b = JSONObject()
            b.append("from", .number(String(bin.low)))
            b.append("to", .number(String(bin.high)))
            b.append("samples", .number(String(bin.count)))
            return .object(b)
          }))
      var w = JSONWriter()
      w.write(.object(o))
      print(String(decoding: w.bytes, as: UTF8.self))
      return
    }
    var lines: [String] = ["dataset   \(directory) (\(index.shards.count) shard\(index.shards.count == 1 ? "" : "s"))"]
    if let partCount {
      if let partIndex {
        lines.append(
          "partition part \(partIndex) of \(partCount) (prep run --partition \(partIndex)/\(partCount)); "
            + "prep merge joins the parts")
      } else {
        lines.append("partition merged from \(partCount) parts (prep run --partition, prep merge)")
      }
    }
    if let records { lines.append("records   \(group(records)) read") }
    var cut = truncated > 0 ? ", \(group(truncated)) truncated by the recipe" : ""
    if packTruncated > 0 { cut += ", \(group(packTruncated)) cut to the block by packing" }
    if packDropped > 0 { cut += ", \(group(packDropped)) longer than the block dropped by packing" }
    lines.append("samples   \(group(stats.samples))" + cut)
    lines.append(
      "tokens    \(group(stats.tokens)), \(group(stats.trainedTokens)) trained (\(percent(stats.trainedShare)))")
    if packing != "none" || stats.padTokens > 0 {
      // Pretraining blocks without recorded boundaries count one segment per block: no document count to give.
      let documents =
        packing == "blocks" && stats.documents == stats.samples
        ? "documents run across blocks (not delimited)" : "\(group(stats.documents)) documents"
      lines.append(
        "packing   \(packing): \(documents), \(group(stats.padTokens)) pad tokens, "
          + "efficiency \(percent(stats.packingEfficiency))")
    }
    if rejected.count > 0 {
      let parts = zip(rejected.keys, rejected.values).map { "\($0.0) \($0.1.intValue ?? 0)" }
      // The run's rejects file is beside its training part: a validation part points there.
      var file = directory + "/rejects.jsonl"
      let up = directory.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
      let parent = up.isEmpty ? "." : up
      if !FileManager.default.fileExists(atPath: file)
        && FileManager.default.fileExists(atPath: parent + "/rejects.jsonl")
      {
        file = parent + "/rejects.jsonl"
      }
      lines.append("rejected  " + parts.joined(separator: ", ") + " (see \(file))")
    } else {
      lines.append("rejected  none")
    }
    lines.append(
      "lengths   min \(stats.minLength), mean \(fixed(stats.meanLength, 1)), p50 \(stats.percentile(50)), "
        + "p90 \(stats.percentile(90)), p99 \(stats.percentile(99)), max \(stats.maxLength) (tokens, padding excluded)")
    print(lines.joined(separator: "\n"))
    print(histogramText(stats.histogram()))
  }
}

/// A histogram drawn with block characters, one line per bin.
func histogramText(_ bins: [(low: Int, high: Int, count: Int)], width: Int = 40) -> String {
  let top = bins.map(\.count).max() ?? 0
  guard top > 0 else { return "" }
  let labelWidth = bins.map { "\($0.low)-\($0.high - 1)".count }.max() ?? 0
  var lines: [String] = []
  for bin in bins {
    let label = "\(bin.low)-\(bin.high - 1)"
    let eighths = bin.count * width * 8 / top
    var bar = String(repeating: "█", count: eighths / 8)
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
    bar += partial
    if bar.isEmpty && bin.count > 0 { bar = "▏" }
    lines.append(
      "  " + String(repeating: " ", count: labelWidth - label.count) + label + " │" + bar + " " + group(bin.count))
  }
  return lines.joined(separator: "\n")
}
