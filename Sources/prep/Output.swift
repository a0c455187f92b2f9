#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Buffered writes to standard output (export and tokenize print millions of numbers).
struct StandardOutput {
  private var buffer: [UInt8] = []

  init() { buffer.reserveCapacity(1 << 20) }

  mutating func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 20 { flush() }
  }

  mutating func write(bytes: [UInt8]) {
    buffer.append(contentsOf: bytes)
    if buffer.count >= 1 << 20 { flush() }
  }

  /// Appends a decimal integer without building a String.
  mutating func writeInt(_ value: Int64) {
    var v = value
    if v < 0 {
      buffer.append(UInt8(ascii: "-"))
      v = -v
    }
    var digits:
      (
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
        UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
      ) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
      repeat {
        d[n] = UInt8(48 + v % 10)
        v /= 10
        n += 1
      } while v > 0
      while n > 0 {
        n -= 1
        buffer.append(d[n])
      }
    }
  }

  /// `[1,2,3]`.
  mutating func writeArray<S: Sequence>(_ values: S) where S.Element: BinaryInteger {
    buffer.append(UInt8(ascii: "["))
    var first = true
    for v in values {
      if !first { buffer.append(UInt8(ascii: ",")) }
      first = false
      writeInt(Int64(v))
    }
    buffer.append(UInt8(ascii: "]"))
  }

  mutating func flush() {
    var offset = 0
    buffer.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      while offset < raw.count {
        let n = Glibc.write(1, base + offset, raw.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          return  // stdout closed (a pipe into `head`): stop quietly
        }
        offset += n
      }
    }
    buffer.removeAll(keepingCapacity: true)
  }
}
