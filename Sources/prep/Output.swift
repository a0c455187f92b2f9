#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Buffered writes to standard output (export and tokenize print millions of numbers; their JSON is built with
/// `PrepJSON.JSONWriter`).
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
