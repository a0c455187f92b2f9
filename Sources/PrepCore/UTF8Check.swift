/// UTF-8 well-formedness (Unicode table 3-7) over raw bytes, with an 8-bytes-at-a-time ASCII fast path.
/// Used to find *where* bytes are invalid (the stdlib only says *whether*): by the JSON parser for the strings
/// it reads or skips, and by the tokenizer for the bytes it is given.
public enum UTF8Check {
  /// The offset (relative to `p`) of the first byte that starts an ill-formed sequence, or nil.
  public static func firstInvalid(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int? {
    var i = 0
    while i < count {
      // ASCII: 8 bytes at a time, then straight to the first non-ASCII byte.
      while i &+ 8 <= count {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        let high = w & 0x8080_8080_8080_8080
        if high != 0 {
          i &+= high.trailingZeroBitCount >> 3
          break
        }
        i &+= 8
      }
      while i < count && p[i] < 0x80 { i &+= 1 }
      if i >= count { return nil }
      // Multi-byte: one 8-byte load checks two 3-byte (CJK) sequences at once, one 4-byte load a 3-byte or
      // 2-byte sequence (E0 and ED leads, which restrict the second byte, take the exact path below).
      while i &+ 8 <= count {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        guard w & 0x0000_C0C0_F0C0_C0F0 == 0x0000_8080_E080_80E0 else { break }
        let b0 = UInt8(truncatingIfNeeded: w)
        let b3 = UInt8(truncatingIfNeeded: w &>> 24)
        guard b0 != 0xE0 && b0 != 0xED && b3 != 0xE0 && b3 != 0xED else { break }
        i &+= 6
      }
      while i &+ 4 <= count {
        let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self)
        let b0 = UInt8(truncatingIfNeeded: w)
        if w & 0x00C0_C0F0 == 0x0080_80E0 && b0 != 0xE0 && b0 != 0xED {
          i &+= 3
        } else if w & 0xC0E0 == 0x80C0 && b0 >= 0xC2 {
          i &+= 2
        } else {
          break
        }
      }
      if i >= count { return nil }
      if p[i] < 0x80 { continue }
      let n = sequenceLength(p + i, count &- i)
      if n == 0 { return i }
      i &+= n
    }
    return nil
  }

  /// Length of the well-formed sequence starting at `p` (whose first byte is >= 0x80), or 0 if ill-formed.
  @inline(__always)
  public static func sequenceLength(_ p: UnsafePointer<UInt8>, _ avail: Int) -> Int {
    let b0 = p[0]
    @inline(__always) func cont(_ k: Int) -> Bool { k < avail && p[k] & 0xC0 == 0x80 }
    if b0 < 0xC2 { return 0 }
    if b0 < 0xE0 { return cont(1) ? 2 : 0 }
    if b0 < 0xF0 {
      guard avail > 1 else { return 0 }
      let b1 = p[1]
      let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
      let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
      guard b1 >= lo && b1 <= hi, cont(2) else { return 0 }
      return 3
    }
    if b0 < 0xF5 {
      guard avail > 1 else { return 0 }
      let b1 = p[1]
      let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
      let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
      guard b1 >= lo && b1 <= hi, cont(2), cont(3) else { return 0 }
      return 4
    }
    return 0
  }
}

/// UTF-8 bytes known to be well-formed, so that the code that checked them can say so to the code that
/// reads them next: the tokenizer's scanner reads whole sequences without checks, and checks any other bytes
/// first (2.7% of `prep tokenize --jsonl` went to checking again what the JSON reader had just checked).
/// Made by `init?(checking:)`, which checks, or by `init(checked:)`, only in code that has just checked these
/// very bytes (the JSON reader's strings).
public struct ValidUTF8 {
  /// The bytes.
  public let bytes: UnsafeBufferPointer<UInt8>

  /// `bytes`, if they are well-formed UTF-8.
  public init?(checking bytes: UnsafeBufferPointer<UInt8>) {
    if let base = bytes.baseAddress, UTF8Check.firstInvalid(base, bytes.count) != nil { return nil }
    self.bytes = bytes
  }

  /// Bytes known to be well-formed: the caller has just checked them with `UTF8Check`, or they are a Swift
  /// `String`'s own UTF-8.
  public init(checked bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }
}
