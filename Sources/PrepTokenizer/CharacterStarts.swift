/// Which 2- and 3-byte characters BPE may start as their finished token instead of their bytes.
///
/// Why it is exact: when every merge's inputs are made only by lower-ranked merges and each token by one
/// merge (checked at load), BPE applies ranks in increasing order. A character's own merges then run as if
/// it were alone, unless a merge across its boundary involves one of its unfinished pieces at a lower
/// rank than the merge that consumes that piece. For each character and each kind of neighbour (ASCII,
/// or another multi-byte character) this table records whether such a merge exists; where none does,
/// starting from the finished token gives the same merges as starting from bytes. Merges that use the
/// finished token rank after the merge that made it, so they cannot happen earlier either way.
///
/// A multi-byte right neighbour is told apart more finely: every piece it can have at its left end starts
/// with its lead byte, so `rightLeads` records, per character, the lead-byte classes (`leadClass`) of the
/// pieces some lower-ranked merge joins to one of its unfinished last pieces; with any other neighbour the
/// character starts whole.
enum CharacterStarts {
  static let idMask: UInt32 = 0xFF_FFFF
  static let safeLeftASCII: UInt32 = 1 << 24
  static let safeLeftMB: UInt32 = 1 << 25
  static let safeRightASCII: UInt32 = 1 << 26
  static let safeRightMB: UInt32 = 1 << 27
  static let valid: UInt32 = 1 << 31

  /// The class of a lead byte (0xC0 and above) in `rightLeads`: one bit per 3-byte lead E0...EF, one for
  /// the 2-byte leads, one for the 4-byte leads.
  @inline(__always)
  static func leadClass(_ byte: UInt8) -> UInt32 {
    byte >= 0xF0 ? 1 << 17 : byte >= 0xE0 ? 1 << UInt32(byte & 0x0F) : 1 << 16
  }

  /// Fills `table` and `rightLeads` (0x10000 entries each) for the tokenizer's merges (`left`, `right`,
  /// `merged` by rank).
  static func build(
    core: EncoderCore, merges: [(UInt32, UInt32, UInt32)], pieceBytes: [UInt8], pieceOffsets: [UInt32],
    size: Int, into table: UnsafeMutablePointer<UInt32>, rightLeads: UnsafeMutablePointer<UInt32>
  ) {
    table.initialize(repeating: 0, count: 0x10000)
    rightLeads.initialize(repeating: UInt32.max, count: 0x10000)
    guard size < Int(idMask) else { return }
    var producer = [Int32](repeating: -1, count: size)
    var effective = [Bool](repeating: false, count: merges.count)
    for (rank, (left, right, merged)) in merges.enumerated() {
      // A pair listed twice keeps its last rank (HF's HashMap); the earlier one never fires.
      guard core.merge(left, right) >> 32 == UInt64(rank) else { continue }
      effective[rank] = true
      if producer[Int(merged)] >= 0 { return }  // two merges make one token: no shortcut
      producer[Int(merged)] = Int32(rank)
    }
    let none = UInt32.max
    var minRightASCII = [UInt32](repeating: none, count: size)
    var minRightMB = [UInt32](repeating: none, count: size)
    var minLeftASCII = [UInt32](repeating: none, count: size)
    var minLeftMB = [UInt32](repeating: none, count: size)
    // Per left piece ending in a continuation byte: the lowest rank joining it to a piece of each lead class.
    var minLeftLead = [UInt32: [UInt32]]()
    for (rank, (left, right, _)) in merges.enumerated() where effective[rank] {
      if producer[Int(left)] >= Int32(rank) || producer[Int(right)] >= Int32(rank) { return }  // not monotone
      let leftEnd = pieceBytes[Int(pieceOffsets[Int(left) + 1]) - 1]
      let rightStart = pieceBytes[Int(pieceOffsets[Int(right)])]
      let r = UInt32(rank)
      if leftEnd < 0x80 {
        minRightASCII[Int(right)] = min(minRightASCII[Int(right)], r)
      } else if leftEnd < 0xC0 {
        minRightMB[Int(right)] = min(minRightMB[Int(right)], r)
      }
      if rightStart < 0x80 {
        minLeftASCII[Int(left)] = min(minLeftASCII[Int(left)], r)
      } else if rightStart >= 0xC0 {
        minLeftMB[Int(left)] = min(minLeftMB[Int(left)], r)
        if leftEnd >= 0x80 && leftEnd < 0xC0 {
          let k = leadClass(rightStart).trailingZeroBitCount
          minLeftLead[left, default: [UInt32](repeating: none, count: 18)][k] = min(
            minLeftLead[left]?[k] ?? none, r)
        }
      }
    }
    var bytes = [UInt8]()
    for scalar in 0x80..<0x10000 where scalar < 0xD800 || scalar >= 0xE000 {
      bytes.removeAll(keepingCapacity: true)
      appendUTF8(UInt32(scalar), to: &bytes)
      var symbols = bytes.map { core.byteTokens[Int($0)] }
      var flags = safeLeftASCII | safeLeftMB | safeRightASCII | safeRightMB
      var unsafeLeads: UInt32 = 0
      while symbols.count > 1 {
        var best = EncoderCore.noMerge
        var at = -1
        for k in 0..<(symbols.count - 1) {
          let v = core.merge(symbols[k], symbols[k + 1])
          if v < best {
            best = v
            at = k
          }
        }
        let next = at < 0 ? none : UInt32(best >> 32)
        let first = Int(symbols[0])
        let last = Int(symbols[symbols.count - 1])
        if minRightASCII[first] < next { flags &= ~safeLeftASCII }
        if minRightMB[first] < next { flags &= ~safeLeftMB }
        if minLeftASCII[last] < next { flags &= ~safeRightASCII }
        if minLeftMB[last] < next {
          flags &= ~safeRightMB
          for (k, rank) in (minLeftLead[UInt32(last)] ?? []).enumerated() where rank < next { unsafeLeads |= 1 << k }
        }
        if at < 0 { break }
        symbols[at] = UInt32(truncatingIfNeeded: best)
        symbols.remove(at: at + 1)
      }
      if symbols.count == 1 {
        table[scalar] = valid | flags | symbols[0]
        rightLeads[scalar] = unsafeLeads
      }
    }
  }
}
