extension JSONValue {
  /// The string, if this is a string.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The object, if this is an object.
  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }

  /// The elements, if this is an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// The value as an `Int`, if this is a number written as an integer that fits (`-0` is 0).
  public var intValue: Int? {
    if case .number(let n) = self { return Int(n) }
    return nil
  }

  /// The value as a `Double` (as Python's `float()` reads the literal; `NaN`, `Infinity` included).
  public var doubleValue: Double? {
    if case .number(let n) = self { return PythonNumber.double(n) }
    return nil
  }

  /// The Python type name `json.loads` gives this value (`str`, `int`, `float`, `bool`, `NoneType`, `list`,
  /// `dict`), for error messages.
  public var pythonTypeName: String {
    switch self {
    case .null: return "NoneType"
    case .bool: return "bool"
    case .number(let n): return PythonNumber.isInteger(n) ? "int" : "float"
    case .string: return "str"
    case .array: return "list"
    case .object: return "dict"
    }
  }

  /// Nested access by a dotted path: `"a.b.0.c"` reads key `a`, then key `b`, then element 0 of an array
  /// (a component made only of digits indexes arrays; on an object it is a key), then key `c`. Returns nil
  /// as soon as a step does not exist. The empty path returns the value itself.
  public func lookup(_ path: String) -> JSONValue? {
    if path.isEmpty { return self }
    var current = self
    for component in path.split(separator: ".", omittingEmptySubsequences: false) {
      switch current {
      case .object(let o):
        guard let next = o[String(component)] else { return nil }
        current = next
      case .array(let a):
        guard let i = Int(component), i >= 0, i < a.count, component.utf8.allSatisfy({ $0 &- 0x30 < 10 })
        else { return nil }
        current = a[i]
      default:
        return nil
      }
    }
    return current
  }

  /// `lookup` with the components given separately (keys that contain dots).
  public func lookup(components: [String]) -> JSONValue? {
    var current = self
    for component in components {
      switch current {
      case .object(let o):
        guard let next = o[component] else { return nil }
        current = next
      case .array(let a):
        guard let i = Int(component), i >= 0, i < a.count else { return nil }
        current = a[i]
      default:
        return nil
      }
    }
    return current
  }
}

extension JSONObject {
  /// Number of members, duplicates included.
  public var count: Int { keys.count }

  /// Nested access by a dotted path from this object (see `JSONValue.lookup`).
  public func lookup(_ path: String) -> JSONValue? { JSONValue.object(self).lookup(path) }

  /// Keys in first-occurrence order with the last value of each, as Python's dict holds them after
  /// `json.loads` (a repeated key keeps its first position and takes its last value).
  public var pythonItems: [(key: String, value: JSONValue)] {
    var out: [(key: String, value: JSONValue)] = []
    out.reserveCapacity(keys.count)
    if keys.count <= 16 {
      for (k, v) in zip(keys, values) {
        // Python compares keys by code points, not by Swift's canonical equivalence.
        if let j = out.firstIndex(where: { $0.key.utf8.elementsEqual(k.utf8) }) {
          out[j].value = v
        } else {
          out.append((k, v))
        }
      }
      return out
    }
    var position: [[UInt8]: Int] = [:]
    for (k, v) in zip(keys, values) {
      let bytes = Array(k.utf8)
      if let j = position[bytes] {
        out[j].value = v
      } else {
        position[bytes] = out.count
        out.append((k, v))
      }
    }
    return out
  }

  /// Appends a member.
  public mutating func append(_ key: String, _ value: JSONValue) {
    keys.append(key)
    values.append(value)
  }
}
