/// A small JSON node for the configuration parts of a tokenizer file (everything except the vocabulary
/// and the merges, which are streamed).
indirect enum ConfigNode: Equatable, CustomStringConvertible {
  case null
  case bool(Bool)
  case number(String)
  case string(String)
  case array([ConfigNode])
  case object([(String, ConfigNode)])

  static func == (a: ConfigNode, b: ConfigNode) -> Bool { a.description == b.description }

  subscript(key: String) -> ConfigNode? {
    if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
    return nil
  }

  var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// Compact JSON, for error messages.
  var description: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .number(let text): return text
    case .string(let value): return ConfigNode.quote(value)
    case .array(let items): return "[" + items.map(\.description).joined(separator: ",") + "]"
    case .object(let members):
      return "{" + members.map { ConfigNode.quote($0.0) + ":" + $0.1.description }.joined(separator: ",") + "}"
    }
  }

  private static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

/// A forward-only JSON scanner over the bytes of one file, made for tokenizer files: callers walk objects
/// and arrays themselves and stream big members without building a tree.
struct JSONScanner {
  let bytes: [UInt8]
  let file: String
  var position = 0

  init(bytes: [UInt8], file: String) {
    self.bytes = bytes
    self.file = file
  }

  func error(_ message: String) -> TokenizerError {
    .malformedFile(file: file, offset: position, message: message)
  }

  mutating func skipWhitespace() {
    while position < bytes.count {
      let b = bytes[position]
      if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { position += 1 } else { break }
    }
  }

  mutating func peek() throws(TokenizerError) -> UInt8 {
    skipWhitespace()
    guard position < bytes.count else { throw error("unexpected end of file") }
    return bytes[position]
  }

  mutating func expect(_ byte: UInt8) throws(TokenizerError) {
    guard try peek() == byte else {
      throw error(
        "expected '\(Character(Unicode.Scalar(byte)))', found '\(Character(Unicode.Scalar(bytes[position])))'")
    }
    position += 1
  }

  /// Starts an object; then call `nextKey` until it returns nil.
  mutating func beginObject() throws(TokenizerError) { try expect(0x7B) }

  /// The next key of an object (its value follows), or nil at the closing brace.
  mutating func nextKey(first: inout Bool) throws(TokenizerError) -> String? {
    if try peek() == 0x7D {
      position += 1
      return nil
    }
    if !first { try expect(0x2C) }
    first = false
    let key = try parseString()
    try expect(0x3A)
    return key
  }

  /// Starts an array; then call `nextElement` until it returns false.
  mutating func beginArray() throws(TokenizerError) { try expect(0x5B) }

  /// Whether another element follows (positioned at it), false at the closing bracket.
  mutating func nextElement(first: inout Bool) throws(TokenizerError) -> Bool {
    if try peek() == 0x5D {
      position += 1
      return false
    }
    if !first { try expect(0x2C) }
    first = false
    return true
  }

  /// A string's UTF-8 bytes, escapes decoded, appended to `out` (cleared first).
  mutating func parseStringBytes(into out: inout [UInt8]) throws(TokenizerError) {
    out.removeAll(keepingCapacity: true)
    try expect(0x22)
    while true {
      // The run up to the next quote or backslash, copied at once.
      var end = position
      bytes.withUnsafeBufferPointer { b in
        while end < b.count && b[end] != 0x22 && b[end] != 0x5C { end += 1 }
      }
      if end > position {
        out.append(contentsOf: bytes[position..<end])
        position = end
      }
      guard position < bytes.count else { throw error("unterminated string") }
      let b = bytes[position]
      position += 1
      if b == 0x22 { return }
      guard position < bytes.count else { throw error("unterminated escape") }
      let e = bytes[position]
      position += 1
      switch e {
      case 0x22, 0x5C, 0x2F: out.append(e)
      case 0x62: out.append(0x08)
      case 0x66: out.append(0x0C)
      case 0x6E: out.append(0x0A)
      case 0x72: out.append(0x0D)
      case 0x74: out.append(0x09)
      case 0x75:
        var scalar = try parseHex4()
        if scalar >= 0xD800 && scalar < 0xDC00 {
          guard position + 1 < bytes.count, bytes[position] == 0x5C, bytes[position + 1] == 0x75 else {
            throw error("unpaired surrogate escape")
          }
          position += 2
          let low = try parseHex4()
          guard low >= 0xDC00 && low < 0xE000 else { throw error("unpaired surrogate escape") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if scalar >= 0xDC00 && scalar < 0xE000 {
          throw error("unpaired surrogate escape")
        }
        appendUTF8(scalar, to: &out)
      default: throw error("invalid escape")
      }
    }
  }

  private mutating func parseHex4() throws(TokenizerError) -> UInt32 {
    guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[position]
      position += 1
      let digit: UInt32
      switch b {
      case 0x30...0x39: digit = UInt32(b - 0x30)
      case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
      case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
      default: throw error("invalid \\u escape")
      }
      value = value << 4 | digit
    }
    return value
  }

  mutating func parseString() throws(TokenizerError) -> String {
    var buffer = [UInt8]()
    try parseStringBytes(into: &buffer)
    return String(decoding: buffer, as: UTF8.self)
  }

  /// A non-negative integer (token ids).
  mutating func parseInteger() throws(TokenizerError) -> Int {
    _ = try peek()
    var value = 0
    let start = position
    while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
      value = value &* 10 &+ Int(bytes[position] - 0x30)
      position += 1
      if value > Int(UInt32.max) { throw error("integer too large") }
    }
    guard position > start else { throw error("expected a non-negative integer") }
    return value
  }

  /// Any value, as a tree.
  mutating func parseValue(depth: Int = 0) throws(TokenizerError) -> ConfigNode {
    guard depth < 64 else { throw error("nesting too deep") }
    let b = try peek()
    switch b {
    case 0x7B:
      try beginObject()
      var members = [(String, ConfigNode)]()
      var first = true
      while let key = try nextKey(first: &first) { members.append((key, try parseValue(depth: depth + 1))) }
      return .object(members)
    case 0x5B:
      try beginArray()
      var items = [ConfigNode]()
      var first = true
      while try nextElement(first: &first) { items.append(try parseValue(depth: depth + 1)) }
      return .array(items)
    case 0x22:
      return .string(try parseString())
    case 0x74:
      try literal("true")
      return .bool(true)
    case 0x66:
      try literal("false")
      return .bool(false)
    case 0x6E:
      try literal("null")
      return .null
    default:
      let start = position
      while position < bytes.count {
        let c = bytes[position]
        if (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x65 || c == 0x45 {
          position += 1
        } else {
          break
        }
      }
      guard position > start else { throw error("unexpected character") }
      return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }
  }

  private mutating func literal(_ word: StaticString) throws(TokenizerError) {
    let count = word.utf8CodeUnitCount
    guard position + count <= bytes.count else { throw error("unexpected end of file") }
    let matches = word.withUTF8Buffer { expected in
      (0..<count).allSatisfy { bytes[position + $0] == expected[$0] }
    }
    guard matches else { throw error("invalid literal") }
    position += count
  }

  /// Requires that only whitespace remains.
  mutating func expectEnd() throws(TokenizerError) {
    skipWhitespace()
    guard position == bytes.count else { throw error("unexpected content after the top-level value") }
  }
}
