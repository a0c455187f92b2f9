/// Per-scalar facts the tokenizer needs, as HF `tokenizers` sees them: the pre-tokenizer class (from its
/// Oniguruma regex), the contraction letters, and the tables of its NFC (about Unicode 9).
///
/// Built once per process from `GeneratedUnicodeTables` into flat tables indexed by scalar, and never
/// changed afterwards.
final class UnicodeData: @unchecked Sendable {
  /// Class of a scalar in the low 3 bits (see `ScalarClass`), `nfcWork` bit when NFC may change it, `word` and
  /// `whiteSpace` bits for the added-token options.
  let flags: UnsafeMutablePointer<UInt8>
  /// Canonical combining class HF knows (0 for scalars its tables lack).
  let combiningClass: UnsafeMutablePointer<UInt8>
  /// Canonical decomposition, one level: `first | second << 32` (second 0 for a singleton).
  let decomposition: [UInt32: UInt64]
  /// Primary composites keyed by `first << 32 | second`.
  let composition: [UInt64: UInt32]
  /// The ASCII contraction letter a scalar folds to (0 if none), for the scalars below 0x180.
  let contractionLetter: [UInt8]
  /// 1 for the lead bytes E0...EF of 3-byte sequences whose scalars all need no NFC work.
  let cleanLead: [UInt8]

  static let scalarCount = 0x11_0000
  static let nfcWork: UInt8 = 8
  /// The `regex` crate's `\w` and `\s`, which HF's added-token options test (`single_word`, `lstrip`,
  /// `rstrip`); not the pre-tokenizer's classes.
  static let word: UInt8 = 16
  static let whiteSpace: UInt8 = 32

  /// The one shared copy.
  static let shared = UnicodeData()

  private init() {
    let count = UnicodeData.scalarCount
    flags = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
    flags.initialize(repeating: 0, count: count)
    combiningClass = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
    combiningClass.initialize(repeating: 0, count: count)

    let runs = GeneratedUnicodeTables.classRuns
    for index in 0..<runs.count {
      let start = Int(runs[index] >> 3)
      let end = index + 1 < runs.count ? Int(runs[index + 1] >> 3) : count
      let value = UInt8(runs[index] & 7)
      if value != 0 { (flags + start).update(repeating: value, count: end - start) }
    }
    for (boundaries, bit) in [
      (GeneratedUnicodeTables.nfcWorkBoundaries, UnicodeData.nfcWork),
      (GeneratedUnicodeTables.wordBoundaries, UnicodeData.word),
      (GeneratedUnicodeTables.whiteSpaceBoundaries, UnicodeData.whiteSpace),
    ] {
      var index = 0
      while index < boundaries.count {
        let start = Int(boundaries[index])
        let end = index + 1 < boundaries.count ? Int(boundaries[index + 1]) : count
        for scalar in start..<end { flags[scalar] |= bit }
        index += 2
      }
    }
    for entry in GeneratedUnicodeTables.combiningClasses {
      combiningClass[Int(entry >> 8)] = UInt8(entry & 0xFF)
    }
    var decomposition = [UInt32: UInt64]()
    let decompositions = GeneratedUnicodeTables.decompositions
    var at = 0
    while at + 2 < decompositions.count {
      decomposition[decompositions[at]] = UInt64(decompositions[at + 1]) | UInt64(decompositions[at + 2]) << 32
      at += 3
    }
    self.decomposition = decomposition
    var composition = [UInt64: UInt32]()
    let compositions = GeneratedUnicodeTables.compositions
    at = 0
    while at + 2 < compositions.count {
      composition[UInt64(compositions[at]) << 32 | UInt64(compositions[at + 1])] = compositions[at + 2]
      at += 3
    }
    self.composition = composition
    var letters = [UInt8](repeating: 0, count: 0x180)
    for entry in GeneratedUnicodeTables.contractionFolds {
      let letter = UInt8(entry & 0xFF)
      letters[Int(entry >> 8)] = letter >= 0x41 && letter <= 0x5A ? letter | 0x20 : letter
    }
    contractionLetter = letters
    var clean = [UInt8](repeating: 0, count: 256)
    let table = flags
    for lead in 0xE0...0xEF {
      let first = (lead - 0xE0) << 12
      if (first..<(first + 0x1000)).allSatisfy({ table[$0] & UnicodeData.nfcWork == 0 }) { clean[lead] = 1 }
    }
    cleanLead = clean
  }
}

/// The classes the Qwen pre-tokenizer regex tells apart.
enum ScalarClass {
  static let other: UInt8 = 0
  static let letter: UInt8 = 1
  static let number: UInt8 = 2
  static let space: UInt8 = 3
  /// `\r` or `\n`: whitespace that `[\r\n]` also matches.
  static let newline: UInt8 = 4
}

/// Decodes the scalar at `p[i]` of valid UTF-8 (the caller guarantees validity): scalar and length.
@inline(__always)
func decodeScalar(_ p: UnsafePointer<UInt8>, _ i: Int) -> (UInt32, Int) {
  let b0 = UInt32(p[i])
  if b0 < 0x80 { return (b0, 1) }
  if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
  if b0 < 0xF0 {
    return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
  }
  return (
    (b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4
  )
}

/// Appends the UTF-8 encoding of `scalar` to `out`.
@inline(__always)
func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
  if scalar < 0x80 {
    out.append(UInt8(scalar))
  } else if scalar < 0x800 {
    out.append(UInt8(0xC0 | scalar >> 6))
    out.append(UInt8(0x80 | scalar & 0x3F))
  } else if scalar < 0x1_0000 {
    out.append(UInt8(0xE0 | scalar >> 12))
    out.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
    out.append(UInt8(0x80 | scalar & 0x3F))
  } else {
    out.append(UInt8(0xF0 | scalar >> 18))
    out.append(UInt8(0x80 | (scalar >> 12) & 0x3F))
    out.append(UInt8(0x80 | (scalar >> 6) & 0x3F))
    out.append(UInt8(0x80 | scalar & 0x3F))
  }
}
