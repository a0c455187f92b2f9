/// Where a record came from, so that every message about it names file, line and byte offset.
public struct SourceLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
  /// The input file as the user named it.
  public var file: String
  /// 1-based line number of the record's first byte (for JSON arrays, of the element's first byte).
  public var line: Int
  /// 0-based byte offset of the record's first byte in the (decompressed) input.
  public var byteOffset: Int

  /// Creates a location.
  public init(file: String, line: Int, byteOffset: Int) {
    self.file = file
    self.line = line
    self.byteOffset = byteOffset
  }

  /// `file:line (byte N)`.
  public var description: String { "\(file):\(line) (byte \(byteOffset))" }
}

/// Why a record was rejected. The raw value is the stable key used in `rejects.jsonl`, the summary
/// and `index.json`.
public enum RejectReason: String, Sendable, CaseIterable, Codable, Comparable {
  case malformedJSON = "malformed_json"
  case notAnObject = "not_an_object"
  case missingField = "missing_field"
  case wrongFieldType = "wrong_field_type"
  case invalidUTF8 = "invalid_utf8"
  case emptyText = "empty_text"
  case lineTooLong = "line_too_long"
  case invalidConversation = "invalid_conversation"
  case emptySample = "empty_sample"
  /// An XML record that is not well-formed (an invalid character, a tag mismatch); the detail is libxml2's
  /// message. Reading goes on at the next record.
  case malformedXML = "malformed_xml"

  public static func < (a: RejectReason, b: RejectReason) -> Bool { a.rawValue < b.rawValue }
}

/// A record that did not make it into the output, with where it was and why.
public struct Reject: Sendable, Equatable {
  /// Where the record was.
  public var location: SourceLocation
  /// The reason key.
  public var reason: RejectReason
  /// A human-readable detail (the field name, the parser's message, ...).
  public var detail: String

  /// Creates a reject.
  public init(location: SourceLocation, reason: RejectReason, detail: String) {
    self.location = location
    self.reason = reason
    self.detail = detail
  }
}
