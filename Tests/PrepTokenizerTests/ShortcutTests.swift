import PrepCore
import Testing

@testable import PrepTokenizer

/// The encoder's shortcuts (whole-character starts, cuts between characters, the pre-token cache) checked
/// against plain BPE from bytes on generated text.
struct ShortcutTests {
  /// BPE of `bytes` the plain way: every byte its own symbol, then the lowest-ranked merge, leftmost first,
  /// until none applies.
  func plainBPE(_ bytes: [UInt8]) -> [UInt32] {
    let core = qwen3.core
    var symbols = bytes.map { core.byteTokens[Int($0)] }
    while symbols.count > 1 {
      var best = EncoderCore.noMerge
      var at = -1
      for k in 0..<(symbols.count - 1) {
        let value = core.merge(symbols[k], symbols[k + 1])
        if value < best {
          best = value
          at = k
        }
      }
      if at < 0 { break }
      symbols[at] = UInt32(truncatingIfNeeded: best)
      symbols.remove(at: at + 1)
    }
    return symbols
  }

  /// Characters that merge often: every letter (as the pre-tokenizer classes it, and unchanged by NFC) of
  /// the multi-character tokens that hold a character outside ASCII, plus some ASCII letters.
  func characterPool() throws -> [String] {
    let flags = UnicodeData.shared.flags
    var pool = Set<String>()
    for id in 0..<UInt32(qwen3.regularTokenCount) {
      guard let bytes = qwen3.pieceBytes(for: id), bytes.contains(where: { $0 >= 0x80 }) else { continue }
      guard let text = String(validating: bytes, as: UTF8.self), text.unicodeScalars.count > 1 else { continue }
      for scalar in text.unicodeScalars
      where flags[Int(scalar.value)] & (7 | UnicodeData.nfcWork) == ScalarClass.letter {  // a letter, no NFC work
        pool.insert(String(scalar))
      }
    }
    for letter in "abcdeilnorstxyzABCST" { pool.insert(String(letter)) }
    return pool.sorted()
  }

  @Test func cutsAndWholeCharactersNeverChangeIDs() throws {
    let pool = try characterPool()
    #expect(pool.count > 3000)
    var random = SplitMix64(seed: 20_261_124)
    let leads = ["", "", "", " ", "，", "「", "(", "\u{3000}"]
    var mismatches = [String]()
    var checked = 0
    for _ in 0..<4000 {
      // One pre-token: an optional non-letter, then letters.
      var text = leads[Int(random.next() % UInt64(leads.count))]
      let length = 1 + Int(random.next() % 40)
      // Mostly from a small neighbourhood of the pool, so that real words come up.
      let base = Int(random.next() % UInt64(pool.count))
      for _ in 0..<length {
        let index = random.next() % 4 == 0 ? Int(random.next() % UInt64(pool.count)) : (base + Int(random.next() % 64))
        text += pool[index % pool.count]
      }
      let expected = plainBPE(Array(text.utf8))
      let got = qwen3.encode(text)
      checked += 1
      if got != expected && mismatches.count < 5 {
        mismatches.append("\(text.debugDescription): \(got) vs \(expected)")
      }
      // Again, now from the cache.
      if qwen3.encode(text) != expected && mismatches.count < 5 { mismatches.append("cached \(text.debugDescription)") }
    }
    #expect(checked == 4000)
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  @Test func cacheKeepsEveryLengthAndIDCount() throws {
    // Pre-tokens of 2 to 15 bytes from rarely merged letters: many BPE to 3 ids or more, which short keys
    // (up to 8 bytes) keep in the long levels behind a marker. Each is encoded three times: a miss, then
    // hits; the same texts interleaved, so that entries are also evicted and found again.
    var random = SplitMix64(seed: 7)
    let letters = Array("qxzjkvwQXZJKVW")
    var texts = [String]()
    for _ in 0..<3000 {
      var text = random.next() % 2 == 0 ? " " : ""
      let length = 1 + Int(random.next() % 14)
      for _ in 0..<length { text.append(letters[Int(random.next() % UInt64(letters.count))]) }
      texts.append(text)
    }
    var mismatches = [String]()
    var counts = [Int](repeating: 0, count: 16)
    for round in 0..<3 {
      for text in texts {
        let expected = plainBPE(Array(text.utf8))
        if round == 0 { counts[min(expected.count, 15)] += 1 }
        if qwen3.encode(text) != expected && mismatches.count < 5 {
          mismatches.append("\(round) \(text.debugDescription)")
        }
      }
    }
    #expect(counts[1] > 0 && counts[2] > 0 && counts[3] > 100 && counts[4...].reduce(0, +) > 100)
    #expect(mismatches.isEmpty, "\(mismatches)")
  }

  @Test func cutPointsHaveNoTokenAcross() throws {
    // Wherever the pair filter allows a cut between two multi-byte characters, no vocabulary token holds
    // them side by side: checked on every pair of adjacent characters inside the tokens themselves.
    let core = qwen3.core
    var pairs = 0
    var missing = [String]()
    for id in 0..<UInt32(qwen3.regularTokenCount) {
      guard let bytes = qwen3.pieceBytes(for: id), let text = String(validating: bytes, as: UTF8.self) else {
        continue
      }
      let scalars = Array(text.unicodeScalars)
      for k in 0..<max(0, scalars.count - 1) where scalars[k].value >= 0x80 || scalars[k + 1].value >= 0x80 {
        if !core.mayJoin(scalars[k].value, scalars[k + 1].value) && missing.count < 5 {
          missing.append(String(scalars[k]) + String(scalars[k + 1]))
        }
        pairs += 1
      }
    }
    #expect(pairs > 10_000)
    #expect(missing.isEmpty, "pairs inside tokens that the filter lets cut: \(missing)")
  }
}
