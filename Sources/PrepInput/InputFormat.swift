/// How the records of an input file are laid out.
public enum InputFormat: String, Sendable, Equatable, CaseIterable {
  /// One JSON value per line; a file whose first non-whitespace byte (after a BOM) is `[` is read as a JSON
  /// array, as the oracle and HF `datasets` read it.
  case jsonl
  /// `.json`: a JSON array if the first non-whitespace byte (after a BOM) is `[`, else JSON lines.
  case json
  /// A JSON array of records, streamed element by element.
  case jsonArray = "json_array"
  /// An XML dump; each record element becomes a JSON object record (see `XMLRecordSpec`).
  case xml
}

/// How an input file is compressed.
public enum InputCompression: String, Sendable, Equatable, CaseIterable {
  /// Plain bytes.
  case none
  /// zstd frames (`.zst`, `.zstd`).
  case zstd
  /// gzip members (`.gz`, `.gzip`).
  case gzip
  /// bzip2 streams (`.bz2`, `.bzip2`).
  case bzip2
  /// xz streams (`.xz`).
  case xz

  /// The file name endings that mean this compression, the usual one first.
  public var suffixes: [String] {
    switch self {
    case .none: return []
    case .zstd: return [".zst", ".zstd"]
    case .gzip: return [".gz", ".gzip"]
    case .bzip2: return [".bz2", ".bzip2"]
    case .xz: return [".xz"]
    }
  }
}

/// Format and compression of one input file.
public struct InputKind: Sendable, Equatable {
  /// The record layout.
  public var format: InputFormat
  /// The compression.
  public var compression: InputCompression

  /// Creates a kind.
  public init(format: InputFormat, compression: InputCompression) {
    self.format = format
    self.compression = compression
  }

  /// The kind a path's extensions imply: `.zst`, `.gz`, `.bz2` or `.xz` the compression, then, before it,
  /// `.jsonl` / `.ndjson` JSON lines, `.xml` XML, and anything else (`.json` included) `.json` (sniffed: array or
  /// lines). Case-insensitive.
  public static func detect(path: String) -> InputKind {
    var name = path.lowercased()
    if let slash = name.lastIndex(of: "/") { name = String(name[name.index(after: slash)...]) }
    var compression = InputCompression.none
    for candidate in InputCompression.allCases {
      if let suffix = candidate.suffixes.first(where: { name.hasSuffix($0) }) {
        compression = candidate
        name = String(name.dropLast(suffix.count))
        break
      }
    }
    let format: InputFormat
    if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") {
      format = .jsonl
    } else if name.hasSuffix(".xml") {
      format = .xml
    } else {
      format = .json
    }
    return InputKind(format: format, compression: compression)
  }
}

/// Which XML elements make a record and which of their descendants become its fields.
public struct XMLRecordSpec: Sendable, Equatable {
  /// One field: the JSON key and the element path below the record element (`revision/text`).
  public struct Field: Sendable, Equatable {
    /// The key in the JSON object record.
    public var key: String
    /// Element names from the record element down, separated by `/` (`title`, `revision/text`).
    public var path: String

    /// Creates a field.
    public init(key: String, path: String) {
      self.key = key
      self.path = path
    }
  }

  /// The local name of the element that makes one record (`page`), at any depth.
  public var recordElement: String
  /// The fields, in the order they appear in the JSON record.
  public var fields: [Field]

  /// Creates a spec.
  public init(recordElement: String, fields: [Field]) {
    self.recordElement = recordElement
    self.fields = fields
  }

  /// A Wikipedia/MediaWiki dump: `<page>` records with `title` and `revision/text`.
  public static let wikipedia = XMLRecordSpec(
    recordElement: "page",
    fields: [Field(key: "title", path: "title"), Field(key: "text", path: "revision/text")])
}

/// Reader settings.
public struct InputOptions: Sendable, Equatable {
  /// A chunk ends at the first record end at or after this many bytes (default 4 MiB).
  public var chunkSize: Int
  /// A chunk also ends after this many records (bounds the record table of tiny-line inputs).
  public var maxRecordsPerChunk: Int
  /// A record (line or array element) longer than this becomes a `line_too_long` reject; its bytes are
  /// dropped as they arrive, so at most this plus one read block is buffered (default 64 MiB).
  public var maxRecordBytes: Int
  /// Bytes read from the file per `read` call (default 256 KiB).
  public var readBlockSize: Int
  /// Forces the format of every file (nil: from each path, see `InputKind.detect`).
  public var format: InputFormat?
  /// Forces the compression of every file (nil: from each path).
  public var compression: InputCompression?
  /// What makes a record in XML inputs.
  public var xml: XMLRecordSpec
  /// Threads that decode a bzip2 file of many streams at once (1: the reading thread alone; see
  /// `ParallelStreams`).
  public var decodeThreads: Int
  /// Compressed bytes per job of those threads (at least; a job ends where a stream starts).
  public var decodeJobBytes: Int

  /// Creates options.
  public init(
    chunkSize: Int = 4 << 20, maxRecordsPerChunk: Int = 1 << 17, maxRecordBytes: Int = 64 << 20,
    readBlockSize: Int = 256 << 10, format: InputFormat? = nil, compression: InputCompression? = nil,
    xml: XMLRecordSpec = .wikipedia, decodeThreads: Int = 1, decodeJobBytes: Int = 1 << 20
  ) {
    self.chunkSize = max(1, chunkSize)
    self.maxRecordsPerChunk = max(1, maxRecordsPerChunk)
    self.maxRecordBytes = max(1, maxRecordBytes)
    self.readBlockSize = max(1, readBlockSize)
    self.format = format
    self.compression = compression
    self.xml = xml
    self.decodeThreads = max(1, decodeThreads)
    self.decodeJobBytes = max(1, decodeJobBytes)
  }

  /// The kind of `path` under these options.
  public func kind(of path: String) -> InputKind {
    var k = InputKind.detect(path: path)
    if let format { k.format = format }
    if let compression { k.compression = compression }
    return k
  }
}
