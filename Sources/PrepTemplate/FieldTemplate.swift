import PrepCore
import PrepJSON

/// A string with `{field}` placeholders, parsed once and rendered per record the way a Python f-string
/// renders `f"{r['field']}"`: each value goes through `pythonStr` (strings as-is, lists and dicts as Python
/// `repr`, `True`/`False`/`None`).
///
/// Syntax: `{name}` looks a key up in the record; `{meta.source}` descends into nested objects;
/// `{items.0}` indexes an array (a numeric segment on an object is a key). `{{` and `}}` are literal braces.
/// Format specs and conversions (`{x:>4}`, `{x!r}`) are not supported and are refused at parse time.
public struct FieldTemplate: Sendable, Equatable, CustomStringConvertible {
  /// One piece of a parsed template.
  public enum Part: Sendable, Equatable {
    /// Text copied as-is (braces already unescaped).
    case literal(String)
    /// A placeholder: the path as written (`meta.source`) and its segments.
    case field(path: String, segments: [String])
  }

  /// The template as written.
  public let source: String
  /// The parsed pieces, in order.
  public let parts: [Part]

  /// Parses `source`; throws naming the offending placeholder or brace.
  public init(_ source: String) throws(TemplateError) {
    self.source = source
    var parts = [Part]()
    var literal = [UInt8]()
    let bytes = Array(source.utf8)
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "{") {
        if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "{") {
          literal.append(b)
          i += 2
          continue
        }
        guard let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "}")) else {
          throw .unclosedPlaceholder(template: source, offset: i)
        }
        let path = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let bad =
          path.isEmpty || segments.contains { $0.isEmpty }
          || path.utf8.contains { $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "!") }
        if bad { throw .invalidPlaceholder(template: source, placeholder: path) }
        if !literal.isEmpty {
          parts.append(.literal(String(decoding: literal, as: UTF8.self)))
          literal.removeAll()
        }
        parts.append(.field(path: path, segments: segments))
        i = close + 1
      } else if b == UInt8(ascii: "}") {
        guard i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "}") else {
          throw .strayClosingBrace(template: source, offset: i)
        }
        literal.append(b)
        i += 2
      } else {
        literal.append(b)
        i += 1
      }
    }
    if !literal.isEmpty { parts.append(.literal(String(decoding: literal, as: UTF8.self))) }
    self.parts = parts
  }

  /// The placeholder paths, in order of appearance.
  public var fields: [String] {
    parts.compactMap { if case .field(let path, _) = $0 { return path } else { return nil } }
  }

  /// The template as written.
  public var description: String { source }

  /// Renders the template for one record. Throws `missing_field` (naming the path) when a key or index
  /// is absent, `wrong_field_type` when a path descends into a value that is neither object nor array.
  public func render(_ record: JSONObject) throws(RecordFailure) -> String {
    var out = ""
    for part in parts {
      switch part {
      case .literal(let text): out += text
      case .field(let path, let segments): out += pythonStr(try lookup(path: path, segments: segments, in: record))
      }
    }
    return out
  }
}

/// Resolves a dotted path (`meta.source`, `items.0`) in a record.
func lookup(path: String, segments: [String], in record: JSONObject) throws(RecordFailure) -> JSONValue {
  var current = JSONValue.object(record)
  for segment in segments {
    switch current {
    case .object(let object):
      guard let next = object[segment] else { throw RecordFailure(.missingField, "missing field '\(path)'") }
      current = next
    case .array(let items):
      guard let index = Int(segment), index >= 0 else {
        throw RecordFailure(.wrongFieldType, "field '\(path)': '\(segment)' indexes a list, expected a number")
      }
      guard index < items.count else {
        throw RecordFailure(.missingField, "missing field '\(path)' (list has \(items.count) items)")
      }
      current = items[index]
    default:
      throw RecordFailure(.wrongFieldType, "field '\(path)': cannot descend into \(current.typeName) at '\(segment)'")
    }
  }
  return current
}

/// The string at `key` of `record`; throws `missing_field` or `wrong_field_type`.
func requireString(_ record: JSONObject, _ key: String) throws(RecordFailure) -> String {
  guard let value = record[key] else { throw RecordFailure(.missingField, "missing field '\(key)'") }
  guard case .string(let s) = value else {
    throw RecordFailure(.wrongFieldType, "field '\(key)' is \(value.typeName), expected a string")
  }
  return s
}

extension JSONValue {
  /// The JSON type name, for messages.
  var typeName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "a list"
    case .object: "an object"
    }
  }
}
