import PrepInput
import PrepJSON
import PrepShard

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Keys a partitioned run adds to index.json.
enum PartitionKeys {
  /// `pipeline.partition`: `{index, count}` in a part, `{count, parts}` in the merged dataset.
  static let partition = "partition"
  /// `stats.input_file_offset`: where a part's first input file stands in the whole run's list of input files.
  static let inputFileOffset = "input_file_offset"
  /// `pipeline.partition.parts` of a merged dataset: the SHA-256 of each part's index.json, in part order.
  static let parts = "parts"
}

extension InputPartition {
  /// `{"count": N, "index": I}`, as recorded in a part's `pipeline.partition`.
  var json: JSONValue {
    var o = JSONObject()
    o.append("count", .number(String(count)))
    o.append("index", .number(String(index)))
    return .object(o)
  }
}

extension PipelineConfig {
  /// Why this pipeline cannot run as slices of its input (`prep run --partition`), or nil when it can. A slice's
  /// run sees only its own records, so whatever needs all of them at once is refused: the validation split
  /// (chosen from the record count), `max_samples` (the first N records of the whole input) and `seed_compat`
  /// blocks (the seed drops the remainder of every batch of 40,000 documents, counted from the input's start).
  public var partitionProblem: String? {
    if split != nil {
      return "split.val_size chooses validation records out of the whole input: it cannot run with --partition "
        + "(split the merged dataset's input instead, or run without --partition)"
    }
    if maxSamples != nil {
      return "max_samples keeps the first records of the whole input: it cannot run with --partition "
        + "(run without --partition, or drop max_samples)"
    }
    if case .blocks(let c) = packing, c.seedCompatBatch != nil {
      return "recipe.seed_compat drops the remainder of every batch of \(c.seedCompatBatch ?? 0) documents "
        + "counted from the start of the whole input: it cannot run with --partition"
    }
    return nil
  }

  /// The directory a run writes its dataset to: the pipeline's output directory, or for slice I of N its
  /// subdirectory `part-IIIII-of-NNNNN`.
  public func datasetDirectory(partition: InputPartition?) -> String {
    guard let partition else { return outputDirectory }
    return outputDirectory + "/" + partition.directoryName
  }
}

/// Why `prep merge` stopped, with the directory or part at fault.
public enum MergeError: Error, CustomStringConvertible {
  /// The directory has no `part-IIIII-of-NNNNN` directories.
  case noParts(directory: String)
  /// Parts of different runs (different N) are in the directory.
  case mixedCounts(directory: String, counts: [Int])
  /// A part is missing or has no finished index.json.
  case missingPart(path: String, partition: String, reason: String)
  /// A part's dataset is damaged (index.json unreadable, a shard missing or of the wrong size).
  case badPart(path: String, reason: String)
  /// Two parts were not made by the same run.
  case disagree(path: String, first: String, what: String)
  /// The directory already holds a dataset that these parts did not make.
  case existingDataset(directory: String, reason: String)
  /// Writing the merged dataset failed.
  case output(ShardError)

  public var description: String {
    switch self {
    case .noParts(let d): return "\(d) holds no part directories (part-IIIII-of-NNNNN, written by prep run --partition)"
    case .mixedCounts(let d, let counts):
      return "\(d) holds parts of runs cut into different numbers of parts ("
        + counts.map(String.init).joined(separator: ", ") + "): remove the parts of the other run(s)"
    case .missingPart(let path, let partition, let reason):
      return "\(path): \(reason): run `prep run PIPELINE --partition \(partition)` (with --resume if it was "
        + "interrupted) and merge again"
    case .badPart(let path, let reason): return "\(path): \(reason) (prep verify \(path) says more)"
    case .disagree(let path, let first, let what):
      return "\(path) and \(first) were not made by the same run: \(what)"
    case .existingDataset(let d, let reason): return "\(d) \(reason)"
    case .output(let e): return e.description
    }
  }
}

/// What `prep merge` did.
public struct MergeSummary: Sendable {
  /// The merged dataset's index (nil when the directory was already merged and only leftovers were removed).
  public var index: DatasetIndex?
  /// How many parts were joined (or, when already merged, how many leftover part directories were removed).
  public var parts: Int
  /// Part directories that could not be removed because they hold other files.
  public var kept: [String] = []
  /// When the directory had already been merged: of how many parts (`parts` then counts the leftover part
  /// directories removed, often 0).
  public var alreadyMerged: Int? = nil
}

