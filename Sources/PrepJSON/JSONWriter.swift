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
  @inline(__always)
  public mutating func writeInt(_ v: Int) {
    if v < 0 {
      bytes.append(UInt8(ascii: "-"))
      writeUnsigned(UInt64(v.magnitude))
    } else {
      writeUnsigned(UInt64(v))
    }
  }

  /// Writes a decimal unsigned integer.
  @inline(__always)
  public mutating func writeUnsigned(_ v: UInt64) {
    if v < 10 {
      bytes.append(UInt8(truncatingIfNeeded: v) &+ 0x30)
      return
    }
    var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
    let n = withUnsafeMutableBytes(of: &tmp) { buf -> Int in
      var x = v
      var i = 24
      while x > 0 {
        i &-= 1
        buf[i] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
        x /= 10
      }
      bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[i..<24]))
      return 24 &- i
    }
    _ = n
  }

  /// Writes `[a,b,c]` from token ids.
  public mutating func writeArray(_ values: [UInt32]) {
    bytes.append(UInt8(ascii: "["))
    for i in 0..<values.count {
      if i > 0 { bytes.append(UInt8(ascii: ",")) }
      writeUnsigned(UInt64(values[i]))
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Writes `[a,b,c]` from signed values (labels with -100).
  public mutating func writeArray(_ values: [Int32]) {
    bytes.append(UInt8(ascii: "["))
    for i in 0..<values.count {
      if i > 0 { bytes.append(UInt8(ascii: ",")) }
      writeInt(Int(values[i]))
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Writes `[a,b,c]` from `Int`s.
  public mutating func writeArray(_ values: [Int]) {
    bytes.append(UInt8(ascii: "["))
    for i in 0..<values.count {
      if i > 0 { bytes.append(UInt8(ascii: ",")) }
      writeInt(values[i])
    }
    bytes.append(UInt8(ascii: "]"))
  }

  /// Writes the labels of a sample as HF expects them: `ids[i]` where `trained[i] != 0`, else -100.
  public mutating func writeLabels(ids: [UInt32], trained: [UInt8]) {
    precondition(ids.count == trained.count)
    bytes.append(UInt8(ascii: "["))
    for i in 0..<ids.count {
      if i > 0 { bytes.append(UInt8(ascii: ",")) }
      if trained[i] != 0 { writeUnsigned(UInt64(ids[i])) } else { writeRaw("-100") }
    }
    bytes.append(UInt8(ascii: "]"))
  }
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
