import PrepCore

/// What the parser does with a `\uD800`-`\uDFFF` escape that has no partner (valid for Python's
/// `json.loads`, not representable in a Swift `String`).
public enum LoneSurrogatePolicy: Sendable, Equatable {
  /// Decode it as U+FFFD and count it in `JSONParseOptions`' counter (the default: Python accepts it).
  case replace
  /// Throw `JSONError` of kind `.loneSurrogate`.
  case reject
}

/// Parser settings.
public struct JSONParseOptions: Sendable, Equatable {
  /// What to do with lone surrogate escapes. Default `.replace` (U+FFFD).
  public var loneSurrogates: LoneSurrogatePolicy
  /// Maximum nesting of arrays and objects (Python's recursion limit stops near 1000).
  public var maxDepth: Int

  /// Creates options.
  public init(loneSurrogates: LoneSurrogatePolicy = .replace, maxDepth: Int = 1000) {
    self.loneSurrogates = loneSurrogates
    self.maxDepth = maxDepth
  }
}

extension JSONValue {
  /// Parses one JSON document (RFC 8259 as Python's `json.loads` accepts it, plus `NaN`, `Infinity`,
  /// `-Infinity` as numbers) from `bytes`, which may be a slice of a larger buffer: nothing is copied but
  /// the strings and numbers of the result. Leading and trailing JSON whitespace is allowed. Lone surrogate
  /// escapes become U+FFFD with the default options.
  public static func parse(_ bytes: UnsafeRawBufferPointer, options: JSONParseOptions = JSONParseOptions())
    throws(JSONError) -> JSONValue
  {
    var ignored = 0
    return try parse(bytes, options: options, loneSurrogates: &ignored)
  }

  /// `parse`, adding to `loneSurrogates` the number of lone surrogate escapes replaced by U+FFFD.
  public static func parse(
    _ bytes: UnsafeRawBufferPointer, options: JSONParseOptions = JSONParseOptions(), loneSurrogates: inout Int
  ) throws(JSONError) -> JSONValue {
    let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? _emptyBytes
    var parser = JSONParser(base, bytes.count, options)
    defer { parser.release() }
    let value = try parser.parseDocument()
    loneSurrogates &+= parser.loneSurrogates
    return value
  }

  /// Parses one JSON document from a byte array (see `parse(_: UnsafeRawBufferPointer, ...)`).
  public static func parse(_ bytes: [UInt8], options: JSONParseOptions = JSONParseOptions()) throws(JSONError)
    -> JSONValue
  {
    let r: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
      do throws(JSONError) { return .success(try parse(raw, options: options)) } catch { return .failure(error) }
    }
    return try r.get()
  }

  /// Parses one JSON document from an array slice, without copying it.
  public static func parse(_ bytes: ArraySlice<UInt8>, options: JSONParseOptions = JSONParseOptions())
    throws(JSONError) -> JSONValue
  {
    let r: Result<JSONValue, JSONError> = bytes.withUnsafeBytes { raw in
      do throws(JSONError) { return .success(try parse(raw, options: options)) } catch { return .failure(error) }
    }
    return try r.get()
  }

  /// Parses one JSON document from text.
  public static func parse(_ text: String, options: JSONParseOptions = JSONParseOptions()) throws(JSONError)
    -> JSONValue
  {
    try parse(Array(text.utf8), options: options)
  }

  /// Extracts the values of `keys` from a top-level object without building the rest of the tree: the
  /// whole document is still validated exactly as `parse` does (same errors), but strings and numbers
  /// outside the requested fields are only checked, never allocated. Returns one entry per key (nil
  /// when the key is absent; the last occurrence wins for repeated keys), or nil when the document is
  /// valid JSON but not an object.
  public static func extractFields(
    _ keys: [String], from bytes: UnsafeRawBufferPointer, options: JSONParseOptions = JSONParseOptions()
  ) throws(JSONError) -> [JSONValue?]? {
    let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? _emptyBytes
    var parser = JSONParser(base, bytes.count, options)
    defer { parser.release() }
    let wanted = keys.map { Array($0.utf8) }
    return try parser.extractDocument(wanted)
  }

  /// `extractFields` over a byte array.
  public static func extractFields(
    _ keys: [String], from bytes: [UInt8], options: JSONParseOptions = JSONParseOptions()
  ) throws(JSONError) -> [JSONValue?]? {
    let r: Result<[JSONValue?]?, JSONError> = bytes.withUnsafeBytes { raw in
      do throws(JSONError) {
        return .success(try extractFields(keys, from: raw, options: options))
      } catch { return .failure(error) }
    }
    return try r.get()
  }
}

