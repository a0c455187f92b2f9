import PrepCore
import PrepJSON

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// What the caller knows and the shards do not: recorded in index.json by `ShardWriter.finish`.
public struct IndexMetadata: Sendable, Equatable {
  /// prep's version string.
  public var prepVersion: String
  /// The tokenizer's fingerprint (an opaque string, e.g. a SHA-256 of tokenizer.json).
  public var tokenizerFingerprint: String
  /// The vocabulary size; every id must be below it.
  public var vocabularySize: Int
  /// The resolved pipeline, so the run can be repeated (any JSON value).
  public var pipeline: JSONValue
  /// Run statistics (rejects by reason, truncated count, ...): any JSON value, usually an object.
  public var stats: JSONValue

  /// Creates metadata.
  public init(
    prepVersion: String, tokenizerFingerprint: String, vocabularySize: Int, pipeline: JSONValue = .null,
    stats: JSONValue = .object(JSONObject())
  ) {
    self.prepVersion = prepVersion
    self.tokenizerFingerprint = tokenizerFingerprint
    self.vocabularySize = vocabularySize
    self.pipeline = pipeline
    self.stats = stats
  }
}

/// Sample, token, trained-token and document counts of a shard or a dataset.
public struct ShardCounts: Sendable, Equatable, Codable {
  /// Samples.
  public var samples: Int
  /// Tokens (positions).
  public var tokens: Int
  /// Trained positions (labels other than -100).
  public var trainedTokens: Int
  /// Documents (one per sample, more inside packed blocks).
  public var documents: Int

  /// Creates counts.
  public init(samples: Int = 0, tokens: Int = 0, trainedTokens: Int = 0, documents: Int = 0) {
    self.samples = samples
    self.tokens = tokens
    self.trainedTokens = trainedTokens
    self.documents = documents
  }

  mutating func add(_ o: ShardCounts) {
    samples += o.samples
    tokens += o.tokens
    trainedTokens += o.trainedTokens
    documents += o.documents
  }

  enum CodingKeys: String, CodingKey {
    case samples, tokens, documents
    case trainedTokens = "trained_tokens"
  }
}

/// One shard as index.json lists it.
public struct ShardEntry: Sendable, Equatable, Codable {
  /// The file name inside the dataset directory (`shard-00000.bin`).
  public var file: String
  /// The file size in bytes.
  public var bytes: Int
  /// SHA-256 of the whole file, 64 lowercase hex digits.
  public var sha256: String
  /// Number of zstd frames.
  public var frames: Int
  /// What the shard holds.
  public var counts: ShardCounts

  /// Creates an entry.
  public init(file: String, bytes: Int, sha256: String, frames: Int, counts: ShardCounts) {
    self.file = file
    self.bytes = bytes
    self.sha256 = sha256
    self.frames = frames
    self.counts = counts
  }

  enum CodingKeys: String, CodingKey {
    case file, bytes, sha256, frames, counts
  }
}

/// The contents of index.json (see docs/shard-format.md).
public struct DatasetIndex: Sendable, Equatable {
  /// Always `prep-shards`.
  public var format: String
  /// The format version (1).
  public var formatVersion: Int
  /// prep's version.
  public var prepVersion: String
  /// The libzstd version that compressed the frames.
  public var zstdVersion: String
  /// The zstd level.
  public var zstdLevel: Int
  /// The zstd minimum match length prep set, or nil for the level's own (absent in index.json).
  public var zstdMinMatch: Int?
  /// The tokenizer's fingerprint.
  public var tokenizerFingerprint: String
  /// The vocabulary size.
  public var vocabularySize: Int
  /// Always `aligned`: labels[i] = ids[i] where trained, -100 elsewhere; the model shifts.
  public var labelConvention: String
  /// Frame cut (tokens).
  public var frameTokens: Int
  /// Shard cut (tokens).
  public var shardTokens: Int
  /// Shard cut (samples), if configured.
  public var shardSamples: Int?
  /// The resolved pipeline.
  public var pipeline: JSONValue
  /// Run statistics given by the caller.
  public var stats: JSONValue
  /// Sums over all shards.
  public var totals: ShardCounts
  /// The shards in order; sample numbering runs through them in this order.
  public var shards: [ShardEntry]

