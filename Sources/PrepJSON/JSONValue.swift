/// A parsed JSON value. Objects keep their keys in document order (Python's dicts do, and the
/// seed recipes render values through Python's `str`/`repr`, so order reaches the output).
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  /// A number, kept as the literal text of the document (`1`, `-0.5`, `1e5`) so no precision is lost.
  case number(String)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)
}

/// A JSON object with its keys in document order. Duplicate keys: the last one wins on lookup,
/// as in Python's `json.loads`.
public struct JSONObject: Sendable, Equatable {
  /// Keys in document order.
  public var keys: [String]
  /// Values, parallel to `keys`.
  public var values: [JSONValue]

  /// Creates an object from parallel arrays.
  public init(keys: [String] = [], values: [JSONValue] = []) {
    precondition(keys.count == values.count)
    self.keys = keys
    self.values = values
  }

  /// The value for `key` (the last one if the key repeats), or nil. Keys compare by their UTF-8 bytes
  /// (as Python compares code points), not by Swift's canonical equivalence.
  public subscript(key: String) -> JSONValue? {
    var i = keys.count - 1
    while i >= 0 {
      // Byte equality (JSON keys are compared as written, not by Unicode canonical equivalence).
      if keys[i].utf8.count == key.utf8.count && keys[i].utf8.elementsEqual(key.utf8) { return values[i] }
      i -= 1
    }
    return nil
  }
}
