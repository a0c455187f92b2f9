/// Where a pre-token may be cut into parts that BPE merges independently.
///
/// Why it is exact: every symbol of BPE is a starting symbol (a byte, or a whole character as
/// `CharacterStarts` allows), which never reaches across a character boundary, or the token a merge made,
/// whose bytes are a piece of the text. A symbol that reaches across the boundary between characters
/// `a` and `b` is therefore a vocabulary token whose bytes are a piece of the text that starts before the
/// boundary and ends after it. Such a piece either holds `a` and `b` whole, side by side; or starts inside
/// `a` (possible only when `a` starts as its bytes); or ends inside `b` (only when `b` starts as its
/// bytes). When the vocabulary has none of these, no merge ever crosses the boundary, and the merges on
/// each side happen exactly as they would for that side alone (lowest rank first within each side,
/// whatever the interleaving): BPE of the whole is BPE of the parts, concatenated.
///
/// The tables: a Bloom filter over the pairs of characters (scalars) that some token holds side by side,
/// for pairs with at least one multi-byte character (the only ones the encoder asks about; a false
/// positive only forgoes a cut), and two bits per BMP scalar in `charStart`: some token starts inside the
/// character and reaches past it, or ends inside it and starts before it.
enum CharacterPairs {
  /// The filter has `1 << filterBits` words.
  static let filterBits = 12
  /// In `charStart`: some token starts inside this character (with a proper suffix of its bytes) and
  /// reaches past it.
  static let tokenStartsInside: UInt32 = 1 << 28
  /// In `charStart`: some token ends inside this character (with a proper prefix of its bytes) and
  /// starts before it.
  static let tokenEndsInside: UInt32 = 1 << 29

  @inline(__always)
  static func probe(_ key: UInt64) -> (Int, UInt64) {
    let h = key &* 0x9FB2_1C65_1E98_DF25
    let word = Int(truncatingIfNeeded: h >> UInt64(64 - filterBits))
    let bits = (1 as UInt64) << ((h >> 20) & 63) | (1 as UInt64) << ((h >> 26) & 63)
    return (word, bits)
  }

  /// Fills `filter` (`1 << filterBits` words) and the two bits of `charStart` (already built by
  /// `CharacterStarts`) from the pieces of `ids` (the byte-level vocabulary).
  static func build(
    ids: [UInt32], pieceBytes: [UInt8], pieceOffsets: [UInt32], charStart: UnsafeMutablePointer<UInt32>,
    into filter: UnsafeMutablePointer<UInt64>
  ) {
    filter.initialize(repeating: 0, count: 1 << filterBits)
    // Byte strings (up to 3 bytes, packed with their length) that begin a token (continuation bytes
    // only) and are followed by more of it, and that end a token (an incomplete character) after more
    // of it.
    var startFragments = Set<UInt32>()
    var endFragments = Set<UInt32>()
    func pack(_ p: UnsafePointer<UInt8>, _ count: Int) -> UInt32 {
      var value = UInt32(count) << 24
      for k in 0..<count { value |= UInt32(p[k]) << (8 * k) }
      return value
    }
    pieceBytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      for id in ids {
        let start = Int(pieceOffsets[Int(id)])
        let end = Int(pieceOffsets[Int(id) + 1])
        var j = start
        while j < end && base[j] & 0xC0 == 0x80 { j += 1 }
        if j > start && j < end && j - start <= 3 { startFragments.insert(pack(base + start, j - start)) }
        var previous: UInt32? = nil
        while j < end {
          let b = base[j]
          let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
          guard b & 0xC0 != 0x80 else { break }  // not valid UTF-8 inside: never a piece of text
          var available = 1
          while available < length && j + available < end && base[j + available] & 0xC0 == 0x80 { available += 1 }
          if available < length {
            // An incomplete character: it ends the token, or the token never occurs in valid text.
            if j + available == end && j > start { endFragments.insert(pack(base + j, available)) }
            break
          }
          let (scalar, _) = decodeScalar(base, j)
          if let left = previous, left >= 0x80 || scalar >= 0x80 {
            let (word, bits) = probe(UInt64(left) << 21 | UInt64(scalar))
            filter[word] |= bits
          }
          previous = scalar
          j += length
        }
      }
    }
    var bytes = [UInt8]()
    for scalar in 0x80..<0x10000 where scalar < 0xD800 || scalar >= 0xE000 {
      bytes.removeAll(keepingCapacity: true)
      appendUTF8(UInt32(scalar), to: &bytes)
      bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        for cut in 1..<buffer.count {
          if startFragments.contains(pack(base + cut, buffer.count - cut)) { charStart[scalar] |= tokenStartsInside }
          if endFragments.contains(pack(base, cut)) { charStart[scalar] |= tokenEndsInside }
        }
      }
    }
  }
}