/// What `JSONValue.withStringField` found for its key.
public enum StringField<Result> {
  /// The document is valid JSON but not an object.
  case notAnObject
  /// The object lacks the key.
  case missing
  /// The key's value (the last one, for a repeated key) is not a string: here it is.
  case notAString(JSONValue)
  /// What the body returned for the string's UTF-8 bytes.
  case string(Result)
}

extension StringField: Sendable where Result: Sendable {}

extension JSONValue {
  /// Validates a whole document exactly as `parse` does (same errors) and hands the UTF-8 bytes of one
  /// top-level string field to `body` without building a `String`: a string without escapes is passed in
  /// place (no copy), one with escapes decoded once into the parser's buffer. The bytes are valid UTF-8
  /// and live only during the call. The last occurrence of a repeated key wins, as in `parse`.
  public static func withStringField<R>(
    _ key: String, from bytes: UnsafeRawBufferPointer, options: JSONParseOptions = JSONParseOptions(),
    _ body: (ValidUTF8) -> R
  ) throws(JSONError) -> StringField<R> {
    let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? _emptyBytes
    var parser = JSONParser(base, bytes.count, options)
    defer { parser.release() }
    return try parser.withStringField(Array(key.utf8), body)
  }
}

/// A non-nil pointer for empty inputs (never dereferenced: every read is bounds-checked against count 0).
nonisolated(unsafe) let _emptyBytes: UnsafePointer<UInt8> = {
  let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
  p.initialize(to: 0)
  return UnsafePointer(p)
}()

private let quoteMask: UInt64 = 0x2222_2222_2222_2222
private let backslashMask: UInt64 = 0x5C5C_5C5C_5C5C_5C5C
private let ones: UInt64 = 0x0101_0101_0101_0101
private let highs: UInt64 = 0x8080_8080_8080_8080

/// A byte flagged (high bit set) where `w` holds `"`, `\` or a byte < 0x20. The lowest flagged byte is
/// always a true match (borrows only create false flags above a true one).
@inline(__always)
private func specialMask(_ w: UInt64) -> UInt64 {
  let q = w ^ quoteMask
  let b = w ^ backslashMask
  let hq = (q &- ones) & ~q
  let hb = (b &- ones) & ~b
  let hc = (w &- 0x2020_2020_2020_2020) & ~w
  return (hq | hb | hc) & highs
}

/// Where `JSONParser.withStringField` found its key's value.
enum FoundField {
  case none
  case plain(Range<Int>)
  case decoded
  case other(JSONValue)
}

/// The recursive-descent parser over a borrowed byte range.
struct JSONParser {
  let p: UnsafePointer<UInt8>
  let count: Int
  var pos: Int = 0
  var depth: Int = 0
  let options: JSONParseOptions
  var loneSurrogates: Int = 0
  /// Reused buffer for strings with escapes (grown on demand, freed by `release()`).
  var buf: UnsafeMutablePointer<UInt8>? = nil
  var bufCapacity = 0
  /// Bytes used in `buf` by the string being decoded.
  var bufCount = 0
  /// The decoded field of `withStringField` (a second buffer, swapped with `buf`).
  var field: UnsafeMutablePointer<UInt8>? = nil
  var fieldCapacity = 0
  var fieldCount = 0

  /// Frees the escape buffers.
  func release() {
    buf?.deallocate()
    field?.deallocate()
  }

