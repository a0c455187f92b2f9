/// Writes JSON text into a byte buffer: whole values, or piece by piece for hot lines such as
/// `{"input_ids":[1,2],"labels":[-100,5]}` (integers go straight into the buffer, no String per number).
///
/// Output is compact and escaped like Python's `json.dumps(v, ensure_ascii=False, separators=(",", ":"))`:
/// `"` `\` and controls < 0x20 escaped (`\n \r \t \b \f`, others `\u00XX`), everything else (DEL and
/// non-ASCII included) written as UTF-8. Numbers are written as their literal text (`NaN` stays `NaN`).
public struct JSONWriter: Sendable {
  /// The bytes written so far.
  public var bytes: [UInt8]

  /// Creates an empty writer.
  public init(capacity: Int = 0) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  /// Empties the buffer, keeping its capacity.
  public mutating func reset() { bytes.removeAll(keepingCapacity: true) }

  /// Writes a whole value.
  public mutating func write(_ value: JSONValue) {
    switch value {
    case .null: bytes.append(contentsOf: "null".utf8)
    case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
    case .number(let n): bytes.append(contentsOf: n.utf8)
    case .string(let s): writeString(s)
    case .array(let items):
      bytes.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        write(item)
      }
      bytes.append(UInt8(ascii: "]"))
    case .object(let o):
      bytes.append(UInt8(ascii: "{"))
      for i in 0..<o.keys.count {
        if i > 0 { bytes.append(UInt8(ascii: ",")) }
        writeString(o.keys[i])
        bytes.append(UInt8(ascii: ":"))
        write(o.values[i])
      }
      bytes.append(UInt8(ascii: "}"))
    }
  }

  /// Writes a quoted, escaped string.
  public mutating func writeString(_ s: String) {
    var s = s
    s.withUTF8 { writeString(utf8: $0) }
  }

  /// Writes a quoted, escaped string from UTF-8 bytes (assumed valid).
  public mutating func writeString(utf8 text: UnsafeBufferPointer<UInt8>) {
    bytes.append(UInt8(ascii: "\""))
    var runStart = 0
    var i = 0
    let n = text.count
    while i < n {
      let b = text[i]
      if b >= 0x20 && b != 0x22 && b != 0x5C {
        i &+= 1
        continue
      }
      if i > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<i])) }
      bytes.append(0x5C)
      switch b {
      case 0x22: bytes.append(0x22)
      case 0x5C: bytes.append(0x5C)
      case 0x0A: bytes.append(UInt8(ascii: "n"))
      case 0x0D: bytes.append(UInt8(ascii: "r"))
      case 0x09: bytes.append(UInt8(ascii: "t"))
      case 0x08: bytes.append(UInt8(ascii: "b"))
      case 0x0C: bytes.append(UInt8(ascii: "f"))
      default:
        bytes.append(contentsOf: "u00".utf8)
        bytes.append(hexDigit(b >> 4))
        bytes.append(hexDigit(b & 15))
      }
      i &+= 1
      runStart = i
    }
    if n > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<n])) }
    bytes.append(UInt8(ascii: "\""))
  }

  /// Writes ASCII text as is (punctuation such as `{"input_ids":`); the caller keeps the JSON valid.
  public mutating func writeRaw(_ text: StaticString) {
    bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  /// Writes one byte as is (`,`, `{`, `\n`).
  public mutating func writeByte(_ b: UInt8) { bytes.append(b) }

  /// Writes `"key":` (the key quoted and escaped).
  public mutating func writeKey(_ key: String) {
    writeString(key)
    bytes.append(UInt8(ascii: ":"))
  }

  /// Writes a decimal integer.
  public mutating func writeInt(_ v: Int) {
    withTail(20 &+ 8) { out in formatSigned(Int64(v), out) }
  }

  /// Writes a decimal unsigned integer.
  public mutating func writeUnsigned(_ v: UInt64) {
    withTail(20 &+ 8) { out in formatUnsigned(v, out) }
  }

  /// Writes `[a,b,c]` from token ids.
  public mutating func writeArray(_ values: [UInt32]) {
    writeList(values.count, widest: 10) { i, at in formatUnsigned(UInt64(values[i]), at) }
  }

  /// Writes `[a,b,c]` from signed values (labels with -100).
  public mutating func writeArray(_ values: [Int32]) {
    writeList(values.count, widest: 11) { i, at in formatSigned(Int64(values[i]), at) }
  }

  /// `[`, `count` numbers of at most `widest` characters each written by `format` (index, destination; returns
  /// the length), separated by commas, `]`.
  @inline(__always)
  private mutating func writeList(
    _ count: Int, widest: Int, _ format: (Int, UnsafeMutablePointer<UInt8>) -> Int
  ) {
    withTail(count &* (widest &+ 1) &+ 2 &+ 8) { out in
      var n = 0
      out[n] = UInt8(ascii: "[")
      n &+= 1
      for i in 0..<count {
        if i > 0 {
          out[n] = UInt8(ascii: ",")
          n &+= 1
        }
        n &+= format(i, out + n)
      }
      out[n] = UInt8(ascii: "]")
      return n &+ 1
    }
  }

  /// Writes `[a,b,c]` from `Int`s.
  public mutating func writeArray(_ values: [Int]) {
    writeList(values.count, widest: 20) { i, at in formatSigned(Int64(values[i]), at) }
  }

  /// Writes the labels of a sample as HF expects them: `ids[i]` where `trained[i] != 0`, else -100.
  public mutating func writeLabels(ids: [UInt32], trained: [UInt8]) {
    precondition(ids.count == trained.count)
    writeList(ids.count, widest: 10) { i, at in
      if trained[i] != 0 { return formatUnsigned(UInt64(ids[i]), at) }
      at[0] = UInt8(ascii: "-")
      at[1] = UInt8(ascii: "1")
      at[2] = UInt8(ascii: "0")
      at[3] = UInt8(ascii: "0")
      return 4
    }
  }

  /// Lets `body` write at most `maxCount` bytes after the end of `bytes` (in reserved, uninitialized capacity)
  /// and keeps the `body`'s return value of them: nothing is zeroed first and nothing removed after.
  @inline(__always)
  private mutating func withTail(_ maxCount: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
    bytes.append(addingCapacity: maxCount) { span in
      span.withUnsafeMutableBufferPointer { raw, initialized in
        // `raw` is the uninitialized room of at least `maxCount` bytes; bytes are initialized by writing them.
        guard let base = raw.baseAddress else { return }
        initialized = body(base)
      }
    }
  }
}

