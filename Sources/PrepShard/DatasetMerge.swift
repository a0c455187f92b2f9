import PrepCore
import PrepJSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A finished dataset read for joining: its directory, its index and the SHA-256 of its index.json's bytes.
public struct DatasetPart: Sendable {
  /// The dataset directory.
  public var directory: String
  /// Its index.json, checked against its self-checksum.
  public var index: DatasetIndex
  /// SHA-256 of index.json's bytes, lowercase hex: names this exact dataset.
  public var indexSHA256: String

  /// Reads `directory/index.json`.
  public static func read(directory: String) throws(ShardError) -> DatasetPart {
    let path = directory + "/" + DatasetIndex.fileName
    let bytes = try Platform.readFile(path)
    let index = try DatasetIndex.decode(bytes, file: path)
    return DatasetPart(directory: directory, index: index, indexSHA256: SHA256.hash(bytes).hexString)
  }

  /// The SHA-256 of `directory/index.json`'s bytes, or nil if there is no readable index.json.
  public static func indexSHA256(directory: String) -> String? {
    guard let bytes = try? Platform.readFile(directory + "/" + DatasetIndex.fileName) else { return nil }
    return SHA256.hash(bytes).hexString
  }

  /// Whether every shard the index lists is in the directory with its recorded size (the checksums are not
  /// recomputed: `prep verify` does that); the first one that is not, and why.
  public func missingShard() -> (file: String, reason: String)? {
    for entry in index.shards {
      let path = directory + "/" + entry.file
      guard let size = Platform.fileSize(path) else { return (path, "missing") }
      if size != entry.bytes { return (path, "\(size) bytes, index.json says \(entry.bytes)") }
    }
    return nil
  }

  /// What differs between this dataset's shard settings and `other`'s (format, prep and zstd versions, zstd
  /// level and minimum match, tokenizer, vocabulary, label convention, frame and shard cuts), in words; empty
  /// when they agree, so that the shards of both can be listed in one index.
  public func settingsDiffer(from other: DatasetPart) -> [String] {
    let a = index
    let b = other.index
    var out: [String] = []
    func check(_ what: String, _ x: String, _ y: String) { if x != y { out.append("\(what) \(x) vs \(y)") } }
    check("format", "\(a.format) \(a.formatVersion)", "\(b.format) \(b.formatVersion)")
    check("prep version", a.prepVersion, b.prepVersion)
    check("zstd version", a.zstdVersion, b.zstdVersion)
    check("zstd level", String(a.zstdLevel), String(b.zstdLevel))
    check("zstd min_match", a.zstdMinMatch.map(String.init) ?? "none", b.zstdMinMatch.map(String.init) ?? "none")
    check("tokenizer fingerprint", a.tokenizerFingerprint, b.tokenizerFingerprint)
    check("vocabulary size", String(a.vocabularySize), String(b.vocabularySize))
    check("label convention", a.labelConvention, b.labelConvention)
    check("frame_tokens", String(a.frameTokens), String(b.frameTokens))
    check("shard_tokens", String(a.shardTokens), String(b.shardTokens))
    check(
      "shard_samples", a.shardSamples.map(String.init) ?? "none", b.shardSamples.map(String.init) ?? "none")
    return out
  }
}

/// Joins finished datasets (the parts of a partitioned run) into one dataset directory, and removes parts.
public enum DatasetMerge {
  /// Whether `directory` holds the checkpoint of an interrupted `prep run`.
  public static func holdsCheckpoint(_ directory: String) -> Bool {
    Platform.exists(directory + "/" + ResumeCheckpoint.fileName)
  }

  /// Removes the files of a dataset in `directory` (its shards and temporary files, index.json first, and
  /// rejects.jsonl), leaving subdirectories alone.
  public static func removeDataset(in directory: String) throws(ShardError) {
    try Platform.remove(directory + "/" + DatasetIndex.fileName)
    for name in try Platform.listDirectory(directory) where ShardWriter.isDatasetFile(name) {
      try Platform.remove(directory + "/" + name)
    }
    try Platform.remove(directory + "/" + rejectsName)
    try Platform.remove(directory + "/." + rejectsName + ".tmp")
    try Platform.syncDirectory(directory)
  }

  static let rejectsName = "rejects.jsonl"