  /// Makes room for `extra` more bytes in `buf` and returns it.
  @inline(__always)
  mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
    if let b = buf, bufCount &+ extra <= bufCapacity { return b }
    return grow(extra)
  }

  mutating func grow(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
    let newCapacity = max(bufCapacity * 2, bufCount + extra, 256)
    let n = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    if let old = buf {
      n.update(from: old, count: bufCount)
      old.deallocate()
    }
    buf = n
    bufCapacity = newCapacity
    return n
  }

  init(_ p: UnsafePointer<UInt8>, _ count: Int, _ options: JSONParseOptions) {
    self.p = p
    self.count = count
    self.options = options
  }

  // MARK: - Errors

  func fail(_ kind: JSONError.Kind, _ at: Int, _ message: String) -> JSONError {
    JSONError(kind, at: at, message)
  }

  /// The error for the byte at `pos` when a value or delimiter was expected.
  func unexpected(_ expected: String) -> JSONError {
    if pos >= count { return fail(.unexpectedEnd, pos, "unexpected end of input, expected \(expected)") }
    let b = p[pos]
    if b >= 0x80, UTF8Check.sequenceLength(p + pos, count &- pos) == 0 {
      return fail(.invalidUTF8, pos, "invalid UTF-8 byte 0x\(hex2(b)), expected \(expected)")
    }
    return fail(.unexpectedCharacter, pos, "unexpected \(describe(b)), expected \(expected)")
  }

  /// The error for non-whitespace after the top-level value (invalid UTF-8 is reported as such).
  func trailing() -> JSONError {
    let b = p[pos]
    if b >= 0x80, UTF8Check.sequenceLength(p + pos, count &- pos) == 0 {
      return fail(.invalidUTF8, pos, "invalid UTF-8 byte 0x\(hex2(b)) after the JSON value")
    }
    return fail(.trailingData, pos, "extra data after the JSON value")
  }

  func describe(_ b: UInt8) -> String {
    if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
    return "byte 0x\(hex2(b))"
  }

  // MARK: - Document

  mutating func parseDocument() throws(JSONError) -> JSONValue {
    skipWhitespace()
    let v = try parseValue()
    skipWhitespace()
    if pos < count { throw trailing() }
    return v
  }

  @inline(__always)
  mutating func skipWhitespace() {
    while pos < count {
      let b = p[pos]
      if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos &+= 1 } else { return }
    }
  }

  mutating func parseValue() throws(JSONError) -> JSONValue {
    guard pos < count else { throw unexpected("a value") }
    switch p[pos] {
    case UInt8(ascii: "\""):
      return .string(try parseString())
    case UInt8(ascii: "{"):
      return try parseObject()
    case UInt8(ascii: "["):
      return try parseArray()
    case UInt8(ascii: "t"):
      try literal("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try literal("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try literal("null")
      return .null
    default:
      let start = pos
      try scanNumber()
      return .number(asciiString(start, pos))
    }
  }

  func asciiString(_ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(start: p + start, count: end &- start), as: UTF8.self)
  }

  mutating func literal(_ word: StaticString) throws(JSONError) {
    let n = word.utf8CodeUnitCount
    let w = word.utf8Start
    var i = 0
    while i < n {
      guard pos &+ i < count, p[pos &+ i] == w[i] else {
        if i == 0 { throw unexpected("a value") }
        pos &+= i
        throw unexpected("'\(word)'")
      }
      i &+= 1
    }
    pos &+= n
  }

  mutating func enter() throws(JSONError) {
    depth &+= 1
    if depth > options.maxDepth {
      throw fail(.tooDeep, pos, "nesting deeper than \(options.maxDepth) levels")
    }
  }

  mutating func parseArray() throws(JSONError) -> JSONValue {
    try enter()
    pos &+= 1
    var items: [JSONValue] = []
    skipWhitespace()
    if pos < count && p[pos] == UInt8(ascii: "]") {
      pos &+= 1
      depth &-= 1
      return .array(items)
    }
    while true {
      skipWhitespace()
      items.append(try parseValue())
      skipWhitespace()
      guard pos < count else { throw unexpected("',' or ']'") }
      let b = p[pos]
      pos &+= 1
      if b == UInt8(ascii: ",") { continue }
      if b == UInt8(ascii: "]") { break }
      pos &-= 1
      throw unexpected("',' or ']' after an array element")
    }
    depth &-= 1
    return .array(items)
  }

  mutating func parseObject() throws(JSONError) -> JSONValue {
    try enter()
    pos &+= 1
    var keys: [String] = []
    var values: [JSONValue] = []
    skipWhitespace()
    if pos < count && p[pos] == UInt8(ascii: "}") {
      pos &+= 1
      depth &-= 1
      return .object(JSONObject(keys: keys, values: values))
    }
    while true {
      skipWhitespace()
      guard pos < count, p[pos] == UInt8(ascii: "\"") else {
        throw unexpected("a property name in double quotes")
      }
      keys.append(try parseString())
      skipWhitespace()
      guard pos < count, p[pos] == UInt8(ascii: ":") else { throw unexpected("':' after a property name") }
      pos &+= 1
      skipWhitespace()
      values.append(try parseValue())
      skipWhitespace()
      guard pos < count else { throw unexpected("',' or '}'") }
      let b = p[pos]
      pos &+= 1
      if b == UInt8(ascii: ",") { continue }
      if b == UInt8(ascii: "}") { break }
      pos &-= 1
      throw unexpected("',' or '}' after an object member")
    }
    depth &-= 1
    return .object(JSONObject(keys: keys, values: values))
  }

  // MARK: - Numbers

  /// Scans a number (JSON grammar, or `NaN` / `Infinity` / `-Infinity`) starting at `pos`.
  mutating func scanNumber() throws(JSONError) {
    let start = pos
    if pos < count && p[pos] == UInt8(ascii: "-") { pos &+= 1 }
    guard pos < count else { throw start == pos ? unexpected("a value") : unexpected("a digit") }
    let first = p[pos]
    if first == UInt8(ascii: "I") || (first == UInt8(ascii: "N") && pos == start) {
      if first == UInt8(ascii: "I") { try literal("Infinity") } else { try literal("NaN") }
      return
    }
    if first == UInt8(ascii: "0") {
      pos &+= 1
    } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
      pos &+= 1
      while pos < count && p[pos] &- UInt8(ascii: "0") < 10 { pos &+= 1 }
    } else {
      if pos == start { throw unexpected("a value") }
      throw fail(.invalidNumber, pos, "expected a digit after '-'")
    }
    if pos < count && p[pos] == UInt8(ascii: ".") {
      pos &+= 1
      guard pos < count && p[pos] &- UInt8(ascii: "0") < 10 else {
        throw fail(.invalidNumber, pos, "expected a digit after the decimal point")
      }
      while pos < count && p[pos] &- UInt8(ascii: "0") < 10 { pos &+= 1 }
    }
    if pos < count && (p[pos] | 0x20) == UInt8(ascii: "e") {
      pos &+= 1
      if pos < count && (p[pos] == UInt8(ascii: "+") || p[pos] == UInt8(ascii: "-")) { pos &+= 1 }
      guard pos < count && p[pos] &- UInt8(ascii: "0") < 10 else {
        throw fail(.invalidNumber, pos, "expected a digit in the exponent")
      }
      while pos < count && p[pos] &- UInt8(ascii: "0") < 10 { pos &+= 1 }
    }
  }

  // MARK: - Strings

  /// Scans from `pos` (just after an opening quote) to the first `"`, `\` or control byte; returns its offset
  /// (or `count`).
  @inline(__always)
  func scanPlain(_ from: Int) -> Int {
    var i = from
    while i &+ 8 <= count {
      let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
      let m = specialMask(w)
      if m != 0 { return i &+ (m.trailingZeroBitCount >> 3) }
      i &+= 8
    }
    while i < count {
      let b = p[i]
      if b == 0x22 || b == 0x5C || b < 0x20 { return i }
      i &+= 1
    }
    return count
  }

  /// Parses a string at `pos` (on the opening quote) and returns its value.
  mutating func parseString() throws(JSONError) -> String {
    // No escapes: the String is built once from the input; else from the decoded bytes.
    if let range = try decodeString() { return makeString(p + range.lowerBound, range.count) }
    guard let out = buf, bufCount > 0 else { return "" }
    return makeString(out, bufCount)
  }

  /// A String from bytes this parser has validated as UTF-8 (copied once, not validated again).
  @inline(__always)
  func makeString(_ start: UnsafePointer<UInt8>, _ n: Int) -> String {
    let span = UnsafeBufferPointer(start: start, count: n).span
    return String(copying: UTF8Span(unchecked: span))
  }

  /// Decodes a string with escapes into `buf` (`bufCount` bytes; its raw runs are not validated here).
  ///
  /// Decoded bytes never outnumber the input they come from, so `buf` is sized once for the rest of the
  /// document (plus a word). After each escape the next raw run is scanned and copied in one pass, eight
  /// bytes at a time: each word is stored before it is checked for a quote, backslash or control byte,
  /// and `bufCount` then counts only the bytes before that one.
  mutating func decodeEscapedString(_ start: Int, _ firstStop: Int) throws(JSONError) {
    bufCount = 0
    reserve(count &- start &+ 8).update(from: p + start, count: firstStop &- start)
    bufCount = firstStop &- start
    var stop = firstStop
    while true {
      guard stop < count else {
        throw fail(.unexpectedEnd, count, "unterminated string starting at byte \(start &- 1)")
      }
      let b = p[stop]
      if b == 0x22 {
        pos = stop &+ 1
        return
      }
      if b < 0x20 {
        throw fail(.controlCharacter, stop, "raw control character 0x\(hex2(b)) in a string")
      }
      // Backslash.
      var i = stop &+ 1
      try decodeEscape(&i)
      // The raw run after it, up to the next special byte (the room was there from the start).
      let out = reserve(count &- i &+ 8)
      var written = bufCount
      while i &+ 8 <= count {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        UnsafeMutableRawPointer(out + written).storeBytes(of: w, as: UInt64.self)
        let m = specialMask(w)
        if m != 0 {
          let plain = m.trailingZeroBitCount >> 3
          i &+= plain
          written &+= plain
          break
        }
        i &+= 8
        written &+= 8
      }
      if i &+ 8 > count {
        while i < count {
          let c = p[i]
          if c == 0x22 || c == 0x5C || c < 0x20 { break }
          out[written] = c
          i &+= 1
          written &+= 1
        }
      }
      bufCount = written
      stop = i
    }
  }

  /// Locates the first invalid raw byte of a string with escapes (its raw runs are validated one by one).
  func invalidUTF8InEscapedString(_ start: Int) -> JSONError {
    var i = start
    while i < count {
      let stop = scanPlain(i)
      if let bad = UTF8Check.firstInvalid(p + i, stop &- i) {
        return fail(.invalidUTF8, i &+ bad, "invalid UTF-8 in a string")
      }
      guard stop < count, p[stop] == 0x5C else { break }
      i = stop &+ 2
      if i <= count && p[stop &+ 1] == UInt8(ascii: "u") { i &+= 4 }
    }
    return fail(.invalidUTF8, start, "invalid UTF-8 in a string")
  }

  /// Decodes one escape into `buf` (which has room for 4 more bytes); `i` is just after the backslash and
  /// ends just after the escape.
  @inline(__always)
  mutating func decodeEscape(_ i: inout Int) throws(JSONError) {
    guard i < count else { throw fail(.unexpectedEnd, i, "unterminated escape") }
    let e = p[i]
    i &+= 1
    let simple = escapeTable[Int(e)]
    if simple != 0xFF {
      let out = reserve(1)
      out[bufCount] = simple
      bufCount &+= 1
      return
    }
    switch e {
    case UInt8(ascii: "u"):
      let u = try hex4(&i)
      var scalar = u
      if u >= 0xD800 && u <= 0xDBFF {
        // A high surrogate: combine with a following \uDC00-\uDFFF escape, else it is lone.
        if i &+ 6 <= count && p[i] == 0x5C && p[i &+ 1] == UInt8(ascii: "u") {
          var j = i &+ 2
          let low = try hex4(&j)
          if low >= 0xDC00 && low <= 0xDFFF {
            scalar = 0x10000 &+ ((u &- 0xD800) << 10) &+ (low &- 0xDC00)
            i = j
          } else {
            scalar = try lone(i &- 6)
          }
        } else {
          scalar = try lone(i &- 6)
        }
      } else if u >= 0xDC00 && u <= 0xDFFF {
        scalar = try lone(i &- 6)
      }
      let out = reserve(4)
      bufCount &+= writeUTF8(scalar, out + bufCount)
    default:
      throw fail(.invalidEscape, i &- 2, "invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string")
    }
  }

  mutating func lone(_ at: Int) throws(JSONError) -> UInt32 {
    if options.loneSurrogates == .reject {
      throw fail(.loneSurrogate, at, "lone surrogate escape in a string")
    }
    loneSurrogates &+= 1
    return 0xFFFD
  }

  func hex4(_ i: inout Int) throws(JSONError) -> UInt32 {
    guard i &+ 4 <= count else { throw fail(.invalidEscape, i &- 2, "incomplete \\u escape") }
    var v: UInt32 = 0
    for k in 0..<4 {
      let c = p[i &+ k]
      let d: UInt8
      switch c {
      case 0x30...0x39: d = c &- 0x30
      case 0x41...0x46: d = c &- 0x37
      case 0x61...0x66: d = c &- 0x57
      default: throw fail(.invalidEscape, i &- 2, "invalid \\u escape: expected 4 hex digits")
      }
      v = v << 4 | UInt32(d)
    }
    i &+= 4
    return v
  }

  // MARK: - Skipping (lazy extraction)

  /// Validates a string at `pos` without building it; returns the raw content range if it has no escapes.
  mutating func skipString() throws(JSONError) -> Range<Int>? {
    let start = pos &+ 1
    var runStart = start
    var stop = scanPlain(start)
    var plain = true
    while true {
      guard stop < count else {
        throw fail(.unexpectedEnd, count, "unterminated string starting at byte \(start &- 1)")
      }
      let b = p[stop]
      if let bad = UTF8Check.firstInvalid(p + runStart, stop &- runStart) {
        throw fail(.invalidUTF8, runStart &+ bad, "invalid UTF-8 in a string")
      }
      if b == 0x22 {
        pos = stop &+ 1
        return plain ? start..<stop : nil
      }
      if b < 0x20 { throw fail(.controlCharacter, stop, "raw control character 0x\(hex2(b)) in a string") }
      plain = false
      var i = stop &+ 1
      bufCount = 0
      try decodeEscape(&i)
      runStart = i
      stop = scanPlain(i)
    }
  }

  mutating func skipValue() throws(JSONError) {
    guard pos < count else { throw unexpected("a value") }
    switch p[pos] {
    case UInt8(ascii: "\""):
      _ = try skipString()
    case UInt8(ascii: "{"):
      try enter()
      pos &+= 1
      skipWhitespace()
      if pos < count && p[pos] == UInt8(ascii: "}") {
        pos &+= 1
      } else {
        while true {
          skipWhitespace()
          guard pos < count, p[pos] == UInt8(ascii: "\"") else {
            throw unexpected("a property name in double quotes")
          }
          _ = try skipString()
          skipWhitespace()
          guard pos < count, p[pos] == UInt8(ascii: ":") else { throw unexpected("':' after a property name") }
          pos &+= 1
          skipWhitespace()
          try skipValue()
          skipWhitespace()
          guard pos < count else { throw unexpected("',' or '}'") }
          let b = p[pos]
          pos &+= 1
          if b == UInt8(ascii: ",") { continue }
          if b == UInt8(ascii: "}") { break }
          pos &-= 1
          throw unexpected("',' or '}' after an object member")
        }
      }
      depth &-= 1
    case UInt8(ascii: "["):
      try enter()
      pos &+= 1
      skipWhitespace()
      if pos < count && p[pos] == UInt8(ascii: "]") {
        pos &+= 1
      } else {
        while true {
          skipWhitespace()
          try skipValue()
          skipWhitespace()
          guard pos < count else { throw unexpected("',' or ']'") }
          let b = p[pos]
          pos &+= 1
          if b == UInt8(ascii: ",") { continue }
          if b == UInt8(ascii: "]") { break }
          pos &-= 1
          throw unexpected("',' or ']' after an array element")
        }
      }
      depth &-= 1
    case UInt8(ascii: "t"): try literal("true")
    case UInt8(ascii: "f"): try literal("false")
    case UInt8(ascii: "n"): try literal("null")
    default: try scanNumber()
    }
  }

  /// Key equality against a wanted key, for a key that was skipped (raw range if it had no escapes).
  func keyMatches(_ raw: Range<Int>?, _ keyStart: Int, _ wanted: [UInt8], _ decoded: inout [UInt8]?) -> Bool {
    if let raw {
      guard raw.count == wanted.count else { return false }
      return wanted.withUnsafeBufferPointer { w in
        var k = 0
        while k < w.count {
          if p[raw.lowerBound &+ k] != w[k] { return false }
          k &+= 1
        }
        return true
      }
    }
    return decoded.map { $0 == wanted } ?? false
  }

  /// Walks a top-level object, validating the whole document exactly as `parse` does. For each member whose
  /// key equals one of `wanted`, calls `take` with the first such index and the parser on the value, which
  /// `take` must consume; other values are only checked. Returns false (the document validated all the same)
  /// when it is not an object.
  mutating func walkTopLevelObject(
    _ wanted: [[UInt8]], _ take: (inout JSONParser, Int) throws(JSONError) -> Void
  ) throws(JSONError) -> Bool {
    skipWhitespace()
    guard pos < count, p[pos] == UInt8(ascii: "{") else {
      _ = try parseDocumentSkipping()
      return false
    }
    try enter()
    pos &+= 1
    skipWhitespace()
    if pos < count && p[pos] == UInt8(ascii: "}") {
      pos &+= 1
    } else {
      while true {
        skipWhitespace()
        guard pos < count, p[pos] == UInt8(ascii: "\"") else { throw unexpected("a property name in double quotes") }
        let keyStart = pos
        let raw = try skipString()
        var decoded: [UInt8]? = nil
        if raw == nil {
          // A key with escapes: decode it for comparison.
          let end = pos
          pos = keyStart
          let s = try parseString()
          pos = end
          decoded = Array(s.utf8)
        }
        skipWhitespace()
        guard pos < count, p[pos] == UInt8(ascii: ":") else { throw unexpected("':' after a property name") }
        pos &+= 1
        skipWhitespace()
        if let hit = wanted.indices.first(where: { keyMatches(raw, keyStart, wanted[$0], &decoded) }) {
          try take(&self, hit)
        } else {
          try skipValue()
        }
        skipWhitespace()
        guard pos < count else { throw unexpected("',' or '}'") }
        let b = p[pos]
        pos &+= 1
        if b == UInt8(ascii: ",") { continue }
        if b == UInt8(ascii: "}") { break }
        pos &-= 1
        throw unexpected("',' or '}' after an object member")
      }
    }
    depth &-= 1
    skipWhitespace()
    if pos < count { throw trailing() }
    return true
  }

  mutating func extractDocument(_ wanted: [[UInt8]]) throws(JSONError) -> [JSONValue?]? {
    var found = [JSONValue?](repeating: nil, count: wanted.count)
    let isObject = try walkTopLevelObject(wanted) { (parser, hit) throws(JSONError) in
      let value = try parser.parseValue()
      // A key listed more than once gets the value in every place.
      for k in hit..<wanted.count where wanted[k] == wanted[hit] { found[k] = value }
    }
    return isObject ? found : nil
  }

  /// Validates the document like `extractDocument` and hands the last value of `wanted`, if it is a string,
  /// to `body`: in place when it has no escapes, else decoded once (when it is met) into `field`.
  mutating func withStringField<R>(_ wanted: [UInt8], _ body: (ValidUTF8) -> R) throws(JSONError)
    -> StringField<R>
  {
    var found = FoundField.none
    let isObject = try walkTopLevelObject([wanted]) { (parser, _) throws(JSONError) in
      guard parser.pos < parser.count && parser.p[parser.pos] == UInt8(ascii: "\"") else {
        found = .other(try parser.parseValue())
        return
      }
      if let range = try parser.decodeString() {
        found = .plain(range)
      } else {
        // Keep the decoded bytes out of the way of later escapes, which reuse `buf`.
        swap(&parser.buf, &parser.field)
        swap(&parser.bufCapacity, &parser.fieldCapacity)
        parser.fieldCount = parser.bufCount
        parser.bufCount = 0
        found = .decoded
      }
    }
    guard isObject else { return .notAnObject }
    switch found {
    case .none: return .missing
    case .other(let value): return .notAString(value)
    // `decodeString` checked the bytes as UTF-8 (raw, or decoded).
    case .plain(let range):
      return .string(body(ValidUTF8(checked: UnsafeBufferPointer(start: p + range.lowerBound, count: range.count))))
    case .decoded:
      return .string(
        body(ValidUTF8(checked: UnsafeBufferPointer(start: field.map { UnsafePointer($0) } ?? p, count: fieldCount))))
    }
  }

  /// Checks and decodes a string at `pos` exactly as `parseString` does (same errors in the same order),
  /// without building it: returns its raw range when it has no escapes, else nil with the bytes in `buf`.
  mutating func decodeString() throws(JSONError) -> Range<Int>? {
    let start = pos &+ 1
    let stop = scanPlain(start)
    if stop < count && p[stop] == 0x22 {
      pos = stop &+ 1
      if let bad = UTF8Check.firstInvalid(p + start, stop &- start) {
        throw fail(.invalidUTF8, start &+ bad, "invalid UTF-8 in a string")
      }
      return start..<stop
    }
    try decodeEscapedString(start, stop)
    if bufCount > 0, let out = buf, UTF8Check.firstInvalid(out, bufCount) != nil {
      throw invalidUTF8InEscapedString(start)
    }
    return nil
  }

  mutating func parseDocumentSkipping() throws(JSONError) {
    skipWhitespace()
    try skipValue()
    skipWhitespace()
    if pos < count { throw trailing() }
  }
}

