import PrepCore
import PrepInput
import PrepJSON

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// What a dataset was made from, recorded in index.json so that a rerun can tell "up to date" from "changed".
///
/// Inputs are identified like make does: path, size and modification time of every input file (hashing a
/// terabyte corpus to decide that nothing changed would cost as much as the run). The tokenizer by the SHA-256 of
/// its files, the pipeline by the SHA-256 of its resolved tree (overrides applied), and prep by its version.
public struct RunFingerprint: Sendable, Equatable {
  /// `sha256:` of the input files' paths, sizes and modification times.
  public var inputs: String
  /// The tokenizer's fingerprint.
  public var tokenizer: String
  /// `sha256:` of the resolved pipeline.
  public var pipeline: String
  /// prep's version.
  public var prep: String

  /// Computes the fingerprint of a run about to happen.
  public init(config: PipelineConfig, tokenizer: String, prepVersion: String) throws {
    var sha = SHA256()
    for path in try expandInputPaths(config.inputPaths) {
      let attributes = try FileManager.default.attributesOfItem(atPath: path)
      let size = (attributes[.size] as? Int).map(String.init) ?? (attributes[.size] as? UInt64).map(String.init) ?? "?"
      let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      sha.update(Array("\(path)\u{0}\(size)\u{0}\(modified)\u{0}".utf8))
    }
    inputs = "sha256:" + sha.finalize().description
    self.tokenizer = tokenizer
    var w = JSONWriter()
    w.write(config.tree.json)
    pipeline = "sha256:" + SHA256.hash(w.bytes).description
    prep = prepVersion
  }

  /// A fingerprint from its four parts.
  init(inputs: String, tokenizer: String, pipeline: String, prep: String) {
    self.inputs = inputs
    self.tokenizer = tokenizer
    self.pipeline = pipeline
    self.prep = prep
  }

  /// Reads the fingerprint an earlier run recorded in its index stats, if any.
  public init?(recorded stats: JSONValue) {
    guard let f = stats.lookup("fingerprint")?.objectValue,
      let inputs = f["inputs"]?.stringValue, let tokenizer = f["tokenizer"]?.stringValue,
      let pipeline = f["pipeline"]?.stringValue, let prep = f["prep"]?.stringValue
    else { return nil }
    self.inputs = inputs
    self.tokenizer = tokenizer
    self.pipeline = pipeline
    self.prep = prep
  }

  /// As recorded in index.json.
  public var json: JSONValue {
    var o = JSONObject()
    o.append("inputs", .string(inputs))
    o.append("tokenizer", .string(tokenizer))
    o.append("pipeline", .string(pipeline))
    o.append("prep", .string(prep))
    return .object(o)
  }

  /// What differs from `other`, in words (empty when nothing does).
  public func changes(since other: RunFingerprint) -> [String] {
    var out: [String] = []
    if inputs != other.inputs { out.append("the input files") }
    if tokenizer != other.tokenizer { out.append("the tokenizer") }
    if pipeline != other.pipeline { out.append("the pipeline") }
    if prep != other.prep { out.append("prep's version (\(other.prep) -> \(prep))") }
    return out
  }
}
