import CSHA256

/// SHA-256 (FIPS 180-4), written out by hand: on the CPU's SHA instructions when it has them (x86 SHA-NI, in the
/// small C target CSHA256, about ten times faster), else in portable Swift.
///
/// Used for shard checksums in `index.json` and for fingerprints (tokenizer files, pipelines).
/// Feed bytes in any split with `update`, then call `finalize` once:
///
/// ```swift
/// var hash = SHA256()
/// hash.update(bytes)
/// let hex = hash.finalize().hexString
/// ```
public struct SHA256: Sendable {
  private var h0: UInt32 = 0x6a09_e667
  private var h1: UInt32 = 0xbb67_ae85
  private var h2: UInt32 = 0x3c6e_f372
  private var h3: UInt32 = 0xa54f_f53a
  private var h4: UInt32 = 0x510e_527f
  private var h5: UInt32 = 0x9b05_688c
  private var h6: UInt32 = 0x1f83_d9ab
  private var h7: UInt32 = 0x5be0_cd19
  /// Bytes of an incomplete block, waiting for more input.
  private var pending: [UInt8] = []
  /// Total message length in bytes.
  private var length: UInt64 = 0

  /// Creates a hash with nothing fed yet.
  public init() {}

  /// The SHA-256 digest of `bytes` (32 bytes).
  public static func hash(_ bytes: [UInt8]) -> SHA256Digest {
    var h = SHA256()
    h.update(bytes)
    return h.finalize()
  }

  /// The SHA-256 digest of the UTF-8 bytes of `text`.
  public static func hash(_ text: String) -> SHA256Digest { hash(Array(text.utf8)) }

  /// Feeds `bytes`.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// Feeds a slice of bytes.
  public mutating func update(_ bytes: ArraySlice<UInt8>) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// Feeds raw memory (any contiguous bytes).
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard var base = bytes.baseAddress, bytes.count > 0 else { return }
    var count = bytes.count
    length &+= UInt64(count)
    if !pending.isEmpty {
      let take = min(64 - pending.count, count)
      pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
      base += take
      count -= take
      if pending.count < 64 { return }
      pending.withUnsafeBytes { if let block = $0.baseAddress { compress(blocks: block, count: 1) } }
      pending.removeAll(keepingCapacity: true)
    }
    let blocks = count / 64
    if blocks > 0 {
      compress(blocks: base, count: blocks)
      base += blocks * 64
      count -= blocks * 64
    }
    if count > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: count)) }
  }

  /// Pads the message, processes the last blocks and returns the digest. Feed nothing after this.
  public mutating func finalize() -> SHA256Digest {
    let bitLength = length &* 8
    var tail = pending
    tail.append(0x80)
    while tail.count % 64 != 56 { tail.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) {
      tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    tail.withUnsafeBytes { if let block = $0.baseAddress { compress(blocks: block, count: tail.count / 64) } }
    pending.removeAll()
    var out = [UInt8]()
    out.reserveCapacity(32)
    for word in [h0, h1, h2, h3, h4, h5, h6, h7] {
      out.append(UInt8(truncatingIfNeeded: word >> 24))
      out.append(UInt8(truncatingIfNeeded: word >> 16))
      out.append(UInt8(truncatingIfNeeded: word >> 8))
      out.append(UInt8(truncatingIfNeeded: word))
    }
    return SHA256Digest(bytes: out)
  }

  /// Whether this hasher uses the CPU's SHA instructions when it has them (the default).
  private var accelerated = true

  /// A hasher; `accelerated: false` always runs the portable Swift code (for tests that compare the two).
  public init(accelerated: Bool) { self.accelerated = accelerated }

  /// Whether this CPU has the SHA instructions the accelerated path uses.
  public static var hasAcceleration: Bool { prep_sha256_accelerated() != 0 }

  /// Processes `count` 64-byte blocks at `blocks`.
  private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
    if accelerated {
      var state = (h0, h1, h2, h3, h4, h5, h6, h7)
      let done = withUnsafeMutableBytes(of: &state) { raw -> Int32 in
        guard let words = raw.baseAddress?.assumingMemoryBound(to: UInt32.self) else { return 0 }
        return prep_sha256_blocks(words, blocks.assumingMemoryBound(to: UInt8.self), count)
      }
      if done != 0 {
        (h0, h1, h2, h3, h4, h5, h6, h7) = state
        return
      }
    }
    var a0 = h0, b0 = h1, c0 = h2, d0 = h3, e0 = h4, f0 = h5, g0 = h6, h00 = h7
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
      for block in 0..<count {
        let p = blocks + block * 64
        for i in 0..<16 {
          let v = p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
          w[i] = UInt32(bigEndian: v)
        }
        for i in 16..<64 {
          let x = w[i - 15], y = w[i - 2]
          let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
          let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
          w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var a = a0, b = b0, c = c0, d = d0, e = e0, f = f0, g = g0, h = h00
        do {
          let k: UnsafePointer<UInt32> = prep_sha256_round_constants()  // a static C table, never null
          var i = 0
          while i < 64 {
            sha256Round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
            sha256Round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
            sha256Round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
            sha256Round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
            sha256Round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
            sha256Round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
            sha256Round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
            sha256Round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
            i &+= 8
          }
        }
        a0 &+= a
        b0 &+= b
        c0 &+= c
        d0 &+= d
        e0 &+= e
        f0 &+= f
        g0 &+= g
        h00 &+= h
      }
    }
    h0 = a0
    h1 = b0
    h2 = c0
    h3 = d0
    h4 = e0
    h5 = f0
    h6 = g0
    h7 = h00
  }
}

/// One SHA-256 round with the working variables passed in rotated order, so no values move:
/// `d += t1` and `h = t1 + t2`.
@inline(__always) private func sha256Round(
  _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32, _ e: UInt32, _ f: UInt32, _ g: UInt32,
  _ h: inout UInt32, _ kw: UInt32
) {
  let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ kw
  d &+= t1
  h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
}

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 &- n)) }

/// A SHA-256 digest: 32 bytes, shown as 64 lowercase hex digits.
public struct SHA256Digest: Sendable, Equatable, Hashable, CustomStringConvertible {
  /// The 32 digest bytes.
  public let bytes: [UInt8]

  /// Wraps 32 digest bytes.
  public init(bytes: [UInt8]) {
    precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
    self.bytes = bytes
  }

  /// 64 lowercase hex digits.
  public var hexString: String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The hex string.
  public var description: String { hexString }
}
