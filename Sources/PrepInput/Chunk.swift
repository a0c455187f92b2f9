import PrepCore
import PrepJSON

/// The outcome of parsing one record: the object, or why the record is rejected. (A `Result` would need
/// `PrepCore.Reject` to conform to `Error`.)
public enum RecordOutcome<Value: Sendable>: Sendable {
  /// The record's value.
  case success(Value)
  /// The record is rejected.
  case failure(Reject)

  /// The value, or nil for a reject.
  public var value: Value? {
    if case .success(let v) = self { return v }
    return nil
  }

  /// The reject, or nil.
  public var reject: Reject? {
    if case .failure(let r) = self { return r }
    return nil
  }
}

/// One record of a chunk: its bytes' range in `Chunk.bytes` and where it came from. A record the reader
/// already rejected has a `readerReject` reason and an empty range (`line_too_long`) or the reader's message
/// as its bytes (`malformed_xml`, and `malformed_json` for a JSON array the file ends inside).
public struct ChunkRecord: Sendable, Equatable {
  /// Start of the record's bytes in `Chunk.bytes`.
  public var start: Int
  /// End (exclusive) of the record's bytes; for JSON lines without the `\n` and a `\r` before it.
  public var end: Int
  /// 1-based line of the record's first byte.
  public var line: Int
  /// 0-based offset of the record's first byte in the (decompressed) file, BOM included.
  public var byteOffset: Int
  /// Set when the reader rejected the record (its bytes were never kept).
  public var readerReject: RejectReason?
  /// Set for what follows a JSON array's closing `]` (a second array, stray bytes): never a record.
  public var afterArray: Bool

  /// Creates a record entry.
  public init(
    start: Int, end: Int, line: Int, byteOffset: Int, readerReject: RejectReason? = nil, afterArray: Bool = false
  ) {
    self.start = start
    self.end = end
    self.line = line
    self.byteOffset = byteOffset
    self.readerReject = readerReject
    self.afterArray = afterArray
  }
}

/// A contiguous run of whole records from one file, the unit the engine hands to a worker. Chunks of a
/// run are numbered from 0 in input order; their boundaries depend only on the input and `InputOptions`
/// (never on timing or worker count).
public struct Chunk: Sendable {
  /// Position of this chunk in the run (0-based, across all files).
  public var index: Int
  /// The file the records come from, as the user named it (after glob expansion).
  public var file: String
  /// The records' bytes (for JSON lines: the lines; for XML: generated JSON object text).
  public var bytes: [UInt8]
  /// The records, in input order.
  public var records: [ChunkRecord]
  /// The record limit that produced `line_too_long` rejects (for their message).
  public var maxRecordBytes: Int

  /// Creates a chunk.
  public init(index: Int, file: String, bytes: [UInt8], records: [ChunkRecord], maxRecordBytes: Int) {
    self.index = index
    self.file = file
    self.bytes = bytes
    self.records = records
    self.maxRecordBytes = maxRecordBytes
  }

  /// Number of records (rejected ones included).
  public var count: Int { records.count }

  /// Where record `i` came from.
  public func location(_ i: Int) -> SourceLocation {
    SourceLocation(file: file, line: records[i].line, byteOffset: records[i].byteOffset)
  }