  /// Joins `parts`, in order, into `directory`, which must hold no index.json: every part's shards are linked
  /// into it as `shard-00000.bin`, `shard-00001.bin`, ... in part order (a shard does not hold its own name, so
  /// sizes and checksums stay as the parts' index.json recorded them), the parts' `rejects.jsonl` are
  /// concatenated in part order, and index.json is written last, atomically, with `pipeline` and `stats`.
  /// Shard files and temporary files already in `directory` (left by an interrupted join) are removed first.
  ///
  /// The parts are left whole (hard links) until the caller removes them, so an interrupted join can simply be
  /// run again; only where the file system has no hard links are the shards moved (renamed) instead. The parts'
  /// settings must agree (`DatasetPart.settingsDiffer`) and their shards be present (`missingShard`): the caller
  /// checks both first. Returns the index as written.
  public static func join(
    _ parts: [DatasetPart], into directory: String, pipeline: JSONValue, stats: JSONValue
  ) throws(ShardError) -> DatasetIndex {
    guard let first = parts.first else { throw .badConfiguration("nothing to join") }
    for name in try Platform.listDirectory(directory) where ShardWriter.isDatasetFile(name) {
      if name == DatasetIndex.fileName || name == ResumeCheckpoint.fileName {
        throw .existingDataset(directory: directory, file: name)
      }
      try Platform.remove(directory + "/" + name)
    }
    var shards: [ShardEntry] = []
    var totals = ShardCounts()
    for part in parts {
      for entry in part.index.shards {
        var moved = entry
        moved.file = ShardFormat.shardFileName(shards.count)
        try linkOrMove(part.directory + "/" + entry.file, to: directory + "/" + moved.file)
        totals.add(moved.counts)
        shards.append(moved)
      }
    }
    try joinRejects(parts.map { $0.directory + "/" + rejectsName }, into: directory)
    try Platform.syncDirectory(directory)
    let a = first.index
    let index = DatasetIndex(
      prepVersion: a.prepVersion, zstdVersion: a.zstdVersion, zstdLevel: a.zstdLevel, zstdMinMatch: a.zstdMinMatch,
      tokenizerFingerprint: a.tokenizerFingerprint, vocabularySize: a.vocabularySize,
      labelConvention: a.labelConvention, frameTokens: a.frameTokens, shardTokens: a.shardTokens,
      shardSamples: a.shardSamples, pipeline: pipeline, stats: stats, totals: totals, shards: shards)
    let bytes = try index.encoded()
    let written = try DatasetIndex.decode(bytes, file: DatasetIndex.fileName)
    try Platform.writeFileAtomically(bytes, directory: directory, name: DatasetIndex.fileName)
    return written
  }

  /// Removes a joined part: its shards, temporary files and rejects.jsonl, then its index.json (last, so that a
  /// part half removed still says which dataset it was), then the directory if nothing else is in it. Returns
  /// false when other files keep the directory.
  @discardableResult
  public static func removePart(_ directory: String) throws(ShardError) -> Bool {
    for name in try Platform.listDirectory(directory)
    where name != DatasetIndex.fileName && (ShardWriter.isDatasetFile(name) || name == rejectsName) {
      try Platform.remove(directory + "/" + name)
    }
    try Platform.remove(directory + "/" + DatasetIndex.fileName)
    if !(try Platform.listDirectory(directory)).isEmpty { return false }
    if rmdir(directory) != 0 && errno != ENOENT {
      throw .io(path: directory, operation: "rmdir", message: Platform.errorMessage())
    }
    return true
  }

  /// `link(2)` `from` as `to` (replacing `to`); where the file system refuses hard links, `rename(2)`.
  static func linkOrMove(_ from: String, to: String) throws(ShardError) {
    try Platform.remove(to)
    if link(from, to) == 0 { return }
    let code = errno
    if code == EPERM || code == ENOTSUP || code == EOPNOTSUPP || code == EMLINK {
      try Platform.renameFile(from, to)
      return
    }
    throw .io(path: from, operation: "link to \(to)", message: String(cString: strerror(code)))
  }

  /// Concatenates the rejects files that exist, in order, into `directory/rejects.jsonl` (temporary name,
  /// fsync, rename); with none, or all empty, `directory` gets no rejects file (as a run without rejects).
  static func joinRejects(_ paths: [String], into directory: String) throws(ShardError) {
    let final = directory + "/" + rejectsName
    let temp = directory + "/." + rejectsName + ".tmp"
    try Platform.remove(temp)
    var fd: Int32 = -1
    do {
      for path in paths where (Platform.fileSize(path) ?? 0) > 0 {
        if fd < 0 { fd = try Platform.createExclusive(temp) }
        let source = try Platform.openForReading(path)
        defer { close(source) }
        let size = try Platform.size(source, path: path)
        var offset = 0
        while offset < size {
          let count = min(1 << 20, size - offset)
          try Platform.writeAll(
            fd, try Platform.readExactly(source, offset: offset, count: count, path: path), path: temp)
          offset += count
        }
      }
      if fd < 0 {
        try Platform.remove(final)
        return
      }
      try Platform.sync(fd, path: temp)
      try Platform.closeFile(fd, path: temp)
      fd = -1
      try Platform.renameFile(temp, final)
    } catch {
      if fd >= 0 { close(fd) }
      try? Platform.remove(temp)
      throw error
    }
  }
}
