/// GPT-2's byte-to-unicode alphabet, as HF's `ByteLevel` pre-tokenizer and decoder use it: printable
/// Latin-1 bytes stand for themselves, the other 68 bytes are shifted to U+0100 and up.
enum ByteLevel {
  /// The scalar that stands for each byte.
  static let scalarForByte: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 256)
    var shifted: UInt32 = 0
    for byte in 0..<256 {
      let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
      if printable {
        table[byte] = UInt32(byte)
      } else {
        table[byte] = 0x100 + shifted
        shifted += 1
      }
    }
    return table
  }()

  /// The byte a scalar stands for, or -1 (indexed by scalar below 0x144).
  static let byteForScalar: [Int16] = {
    var table = [Int16](repeating: -1, count: 0x144)
    for byte in 0..<256 { table[Int(scalarForByte[byte])] = Int16(byte) }
    return table
  }()

  /// The raw bytes a byte-level piece (UTF-8 of the mapped alphabet) stands for, or nil if the piece holds
  /// a scalar outside the alphabet.
  static func decode(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
    out.removeAll(keepingCapacity: true)
    guard let base = piece.baseAddress else { return true }
    var i = 0
    while i < piece.count {
      let b = base[i]
      let length = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
      guard i + length <= piece.count else { return false }
      let (scalar, _) = decodeScalar(base, i)
      guard scalar < 0x144 else { return false }
      let byte = byteForScalar[Int(scalar)]
      guard byte >= 0 else { return false }
      out.append(UInt8(byte))
      i += length
    }
    return true
  }
}
