/// NFC as HF `tokenizers` computes it (the `unicode-normalization-alignments` tables, about Unicode 9):
/// scalars its tables lack are plain starters that neither decompose, reorder nor compose.
struct HFNormalizer {
  let data: UnicodeData

  private static let hangulS: UInt32 = 0xAC00
  private static let hangulL: UInt32 = 0x1100
  private static let hangulV: UInt32 = 0x1161
  private static let hangulT: UInt32 = 0x11A7
  private static let countL: UInt32 = 19
  private static let countV: UInt32 = 21
  private static let countT: UInt32 = 28
  private static let countN: UInt32 = 21 * 28
  private static let countS: UInt32 = 19 * 21 * 28

  /// The byte offset of the first scalar NFC might change, or nil when `p[0..<n]` is already NFC.
  @inline(__always)
  func firstWork(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
    var i = 0
    let flags = data.flags
    while i < n {
      // Skip ASCII eight bytes at a time.
      while i &+ 8 <= n {
        let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
        if word & 0x8080_8080_8080_8080 != 0 { break }
        i &+= 8
      }
      if i >= n { break }
      let b = p[i]
      if b < 0x80 {
        i &+= 1
        continue
      }
      // A 3-byte lead whose 4,096 scalars all need no work (most CJK and Hangul syllables).
      if data.cleanLead[Int(b)] != 0 {
        i &+= 3
        continue
      }
      let (scalar, length) = decodeScalar(p, i)
      if flags[Int(scalar)] & UnicodeData.nfcWork != 0 { return i }
      i &+= length
    }
    return nil
  }

  /// The NFC of `bytes` (valid UTF-8).
  func normalized(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBufferPointer { buffer -> [UInt8] in
      guard let p = buffer.baseAddress, let start = firstWork(p, buffer.count) else { return bytes }
      var out = [UInt8]()
      var scalars = [UInt32]()
      normalize(p, buffer.count, firstWork: start, into: &out, scratch: &scalars)
      return out
    }
  }

  /// Writes the NFC of `p[0..<n]` to `out` (cleared first); `start` is `firstWork(p, n)`.
  func normalize(
    _ p: UnsafePointer<UInt8>, _ n: Int, firstWork start: Int, into out: inout [UInt8],
    scratch buffer: inout [UInt32]
  ) {
    out.removeAll(keepingCapacity: true)
    let flags = data.flags
    var emitted = 0
    var previousStart = -1  // start of the previous scalar when it needs no work (a stable starter)
    var i = 0
    // Find the stable starter just before `start`.
    if start > 0 {
      var j = start - 1
      while j > 0 && p[j] & 0xC0 == 0x80 { j -= 1 }
      previousStart = j  // it needs no work, or firstWork would have stopped there
    }
    i = start
    while i < n {
      let b = p[i]
      if b < 0x80 {
        previousStart = i
        i &+= 1
        continue
      }
      let (scalar, length) = decodeScalar(p, i)
      if flags[Int(scalar)] & UnicodeData.nfcWork == 0 {
        previousStart = i
        i &+= length
        continue
      }
      // A region from the last stable starter up to the next scalar that needs no work.
      let regionStart = previousStart >= emitted ? previousStart : i
      out.append(contentsOf: UnsafeBufferPointer(start: p + emitted, count: regionStart - emitted))
      buffer.removeAll(keepingCapacity: true)
      var j = regionStart
      var sawWork = false
      while j < n {
        let (s, l) = decodeScalar(p, j)
        let work = flags[Int(s)] & UnicodeData.nfcWork != 0
        if !work && sawWork { break }
        if work { sawWork = true }
        decompose(s, into: &buffer)
        j &+= l
      }
      reorder(&buffer)
      compose(&buffer)
      for s in buffer { appendUTF8(s, to: &out) }
      emitted = j
      previousStart = -1
      i = j
    }
    out.append(contentsOf: UnsafeBufferPointer(start: p + emitted, count: n - emitted))
  }

  private func decompose(_ scalar: UInt32, into buffer: inout [UInt32]) {
    if scalar >= HFNormalizer.hangulS && scalar < HFNormalizer.hangulS + HFNormalizer.countS {
      let index = scalar - HFNormalizer.hangulS
      buffer.append(HFNormalizer.hangulL + index / HFNormalizer.countN)
      buffer.append(HFNormalizer.hangulV + (index % HFNormalizer.countN) / HFNormalizer.countT)
      let t = index % HFNormalizer.countT
      if t != 0 { buffer.append(HFNormalizer.hangulT + t) }
      return
    }
    guard let mapping = data.decomposition[scalar] else {
      buffer.append(scalar)
      return
    }
    decompose(UInt32(truncatingIfNeeded: mapping), into: &buffer)
    let second = UInt32(truncatingIfNeeded: mapping >> 32)
    if second != 0 { decompose(second, into: &buffer) }
  }

  /// Canonical ordering: a stable sort by combining class of every run of non-starters.
  private func reorder(_ buffer: inout [UInt32]) {
    let ccc = data.combiningClass
    var i = 1
    while i < buffer.count {
      let c = ccc[Int(buffer[i])]
      if c != 0 {
        var j = i
        while j > 0 {
          let previous = ccc[Int(buffer[j - 1])]
          if previous <= c || previous == 0 { break }
          buffer.swapAt(j, j - 1)
          j -= 1
        }
      }
      i += 1
    }
  }

  private func composePair(_ first: UInt32, _ second: UInt32) -> UInt32? {
    if first >= HFNormalizer.hangulL && first < HFNormalizer.hangulL + HFNormalizer.countL
      && second >= HFNormalizer.hangulV && second < HFNormalizer.hangulV + HFNormalizer.countV
    {
      return HFNormalizer.hangulS
        + ((first - HFNormalizer.hangulL) * HFNormalizer.countV + second - HFNormalizer.hangulV) * HFNormalizer.countT
    }
    if first >= HFNormalizer.hangulS && first < HFNormalizer.hangulS + HFNormalizer.countS
      && (first - HFNormalizer.hangulS) % HFNormalizer.countT == 0
      && second > HFNormalizer.hangulT && second < HFNormalizer.hangulT + HFNormalizer.countT
    {
      return first + second - HFNormalizer.hangulT
    }
    return data.composition[UInt64(first) << 32 | UInt64(second)]
  }

  /// Canonical composition in place.
  private func compose(_ buffer: inout [UInt32]) {
    let ccc = data.combiningClass
    var out = 0
    var starter = -1
    var lastClass: UInt8 = 0
    for i in 0..<buffer.count {
      let scalar = buffer[i]
      let c = ccc[Int(scalar)]
      if starter >= 0 {
        let adjacent = starter == out - 1
        if adjacent || (lastClass != 0 && lastClass < c) {
          if let composite = composePair(buffer[starter], scalar) {
            buffer[starter] = composite
            continue
          }
        }
      }
      if c == 0 {
        starter = out
        lastClass = 0
      } else {
        lastClass = c
      }
      buffer[out] = scalar
      out += 1
    }
    buffer.removeLast(buffer.count - out)
  }
}