  /// Calls `body` with record `i`'s bytes, without copying them.
  public func withRecordBytes<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    let r = records[i]
    return try bytes.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[r.start..<r.end])) }
  }

  /// Record `i`'s bytes as an array slice.
  public func recordBytes(_ i: Int) -> ArraySlice<UInt8> { bytes[records[i].start..<records[i].end] }

  /// The reject for a record the reader already rejected, or nil.
  public func readerReject(_ i: Int) -> Reject? {
    if records[i].afterArray {
      return Reject(
        location: location(i), reason: .malformedJSON,
        detail: "data after the JSON array's closing ']' (a file holds one array: give several arrays as "
          + "several files)")
    }
    guard let reason = records[i].readerReject else { return nil }
    let detail: String
    switch reason {
    case .lineTooLong: detail = "record longer than the limit of \(maxRecordBytes) bytes"
    case .malformedXML, .malformedJSON:  // the reader's message (an XML error, a JSON array left open)
      detail = String(decoding: recordBytes(i), as: UTF8.self)
    default: detail = reason.rawValue
    }
    return Reject(location: location(i), reason: reason, detail: detail)
  }

  /// Parses record `i` into an object (what the workers call). Failures, as `Reject`s with the record's
  /// location: the reader's own (`line_too_long`), `invalid_utf8` (raw bytes that are not UTF-8, with the
  /// offset inside the record), `malformed_json` (the parser's message and offset inside the record) and
  /// `not_an_object` (valid JSON of another type). A lone surrogate escape (`\ud800` without its pair) is an
  /// `invalid_utf8` reject by default (`recordOptions`): it has no UTF-8 form, and HF `tokenizers` and
  /// `datasets` refuse it too.
  public func parseRecord(_ i: Int, options: JSONParseOptions = recordOptions) -> RecordOutcome<JSONObject> {
    if let reject = readerReject(i) { return .failure(reject) }
    let parsed: Result<JSONValue, JSONError> = withRecordBytes(i) { raw in
      do throws(JSONError) { return .success(try JSONValue.parse(raw, options: options)) } catch {
        return .failure(error)
      }
    }
    switch parsed {
    case .success(.object(let o)):
      return .success(o)
    case .success(let other):
      return .failure(
        Reject(location: location(i), reason: .notAnObject, detail: "expected an object, found \(other.pythonTypeName)")
      )
    case .failure(let e):
      return .failure(rejectFor(e, i))
    }
  }

  /// Like `parseRecord` but builds only the values of `keys` (nil where absent), after validating the whole
  /// record exactly as `parseRecord` does.
  public func extractFields(_ i: Int, _ keys: [String], options: JSONParseOptions = recordOptions)
    -> RecordOutcome<[JSONValue?]>
  {
    if let reject = readerReject(i) { return .failure(reject) }
    let parsed: Result<[JSONValue?]?, JSONError> = withRecordBytes(i) { raw in
      do throws(JSONError) { return .success(try JSONValue.extractFields(keys, from: raw, options: options)) } catch {
        return .failure(error)
      }
    }
    switch parsed {
    case .success(.some(let values)):
      return .success(values)
    case .success(.none):
      let kind = withRecordBytes(i) { raw in (try? JSONValue.parse(raw))?.pythonTypeName ?? "non-object" }
      return .failure(Reject(location: location(i), reason: .notAnObject, detail: "expected an object, found \(kind)"))
    case .failure(let e):
      return .failure(rejectFor(e, i))
    }
  }

  /// Validates record `i` exactly as `parseRecord` does and hands the UTF-8 bytes of its top-level string
  /// field `key` to `body` (in place, or decoded once: no `String` is built). The same rejects as
  /// `parseRecord`; a missing field or a value of another type comes back as `.missing` / `.notAString`.
  public func withStringField<R: Sendable>(
    _ i: Int, _ key: String, options: JSONParseOptions = recordOptions,
    _ body: (ValidUTF8) -> R
  ) -> RecordOutcome<StringField<R>> {
    if let reject = readerReject(i) { return .failure(reject) }
    let parsed: Result<StringField<R>, JSONError> = withRecordBytes(i) { raw in
      do throws(JSONError) {
        return .success(try JSONValue.withStringField(key, from: raw, options: options, body))
      } catch {
        return .failure(error)
      }
    }
    switch parsed {
    case .success(.notAnObject):
      let kind = withRecordBytes(i) { raw in (try? JSONValue.parse(raw))?.pythonTypeName ?? "non-object" }
      return .failure(Reject(location: location(i), reason: .notAnObject, detail: "expected an object, found \(kind)"))
    case .success(let field):
      return .success(field)
    case .failure(let e):
      return .failure(rejectFor(e, i))
    }
  }

  /// A parse error as a reject: `invalid_utf8` whenever the record holds bytes that are not UTF-8 (even past
  /// an earlier syntax error: the record is not text at all), else `malformed_json`.
  func rejectFor(_ e: JSONError, _ i: Int) -> Reject {
    if e.kind != .invalidUTF8, let bad = withRecordBytes(i, { firstInvalidUTF8Offset($0) }) {
      return Reject(
        location: location(i), reason: .invalidUTF8, detail: "invalid UTF-8 at byte \(bad) of the record")
    }
    if e.kind == .loneSurrogate {
      return Reject(
        location: location(i), reason: .invalidUTF8,
        detail: "lone surrogate escape (\\ud800-\\udfff without its pair) at byte \(e.offset) of the record: "
          + "it has no UTF-8 form")
    }
    let reason: RejectReason = e.kind == .invalidUTF8 ? .invalidUTF8 : .malformedJSON
    var detail = "\(e.message) at byte \(e.offset) of the record"
    if records[i].start == records[i].end {
      // Only an array has empty elements: two commas in a row, or a comma before the closing ']'.
      detail = "an empty element of the JSON array (a comma with no value after it)"
    }
    if e.kind == .trailingData && withRecordBytes(i, { $0.contains(0x0D) }) {
      // Records separated by carriage returns alone (old Mac line ends) read as one line with a CR inside.
      detail +=
        " (a carriage return separates it from the value before: JSON Lines ends each line with \\n, so "
        + "convert the line ends first, for example `tr '\\r' '\\n' < in.jsonl > out.jsonl`)"
    }
    return Reject(location: location(i), reason: reason, detail: detail)
  }

  /// How records are parsed: a lone surrogate escape is an error (see `parseRecord`).
  public static let recordOptions = JSONParseOptions(loneSurrogates: .reject)
}

/// Parses record `i` of `chunk` (see `Chunk.parseRecord`).
public func parseRecord(_ chunk: Chunk, _ i: Int) -> RecordOutcome<JSONObject> { chunk.parseRecord(i) }
