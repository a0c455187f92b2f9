import PrepCore

/// UTF-8 validation and repair with U+FFFD per maximal subpart, as Python's
/// `bytes.decode("utf-8", errors="replace")` and Rust's `String::from_utf8_lossy` do.
public enum UTF8Repair {
  /// The length of the well-formed sequence at `i`, or the negated length of the maximal subpart to replace.
  @inline(__always)
  static func sequence(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
    let b = bytes[i]
    if b < 0x80 { return 1 }
    let need: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch b {
    case 0xC2...0xDF: need = 1
    case 0xE0: need = 2; low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: need = 2
    case 0xED: need = 2; high = 0x9F
    case 0xF0: need = 3; low = 0x90
    case 0xF1...0xF3: need = 3
    case 0xF4: need = 3; high = 0x8F
    default: return -1
    }
    var j = i + 1
    var have = 0
    while have < need, j < bytes.count, bytes[j] >= low, bytes[j] <= high {
      j += 1
      have += 1
      low = 0x80
      high = 0xBF
    }
    return have == need ? j - i : -(j - i)
  }

  /// The offset of the first byte of the first ill-formed sequence, or nil when `bytes` are valid UTF-8.
  public static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
    bytes.withUnsafeBufferPointer { firstInvalidOffset($0) }
  }

  /// The offset of the first byte of the first ill-formed sequence, or nil when `bytes` are valid UTF-8.
  public static func firstInvalidOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let base = bytes.baseAddress else { return nil }
    return UTF8Check.firstInvalid(base, bytes.count)
  }

  /// `bytes` as text, each maximal ill-formed subpart replaced by U+FFFD.
  public static func string(from bytes: [UInt8]) -> String {
    if firstInvalidOffset(bytes) == nil { return String(decoding: bytes, as: UTF8.self) }
    var out = [UInt8]()
    out.reserveCapacity(bytes.count + 16)
    bytes.withUnsafeBufferPointer { buffer in
      var i = 0
      while i < buffer.count {
        let length = sequence(buffer, i)
        if length > 0 {
          out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<(i + length)]))
          i += length
        } else {
          out.append(contentsOf: [0xEF, 0xBF, 0xBD])
          i += -length
        }
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