/// `prep merge OUTPUT`: joins the datasets `prep run --partition I/N` wrote into `OUTPUT/part-IIIII-of-NNNNN` into
/// one dataset in `OUTPUT`.
///
/// Every part 0..<N must be there and finished (index.json), and all must come from the same run: the same N,
/// tokenizer, zstd settings, shard layout, label convention and pipeline (compared without its `partition`).
/// The shards are hard-linked into OUTPUT in part order and renumbered, the statistics summed, the rejects files
/// concatenated, and OUTPUT/index.json written last and atomically; only then are the parts removed (each one's
/// index.json last). Interrupted anywhere, the merge can be run again: before index.json is written the parts are
/// whole and the half-made OUTPUT is replaced; after, the parts left are recognised by the SHA-256 of their
/// index.json, which the merged index records, and removed.
public enum PartitionMerge {
  /// Merges the parts in `directory`. With `force`, a dataset already in `directory` that these parts did not
  /// make is replaced.
  public static func merge(directory: String, force: Bool = false) throws(MergeError) -> MergeSummary {
    let found = try partDirectories(directory)
    if let existing = try? DatasetIndex.read(directory: directory) {
      if let summary = try leftoversOfMerge(existing, found: found, directory: directory) { return summary }
      guard force else {
        throw .existingDataset(
          directory: directory,
          reason: found.isEmpty
            ? "holds a dataset that is not a merge, and no part directories: nothing to merge"
            : "already holds a dataset (index.json) that these parts did not make: --force replaces it")
      }
    } else if DatasetIndex.exists(directory: directory) && !force {
      throw .existingDataset(directory: directory, reason: "holds an unreadable index.json: --force replaces it")
    }
    if DatasetMerge.holdsCheckpoint(directory) && !force {
      throw .existingDataset(
        directory: directory,
        reason: "holds an interrupted prep run (.prep-resume): finish it with --resume, or --force replaces it")
    }
    let parts = try readParts(found, directory: directory)
    let pipeline = try mergedPipeline(parts)
    let stats = try mergedStats(parts)
    let index: DatasetIndex
    do throws(ShardError) {
      if force { try DatasetMerge.removeDataset(in: directory) }
      index = try DatasetMerge.join(parts, into: directory, pipeline: pipeline, stats: stats)
    } catch {
      throw .output(error)
    }
    var summary = MergeSummary(index: index, parts: parts.count)
    summary.kept = try removeParts(parts.map(\.directory))
    return summary
  }

