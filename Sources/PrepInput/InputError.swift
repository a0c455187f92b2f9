/// A failure that stops reading an input file (as opposed to a bad record, which becomes a `Reject`).
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The class of failure.
  public enum Kind: String, Sendable, Equatable {
    /// A glob pattern or path matched no file.
    case noMatch = "no_match"
    /// The file could not be opened or its size read.
    case cannotOpen = "cannot_open"
    /// A read from the file failed.
    case readFailed = "read_failed"
    /// The zstd stream is corrupt or cut short.
    case zstd
    /// The gzip, bzip2 or xz data is corrupt or cut short, or followed by bytes of another kind.
    case decompress
    /// The XML document is not readable as records: an error before its first record (a broken record later on
    /// is rejected as `malformed_xml` and reading goes on at the next record).
    case xml
    /// The file was declared a JSON array but does not start with `[`.
    case notAnArray = "not_an_array"
    /// The file is not UTF-8 text, plain or compressed: compressed data under a name that does not say so (read
    /// as plain text), or UTF-16/UTF-32 text, told by its first bytes.
    case unsupportedFormat = "unsupported_format"
  }

  /// The class of failure.
  public var kind: Kind
  /// The file (or pattern) as the user named it.
  public var file: String
  /// 1-based line, when known.
  public var line: Int?
  /// What went wrong, in words.
  public var message: String

  /// Creates an error.
  public init(_ kind: Kind, file: String, line: Int? = nil, _ message: String) {
    self.kind = kind
    self.file = file
    self.line = line
    self.message = message
  }

  /// `file:line: message`.
  public var description: String {
    if let line { return "\(file):\(line): \(message)" }
    return "\(file): \(message)"
  }
}