/// Writes the decimal digits of `v` at `out`; returns their count (at most 20). May write up to 8 bytes at `out`
/// whatever the count: every caller reserves 8 bytes more than the widest text it writes (the `&+ 8`s). Below
/// 10^8 (every token id) the digits are made side by side in one word, two halves of four digits by multiplies
/// and shifts, and stored at once without the leading zeros; larger values go two digits per division from the
/// last. A division loop per digit, run once to count the digits and once to write them, was a fifth of
/// `prep tokenize --jsonl`.
@inline(__always)
private func formatUnsigned(_ v: UInt64, _ out: UnsafeMutablePointer<UInt8>) -> Int {
  if v < 10 {
    out[0] = UInt8(truncatingIfNeeded: v) &+ 0x30
    return 1
  }
  let digits = decimalDigits(v)
  if v < 100_000_000 {
    let x = UInt32(truncatingIfNeeded: v)
    let high = x / 10_000
    let word = (fourDigits(high) | fourDigits(x &- high &* 10_000) << 32) | 0x3030_3030_3030_3030
    // Little-endian: the leading zeros are the low bytes.
    UnsafeMutableRawPointer(out).storeBytes(
      of: (word >> UInt64((8 &- digits) &* 8)).littleEndian, as: UInt64.self)
    return digits
  }
  var x = v
  var i = digits
  while i >= 2 {
    let q = x / 100
    let pair = UInt32(truncatingIfNeeded: x &- q &* 100)
    i &-= 2
    let two = twoDigits(pair)
    out[i] = UInt8(truncatingIfNeeded: two)
    out[i &+ 1] = UInt8(truncatingIfNeeded: two >> 8)
    x = q
  }
  if i == 1 { out[0] = UInt8(truncatingIfNeeded: x) &+ 0x30 }
  return digits
}

/// The two decimal digits of `n` < 100 in ASCII, the tens in the low byte (n / 10 by multiply and shift).
@inline(__always)
private func twoDigits(_ n: UInt32) -> UInt64 {
  let tens = (n &* 103) &>> 10
  return UInt64(tens) | UInt64(n &- tens &* 10) << 8 | 0x3030
}

/// The four decimal digits of `n` < 10,000 as byte values 0-9, the most significant in the low byte.
@inline(__always)
private func fourDigits(_ n: UInt32) -> UInt64 {
  // n / 100 for n < 43,699.
  let high = (n &* 5243) &>> 19
  let low = n &- high &* 100
  let a = (high &* 103) &>> 10
  let b = (low &* 103) &>> 10
  return UInt64(a) | UInt64(high &- a &* 10) << 8 | UInt64(b) << 16 | UInt64(low &- b &* 10) << 24
}

/// The number of decimal digits of `v` (which is at least 10).
@inline(__always)
private func decimalDigits(_ v: UInt64) -> Int {
  if v < 1_000_000 {
    if v < 10_000 { return v < 100 ? 2 : v < 1000 ? 3 : 4 }
    return v < 100_000 ? 5 : 6
  }
  var digits = 7
  var power: UInt64 = 10_000_000
  while v >= power {
    digits &+= 1
    if digits == 20 { break }
    power &*= 10
  }
  return digits
}

/// Writes `v` in decimal (with `-` if negative) at `out`; returns the byte count (at most 20).
@inline(__always)
private func formatSigned(_ v: Int64, _ out: UnsafeMutablePointer<UInt8>) -> Int {
  if v < 0 {
    out[0] = UInt8(ascii: "-")
    return 1 &+ formatUnsigned(v.magnitude, out + 1)
  }
  return formatUnsigned(UInt64(v), out)
}

@inline(__always)
private func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? v &+ 0x30 : v &+ 0x57 }

extension JSONValue {
  /// Compact JSON text (see `JSONWriter` for the escaping).
  public var jsonText: String {
    var w = JSONWriter()
    w.write(self)
    return String(decoding: w.bytes, as: UTF8.self)
  }

  /// Compact JSON as UTF-8 bytes.
  public var jsonBytes: [UInt8] {
    var w = JSONWriter()
    w.write(self)
    return w.bytes
  }
}
