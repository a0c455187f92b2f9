import PrepCore
import PrepInput
import PrepJSON
import PrepShard
import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// What `prep verify --source` found.
public struct SourceCheck: Sendable {
  /// Samples compared.
  public var compared = 0
  /// The first difference, if any, in words.
  public var firstDifference: String?
}

extension ConfigValue {
  /// The tree recorded in index.json back into a tree (scalars were recorded as text).
  init(json: JSONValue) {
    switch json {
    case .object(let o):
      self = .mapping(
        zip(o.keys, o.values).map { ConfigEntry(key: $0.0, value: ConfigValue(json: $0.1), line: 0) }, line: 0)
    case .array(let items): self = .sequence(items.map(ConfigValue.init(json:)), line: 0)
    case .string(let s): self = .scalar(s, quoted: true, line: 0)
    case .number(let n): self = .scalar(n, quoted: false, line: 0)
    case .bool(let b): self = .scalar(b ? "true" : "false", quoted: false, line: 0)
    case .null: self = .scalar("null", quoted: false, line: 0)
    }
  }
}

/// Re-runs the pipeline recorded in a dataset's index.json on its source files into a scratch directory and checks
/// that the dataset holds exactly those samples: all of them, or `sample` of them chosen by `seed`. A part of a
/// partitioned run is checked against its slice of the source, and a merged dataset against its N slices run one
/// after the other (what the merge joined: packing starts afresh in each).
///
/// - Throws: a `ConfigError` when the recorded pipeline cannot be decoded, a `RunError` when the re-run fails.
public func checkAgainstSource(
  directory: String, tokenizer: Tokenizer, fingerprint: String, workers: Int, sample: Int?, seed: UInt64
) throws -> SourceCheck {
  let dataset = try Dataset(directory: directory)
  var recorded = dataset.index.pipeline
  var part = "train"
  var slices: [InputPartition]? = nil
  if case .object(let o) = recorded {
    var kept = JSONObject()
    for (k, v) in zip(o.keys, o.values) {
      if k == "part" { part = v.stringValue ?? part }
      if k == PartitionKeys.partition, let count = v.lookup("count")?.intValue {
        let indices = v.lookup("index")?.intValue.map { [$0] } ?? Array(0..<max(0, count))
        slices = indices.compactMap { InputPartition(index: $0, count: count) }
      }
      if k != "file" && k != "part" && k != PartitionKeys.partition { kept.append(k, v) }
    }
    recorded = .object(kept)
  }
  let scratch = FileManager.default.temporaryDirectory.path + "/prep-verify-\(UInt64.random(in: 0...UInt64.max))"
  defer { try? FileManager.default.removeItem(atPath: scratch) }
  var file = PipelineFile(path: directory + "/index.json", tree: ConfigValue(json: recorded))
  try file.apply("output=" + scratch)
  let config = try PipelineConfig(file)
  var again: [Dataset] = []
  let runs: [InputPartition?] = slices.map { $0.map { Optional($0) } } ?? [nil]
  for slice in runs {
    var options = RunOptions(workers: workers, quiet: true)
    options.partition = slice
    _ = try PipelineRunner(
      config: config, tokenizer: tokenizer, tokenizerFingerprint: fingerprint, options: options,
      prepVersion: dataset.index.prepVersion
    ).run()
    let dir = config.datasetDirectory(partition: slice)
    again.append(try Dataset(directory: part == "validation" ? dir + "/validation" : dir))
  }
  // Sample i of the slices' datasets one after the other: in dataset k where starts[k] <= i < starts[k + 1].
  var starts = [0]
  for d in again { starts.append(starts[starts.count - 1] + d.count) }
  func sourceSample(_ i: Int) throws -> Sample {
    var low = 0
    var high = again.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if starts[mid] <= i { low = mid } else { high = mid - 1 }
    }
    return try again[low].sample(at: i - starts[low])
  }
  var check = SourceCheck()
  let total = starts[starts.count - 1]
  guard total == dataset.count else {
    check.firstDifference = "the source gives \(total) samples, the dataset holds \(dataset.count)"
    return check
  }
  var indices = Array(0..<dataset.count)
  if let sample, sample < dataset.count {
    var rng = SplitMix64(seed: seed)
    for i in stride(from: indices.count - 1, to: 0, by: -1) {
      indices.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    indices = Array(indices.prefix(sample)).sorted()
  }
  for i in indices {
    let a = try dataset.sample(at: i)
    let b = try sourceSample(i)
    check.compared += 1
    if a != b {
      let what =
        a.ids != b.ids ? "token ids" : a.trained != b.trained ? "the loss mask" : "the document boundaries"
      check.firstDifference = "sample \(i): \(what) differ from what the source gives now"
      return check
    }
  }
  return check
}