  /// The `part-IIIII-of-NNNNN` directories in `directory`, by part number.
  static func partDirectories(_ directory: String) throws(MergeError) -> [(InputPartition, String)] {
    let names: [String]
    do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
      let message =
        FileManager.default.fileExists(atPath: directory)
        ? "cannot read the directory (is it one?)"
        : "no such directory (give the output directory of the partitioned runs, which holds part-*-of-*)"
      throw .output(.io(path: directory, operation: "list", message: message))
    }
    var out: [(InputPartition, String)] = []
    for name in names {
      guard let p = InputPartition.parse(directoryName: name) else { continue }
      let path = directory + "/" + name
      let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
      if type == .typeDirectory { out.append((p, path)) }
    }
    return out.sorted { ($0.0.count, $0.0.index) < ($1.0.count, $1.0.index) }
  }

  /// When `directory`'s index.json was written by a merge of exactly the parts still there (an earlier merge
  /// interrupted while removing them), removes them and says so; nil when these parts are something else.
  static func leftoversOfMerge(
    _ existing: DatasetIndex, found: [(InputPartition, String)], directory: String
  ) throws(MergeError) -> MergeSummary? {
    guard let recorded = existing.pipeline.lookup(PartitionKeys.partition),
      let count = recorded.lookup("count")?.intValue,
      let sums = recorded.lookup(PartitionKeys.parts)?.arrayValue, sums.count == count
    else { return nil }
    for (p, path) in found {
      guard p.count == count else { return nil }
      // A part whose removal got as far as its index.json is an empty directory, or gone.
      if !DatasetIndex.exists(directory: path) {
        guard (try? FileManager.default.contentsOfDirectory(atPath: path))?.isEmpty ?? true else { return nil }
        continue
      }
      guard DatasetPart.indexSHA256(directory: path) == sums[p.index].stringValue else { return nil }
    }
    var summary = MergeSummary(index: nil, parts: found.count, alreadyMerged: count)
    summary.kept = try removeParts(found.map(\.1))
    return summary
  }

  static func removeParts(_ paths: [String]) throws(MergeError) -> [String] {
    var kept: [String] = []
    for path in paths {
      do throws(ShardError) {
        if try !DatasetMerge.removePart(path) { kept.append(path) }
      } catch {
        throw .output(error)
      }
    }
    return kept
  }

  /// Reads every part 0..<N: all there, all finished, all of one run.
  static func readParts(_ found: [(InputPartition, String)], directory: String) throws(MergeError) -> [DatasetPart] {
    guard let n = found.first?.0.count else { throw .noParts(directory: directory) }
    let counts = Set(found.map(\.0.count))
    if counts.count > 1 { throw .mixedCounts(directory: directory, counts: counts.sorted()) }
    var byIndex: [Int: String] = [:]
    for (p, path) in found { byIndex[p.index] = path }
    var parts: [DatasetPart] = []
    for i in 0..<n {
      let name = InputPartition.directoryName(index: i, count: n)
      let spec = "\(i)/\(n)"
      guard let path = byIndex[i] else {
        throw .missingPart(path: directory + "/" + name, partition: spec, reason: "missing (part \(spec))")
      }
      guard DatasetIndex.exists(directory: path) else {
        throw .missingPart(
          path: path, partition: spec, reason: "not finished (no index.json: still running, or interrupted)")
      }
      let part: DatasetPart
      do throws(ShardError) { part = try DatasetPart.read(directory: path) } catch {
        throw .badPart(path: path, reason: error.description)
      }
      if let (file, reason) = part.missingShard() { throw .badPart(path: path, reason: "\(file): \(reason)") }
      let recorded = part.index.pipeline.lookup(PartitionKeys.partition)
      guard recorded?.lookup("index")?.intValue == i, recorded?.lookup("count")?.intValue == n else {
        throw .badPart(path: path, reason: "its index.json does not record partition \(spec)")
      }
      if let first = parts.first {
        let differ = part.settingsDiffer(from: first)
        if !differ.isEmpty {
          throw .disagree(path: path, first: first.directory, what: differ.joined(separator: ", "))
        }
      }
      parts.append(part)
    }
    return parts
  }

  /// The parts' pipeline (they must agree once their `partition` is set aside), with `partition` recording the
  /// count and the SHA-256 of each part's index.json.
  static func mergedPipeline(_ parts: [DatasetPart]) throws(MergeError) -> JSONValue {
    let first = parts[0]
    let base = removing(PartitionKeys.partition, from: first.index.pipeline)
    for part in parts.dropFirst() {
      let other = removing(PartitionKeys.partition, from: part.index.pipeline)
      guard other != base else { continue }
      var keys: [String] = []
      if case .object(let x) = base, case .object(let y) = other {
        keys = Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted()
      }
      let named = keys.isEmpty ? "" : " (" + keys.joined(separator: ", ") + ")"
      throw .disagree(path: part.directory, first: first.directory, what: "the pipelines differ\(named)")
    }
    guard case .object(var o) = base else { return base }
    var partition = JSONObject()
    partition.append("count", .number(String(parts.count)))
    partition.append(PartitionKeys.parts, .array(parts.map { .string($0.indexSHA256) }))
    o.append(PartitionKeys.partition, .object(partition))
    return .object(o)
  }

  /// The parts' statistics joined as one run over the whole input would have counted them: every integer summed
  /// (records, input_bytes, rejected by reason, rejected_total, truncated, samples, tokens, trained_tokens,
  /// pad_tokens, documents, truncated_by_packing, dropped_by_packing), `packing_efficiency` recomputed from the
  /// sums, `input_files` listed once each in input order, and everything else (the fingerprint, the packing
  /// mode, pad_id) equal in every part.
  static func mergedStats(_ parts: [DatasetPart]) throws(MergeError) -> JSONValue {
    var merged: JSONValue? = nil
    var files: [JSONValue] = []
    for part in parts {
      guard case .object(let stats) = part.index.stats else {
        throw .badPart(path: part.directory, reason: "its index.json has no stats object")
      }
      try appendInputFiles(stats, to: &files, part: part)
      let rest = removing(PartitionKeys.inputFileOffset, from: removing("input_files", from: .object(stats)))
      if let sum = merged {
        guard let joined = add(sum, rest) else {
          throw .disagree(
            path: part.directory, first: parts[0].directory, what: "the statistics differ in shape or settings")
        }
        merged = joined
      } else {
        merged = rest
      }
    }
    guard case .object(var o) = merged ?? .object(JSONObject()) else { return merged ?? .null }
    o.append("input_files", .array(files))
    if let tokens = o["tokens"]?.intValue, let pad = o["pad_tokens"]?.intValue, o["packing_efficiency"] != nil {
      let efficiency = tokens == 0 ? 0 : Double(tokens - pad) / Double(tokens)
      o = replacing("packing_efficiency", with: .number(String(efficiency)), in: o)
    }
    return .object(sorted(o))
  }

  /// Appends a part's input files to the run's list: file `j` of the part stands at `input_file_offset + j` of
  /// the whole list, and a file cut between parts is listed by both at the same position.
  static func appendInputFiles(_ stats: JSONObject, to files: inout [JSONValue], part: DatasetPart) throws(MergeError) {
    let list = stats["input_files"]?.arrayValue ?? []
    guard !list.isEmpty else { return }
    guard let offset = stats[PartitionKeys.inputFileOffset]?.intValue, offset >= 0, offset <= files.count else {
      throw .badPart(path: part.directory, reason: "its stats do not place its input files in the run's list")
    }
    for (j, file) in list.enumerated() {
      let at = offset + j
      if at < files.count {
        if files[at] != file {
          throw .badPart(path: part.directory, reason: "input file \(at) differs from the earlier parts'")
        }
      } else {
        files.append(file)
      }
    }
  }

  /// `a + b`: integers summed, objects joined key by key (a key missing on one side counts as 0 when the
  /// other is an integer: a reject reason one part never met), everything else equal; nil when they cannot
  /// be added. `packing_efficiency` is taken from `a` (recomputed afterwards).
  static func add(_ a: JSONValue, _ b: JSONValue) -> JSONValue? {
    switch (a, b) {
    case (.number(let x), .number(let y)):
      if let i = Int(x), let j = Int(y) { return .number(String(i + j)) }
      return x == y ? a : nil
    case (.object(let x), .object(let y)):
      var out = JSONObject()
      for key in Set(x.keys).union(y.keys).sorted() {
        let l = x[key]
        let r = y[key]
        if key == "packing_efficiency" || key == "pad_id" {
          guard let l, let r else { return nil }
          if key == "pad_id" && l != r { return nil }
          out.append(key, l)
          continue
        }
        switch (l, r) {
        case (let l?, let r?):
          guard let sum = add(l, r) else { return nil }
          out.append(key, sum)
        case (let v?, nil), (nil, let v?):
          guard v.intValue != nil else { return nil }
          out.append(key, v)
        case (nil, nil): break
        }
      }
      return .object(out)
    default:
      return a == b ? a : nil
    }
  }

  static func removing(_ key: String, from value: JSONValue) -> JSONValue {
    guard case .object(let o) = value else { return value }
    var out = JSONObject()
    for (k, v) in zip(o.keys, o.values) where k != key { out.append(k, v) }
    return .object(out)
  }

  static func replacing(_ key: String, with value: JSONValue, in o: JSONObject) -> JSONObject {
    var out = JSONObject()
    for (k, v) in zip(o.keys, o.values) { out.append(k, k == key ? value : v) }
    return out
  }

  static func sorted(_ o: JSONObject) -> JSONObject {
    var out = JSONObject()
    for i in o.keys.indices.sorted(by: { o.keys[$0] < o.keys[$1] }) { out.append(o.keys[i], o.values[i]) }
    return out
  }
}
