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
        sha256RoundConstants.withUnsafeBufferPointer { k in
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

private let sha256RoundConstants: [UInt32] = [
  0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
  0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
  0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
  0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
  0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
  0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
  0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
  0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
]

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
