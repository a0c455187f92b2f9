import PrepCore
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
/// that the dataset holds exactly those samples: all of them, or `sample` of them chosen by `seed`.
///
/// - Throws: a `ConfigError` when the recorded pipeline cannot be decoded, a `RunError` when the re-run fails.
public func checkAgainstSource(
  directory: String, tokenizer: Tokenizer, fingerprint: String, workers: Int, sample: Int?, seed: UInt64
) throws -> SourceCheck {
  let dataset = try Dataset(directory: directory)
  var recorded = dataset.index.pipeline
  var part = "train"
  if case .object(let o) = recorded {
    var kept = JSONObject()
    for (k, v) in zip(o.keys, o.values) {
      if k == "part" { part = v.stringValue ?? part }
      if k != "file" && k != "part" { kept.append(k, v) }
    }
    recorded = .object(kept)
  }
  let scratch = FileManager.default.temporaryDirectory.path + "/prep-verify-\(UInt64.random(in: 0...UInt64.max))"
  defer { try? FileManager.default.removeItem(atPath: scratch) }
  var file = PipelineFile(path: directory + "/index.json", tree: ConfigValue(json: recorded))
  try file.apply("output=" + scratch)
  let config = try PipelineConfig(file)
  _ = try PipelineRunner(
    config: config, tokenizer: tokenizer, tokenizerFingerprint: fingerprint,
    options: RunOptions(workers: workers, quiet: true), prepVersion: dataset.index.prepVersion
  ).run()
  let again = try Dataset(directory: part == "validation" ? scratch + "/validation" : scratch)
  var check = SourceCheck()
  guard again.count == dataset.count else {
    check.firstDifference = "the source gives \(again.count) samples, the dataset holds \(dataset.count)"
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
    let b = try again.sample(at: i)
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