  /// Creates an index.
  public init(
    format: String = ShardFormat.name, formatVersion: Int = ShardFormat.version, prepVersion: String,
    zstdVersion: String, zstdLevel: Int, zstdMinMatch: Int? = nil, tokenizerFingerprint: String, vocabularySize: Int,
    labelConvention: String = ShardFormat.labelConvention, frameTokens: Int, shardTokens: Int, shardSamples: Int?,
    pipeline: JSONValue, stats: JSONValue, totals: ShardCounts, shards: [ShardEntry]
  ) {
    self.format = format
    self.formatVersion = formatVersion
    self.prepVersion = prepVersion
    self.zstdVersion = zstdVersion
    self.zstdLevel = zstdLevel
    self.zstdMinMatch = zstdMinMatch
    self.tokenizerFingerprint = tokenizerFingerprint
    self.vocabularySize = vocabularySize
    self.labelConvention = labelConvention
    self.frameTokens = frameTokens
    self.shardTokens = shardTokens
    self.shardSamples = shardSamples
    self.pipeline = pipeline
    self.stats = stats
    self.totals = totals
    self.shards = shards
  }

  /// The name of the index file.
  public static let fileName = "index.json"

  /// The key whose value is the SHA-256 of index.json itself (with that value replaced by 64 zeros).
  static let checksumKey = "index_sha256"
  static let zeroChecksum = String(repeating: "0", count: 64)

  /// index.json's exact bytes: pretty printed, keys sorted, with the self-checksum filled in.
  public func encoded() throws(ShardError) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var bytes: [UInt8]
    do {
      bytes = Array(try encoder.encode(IndexFile(index: self, checksum: Self.zeroChecksum)))
    } catch {
      throw .badIndex(file: Self.fileName, reason: "cannot encode: \(error)")
    }
    bytes.append(UInt8(ascii: "\n"))
    guard let at = Self.checksumValueOffset(bytes) else {
      throw .badIndex(file: Self.fileName, reason: "encoded index has no \(Self.checksumKey)")
    }
    let digest = Array(SHA256.hash(bytes).hexString.utf8)
    bytes.replaceSubrange(at..<(at + 64), with: digest)
    return bytes
  }

  /// Parses index.json's bytes, checking the self-checksum first. `file` names the file in errors.
  public static func decode(_ bytes: [UInt8], file: String) throws(ShardError) -> DatasetIndex {
    try checkSelfChecksum(bytes, file: file)
    do {
      return try JSONDecoder().decode(IndexFile.self, from: Data(bytes)).index
    } catch let error as DecodingError {
      throw .badIndex(file: file, reason: describe(error))
    } catch {
      throw .badIndex(file: file, reason: "cannot decode: \(error)")
    }
  }

  /// A decoding error in the words of the file: which key, where, and what is wrong with it.
  static func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      guard !keys.isEmpty else { return "the top level" }
      var text = ""
      for key in keys {
        if let i = key.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
      }
      return text
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "\(context.codingPath.isEmpty ? "" : path(context.codingPath) + ": ")missing key '\(key.stringValue)'"
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
      return "\(path(context.codingPath)): expected \(type)"
    case .dataCorrupted(let context):
      return "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "cannot decode: \(error)"
    }
  }

  /// Whether `directory` holds an index.json (finished or not, valid or not).
  public static func exists(directory: String) -> Bool { Platform.exists(directory + "/" + fileName) }

  /// The first shard this index lists that `directory` lacks or holds at another size (a cheap look, not a
  /// verification: `DatasetVerifier` reads every byte), as a message; nil when every one is there.
  public func firstMissingShard(in directory: String) -> String? {
    for shard in shards {
      let path = directory + "/" + shard.file
      guard let size = Platform.fileSize(path) else { return "\(path) is missing" }
      if size != shard.bytes { return "\(path) has \(size) bytes, index.json says \(shard.bytes)" }
    }
    return nil
  }

  /// Reads and parses `directory/index.json`.
  public static func read(directory: String) throws(ShardError) -> DatasetIndex {
    let path = directory + "/" + fileName
    return try decode(try Platform.readFile(path), file: path)
  }

  /// Where the 64 hex digits of `"index_sha256"` start: after the first occurrence of the quoted
  /// key, optional spaces, a colon, optional spaces and a quote.
  static func checksumValueOffset(_ bytes: [UInt8]) -> Int? {
    let key = Array("\"\(checksumKey)\"".utf8)
    guard bytes.count >= key.count else { return nil }
    var i = 0
    search: while i + key.count <= bytes.count {
      for k in 0..<key.count where bytes[i + k] != key[k] {
        i += 1
        continue search
      }
      var p = i + key.count
      while p < bytes.count && bytes[p] == UInt8(ascii: " ") { p += 1 }
      guard p < bytes.count, bytes[p] == UInt8(ascii: ":") else { return nil }
      p += 1
      while p < bytes.count && bytes[p] == UInt8(ascii: " ") { p += 1 }
      guard p < bytes.count, bytes[p] == UInt8(ascii: "\"") else { return nil }
      p += 1
      guard p + 65 <= bytes.count, bytes[p + 64] == UInt8(ascii: "\"") else { return nil }
      return p
    }
    return nil
  }

  /// Checks that the file's SHA-256, with the checksum value replaced by zeros, equals that value.
  static func checkSelfChecksum(_ bytes: [UInt8], file: String) throws(ShardError) {
    guard let at = checksumValueOffset(bytes) else {
      throw .badIndex(file: file, reason: "no \"\(checksumKey)\" field with 64 hex digits")
    }
    let stored = String(decoding: bytes[at..<(at + 64)], as: UTF8.self)
    var zeroed = bytes
    zeroed.replaceSubrange(at..<(at + 64), with: Array(zeroChecksum.utf8))
    let actual = SHA256.hash(zeroed).hexString
    if stored != actual {
      throw .badIndex(
        file: file, reason: "\(checksumKey) is \(stored) but the file hashes to \(actual) (edited or damaged)")
    }
  }
}