/// The byte an escape letter stands for (`n` -> LF), or 0xFF for `u` and invalid letters.
private let escapeTable: [UInt8] = {
  var t = [UInt8](repeating: 0xFF, count: 256)
  t[0x22] = 0x22
  t[0x5C] = 0x5C
  t[0x2F] = 0x2F
  t[Int(UInt8(ascii: "b"))] = 0x08
  t[Int(UInt8(ascii: "f"))] = 0x0C
  t[Int(UInt8(ascii: "n"))] = 0x0A
  t[Int(UInt8(ascii: "r"))] = 0x0D
  t[Int(UInt8(ascii: "t"))] = 0x09
  return t
}()

/// Writes the UTF-8 encoding of `v` at `out`; returns its length.
@inline(__always)
func writeUTF8(_ v: UInt32, _ out: UnsafeMutablePointer<UInt8>) -> Int {
  if v < 0x80 {
    out[0] = UInt8(v)
    return 1
  } else if v < 0x800 {
    out[0] = UInt8(0xC0 | (v >> 6))
    out[1] = UInt8(0x80 | (v & 0x3F))
    return 2
  } else if v < 0x10000 {
    out[0] = UInt8(0xE0 | (v >> 12))
    out[1] = UInt8(0x80 | ((v >> 6) & 0x3F))
    out[2] = UInt8(0x80 | (v & 0x3F))
    return 3
  }
  out[0] = UInt8(0xF0 | (v >> 18))
  out[1] = UInt8(0x80 | ((v >> 12) & 0x3F))
  out[2] = UInt8(0x80 | ((v >> 6) & 0x3F))
  out[3] = UInt8(0x80 | (v & 0x3F))
  return 4
}

@inline(__always)
func appendUTF8(_ v: UInt32, _ out: inout [UInt8]) {
  if v < 0x80 {
    out.append(UInt8(v))
  } else if v < 0x800 {
    out.append(UInt8(0xC0 | (v >> 6)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  } else if v < 0x10000 {
    out.append(UInt8(0xE0 | (v >> 12)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  } else {
    out.append(UInt8(0xF0 | (v >> 18)))
    out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
    out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
    out.append(UInt8(0x80 | (v & 0x3F)))
  }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

func hex2(_ b: UInt8) -> String {
  String(decoding: [hexDigits[Int(b >> 4)], hexDigits[Int(b & 15)]], as: UTF8.self)
}
