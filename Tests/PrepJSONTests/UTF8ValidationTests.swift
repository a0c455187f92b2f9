import PrepCore
import PrepJSON
import Testing

@Suite struct UTF8ValidationTests {
  /// The position of the first ill-formed sequence, found the slow way: decode scalar by scalar with the
  /// stdlib and compare prefix lengths.
  func reference(_ bytes: [UInt8]) -> Int? {
    if String(validating: bytes, as: UTF8.self) != nil { return nil }
    // Longest valid prefix ending at a sequence boundary.
    var lo = 0
    var k = 0
    while k <= bytes.count {
      if String(validating: bytes[0..<k], as: UTF8.self) != nil { lo = k }
      k += 1
    }
    return lo
  }

  @Test func agreesWithTheStandardLibraryOnRandomSequences() {
    var rng = SplitMix(seed: 42)
    let pieces: [[UInt8]] = [
      [0x41], [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE4, 0xB8, 0xAD], [0xED, 0x9F, 0xBF],
      [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
      [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0x80], [0xBF], [0xF5],
      [0xFF], [0xE4, 0xB8], [0xF0, 0x90], [0xC2],
    ]
    for _ in 0..<20000 {
      var bytes: [UInt8] = []
      let n = Int(rng.next() % 16)
      for _ in 0..<n {
        let piece = pieces[Int(rng.next() % UInt64(pieces.count))]
        // Mostly valid text with the odd bad piece.
        if rng.next() % 4 == 0 || piece.count == 1 && piece[0] < 0x80 {
          bytes += piece
        } else {
          bytes += pieces[Int(rng.next() % 12)]
        }
      }
      let got = bytes.withUnsafeBytes { firstInvalidUTF8Offset($0) }
      #expect(got == reference(bytes), "\(bytes)")
    }
  }
}

/// The seeded generator of PrepCore, under this file's name for it.
typealias SplitMix = SplitMix64