/// index.json's shape on disk (snake_case keys, the checksum field).
private struct IndexFile: Codable {
  var index: DatasetIndex
  var checksum: String

  init(index: DatasetIndex, checksum: String) {
    self.index = index
    self.checksum = checksum
  }

  enum CodingKeys: String, CodingKey {
    case format, pipeline, stats, totals, shards
    case formatVersion = "format_version"
    case prepVersion = "prep_version"
    case zstdVersion = "zstd_version"
    case zstdLevel = "zstd_level"
    case zstdMinMatch = "zstd_min_match"
    case tokenizer
    case labelConvention = "label_convention"
    case layout
    case checksum = "index_sha256"
  }

  struct Tokenizer: Codable {
    var fingerprint: String
    var vocabSize: Int
    enum CodingKeys: String, CodingKey {
      case fingerprint
      case vocabSize = "vocab_size"
    }
  }

  struct Layout: Codable {
    var frameTokens: Int
    var shardTokens: Int
    var shardSamples: Int?
    enum CodingKeys: String, CodingKey {
      case frameTokens = "frame_tokens"
      case shardTokens = "shard_tokens"
      case shardSamples = "shard_samples"
    }
  }

  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(index.format, forKey: .format)
    try c.encode(index.formatVersion, forKey: .formatVersion)
    try c.encode(index.prepVersion, forKey: .prepVersion)
    try c.encode(index.zstdVersion, forKey: .zstdVersion)
    try c.encode(index.zstdLevel, forKey: .zstdLevel)
    try c.encodeIfPresent(index.zstdMinMatch, forKey: .zstdMinMatch)
    try c.encode(
      Tokenizer(fingerprint: index.tokenizerFingerprint, vocabSize: index.vocabularySize), forKey: .tokenizer)
    try c.encode(index.labelConvention, forKey: .labelConvention)
    try c.encode(
      Layout(frameTokens: index.frameTokens, shardTokens: index.shardTokens, shardSamples: index.shardSamples),
      forKey: .layout)
    try c.encode(CodableJSON(index.pipeline), forKey: .pipeline)
    try c.encode(CodableJSON(index.stats), forKey: .stats)
    try c.encode(index.totals, forKey: .totals)
    try c.encode(index.shards, forKey: .shards)
    try c.encode(checksum, forKey: .checksum)
  }

  init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let tokenizer = try c.decode(Tokenizer.self, forKey: .tokenizer)
    let layout = try c.decode(Layout.self, forKey: .layout)
    index = DatasetIndex(
      format: try c.decode(String.self, forKey: .format),
      formatVersion: try c.decode(Int.self, forKey: .formatVersion),
      prepVersion: try c.decode(String.self, forKey: .prepVersion),
      zstdVersion: try c.decode(String.self, forKey: .zstdVersion),
      zstdLevel: try c.decode(Int.self, forKey: .zstdLevel),
      zstdMinMatch: try c.decodeIfPresent(Int.self, forKey: .zstdMinMatch),
      tokenizerFingerprint: tokenizer.fingerprint, vocabularySize: tokenizer.vocabSize,
      labelConvention: try c.decode(String.self, forKey: .labelConvention),
      frameTokens: layout.frameTokens, shardTokens: layout.shardTokens, shardSamples: layout.shardSamples,
      pipeline: try c.decode(CodableJSON.self, forKey: .pipeline).value,
      stats: try c.decode(CodableJSON.self, forKey: .stats).value,
      totals: try c.decode(ShardCounts.self, forKey: .totals),
      shards: try c.decode([ShardEntry].self, forKey: .shards))
    checksum = try c.decode(String.self, forKey: .checksum)
  }
}

/// Carries a `PrepJSON.JSONValue` through Codable. Numbers are written as integers when they
/// parse as Int64, else as doubles; object keys come back sorted (index.json is written with
/// sorted keys, so nothing about document order survives anyway).
struct CodableJSON: Codable {
  var value: JSONValue

  init(_ value: JSONValue) { self.value = value }

  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
  }

  func encode(to encoder: Encoder) throws {
    switch value {
    case .null:
      var c = encoder.singleValueContainer()
      try c.encodeNil()
    case .bool(let b):
      var c = encoder.singleValueContainer()
      try c.encode(b)
    case .number(let text):
      var c = encoder.singleValueContainer()
      if let i = Int64(text) {
        try c.encode(i)
      } else if let u = UInt64(text) {
        try c.encode(u)
      } else if let d = Double(text), d.isFinite {
        try c.encode(d)
      } else {
        try c.encode(text)
      }
    case .string(let s):
      var c = encoder.singleValueContainer()
      try c.encode(s)
    case .array(let items):
      var c = encoder.unkeyedContainer()
      for item in items { try c.encode(CodableJSON(item)) }
    case .object(let object):
      var c = encoder.container(keyedBy: Key.self)
      // Last duplicate wins, as on lookup.
      for (i, key) in object.keys.enumerated() where object.keys.lastIndex(of: key) == i {
        try c.encode(CodableJSON(object.values[i]), forKey: Key(stringValue: key))
      }
    }
  }

  init(from decoder: Decoder) throws {
    if var c = try? decoder.unkeyedContainer() {
      var items = [JSONValue]()
      while !c.isAtEnd { items.append(try c.decode(CodableJSON.self).value) }
      value = .array(items)
      return
    }
    if let c = try? decoder.container(keyedBy: Key.self) {
      let keys = c.allKeys.map(\.stringValue).sorted()
      var values = [JSONValue]()
      for key in keys { values.append(try c.decode(CodableJSON.self, forKey: Key(stringValue: key)).value) }
      value = .object(JSONObject(keys: keys, values: values))
      return
    }
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      value = .null
    } else if let b = try? c.decode(Bool.self) {
      value = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      value = .number(String(i))
    } else if let u = try? c.decode(UInt64.self) {
      value = .number(String(u))
    } else if let d = try? c.decode(Double.self) {
      value = .number(String(d))
    } else {
      value = .string(try c.decode(String.self))
    }
  }
}
