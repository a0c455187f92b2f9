import PrepCore
import Testing

@testable import PrepTokenizer

/// Pre-tokens that miss the first level of the cache wait in a batch (`EncodeScratch.deferred`) and their ids
/// are moved into place later: checked on texts whose pre-tokens are known, against plain BPE of each one.
extension ShortcutTests {
  /// One encoding of `text` through the core with the given scratch (its cache state is the test's).
  func encode(_ text: String, scratch: EncodeScratch) -> [UInt32] {
    var bytes = Array(text.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer -> [UInt32] in
      guard let base = buffer.baseAddress, buffer.count > 0 else { return [] }
      var writer = IDWriter(base: scratch.output, capacity: scratch.outputCapacity)
      qwen3.core.encode(base, buffer.count, scratch: scratch, into: &writer)
      let ids = Array(UnsafeBufferPointer(start: writer.base, count: writer.count))
      scratch.output = writer.base
      scratch.outputCapacity = writer.capacity
      return ids
    }
  }

  /// A text of `count` pre-tokens and its expected ids: new words (cacheable, so deferred on a cold
  /// cache), words seen before (some in the same batch), one-byte pre-tokens, words too long for the cache,
  /// runs of CJK characters (short ones, and long ones whose parts are deferred), and end-of-text tokens
  /// that split the text into segments.
  func deferredCase(_ count: Int, random: inout SplitMix64, seen: inout [String]) throws -> (String, [UInt32]) {
    let letters = Array("abcdefghijklmnopqrstuvwxyzqxzjkv")
    let han = Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年")
    let endOfText = try #require(qwen3.addedTokenID("<|endoftext|>"))
    var text = ""
    var expected = [UInt32]()
    var afterComma = false
    for _ in 0..<count {
      let piece: String
      switch random.next() % 10 {
      case 0 where !seen.isEmpty:
        piece = seen[Int(random.next() % UInt64(seen.count))]
      case 1 where !afterComma:  // two commas would be one pre-token
        piece = ","
      case 2:
        piece = " " + String((0..<(16 + Int(random.next() % 10))).map { _ in letters[Int(random.next() % 32)] })
      case 3:
        piece = " " + String((0..<(1 + Int(random.next() % 9))).map { _ in han.randomElement(using: &random)! })
      case 4 where random.next() % 2 == 0:
        // A CJK run too long for the cache keys: its parts that miss the first level are deferred from
        // inside the run (long enough for a batch to fill, and be resolved, halfway through it).
        let length = 6 + Int(random.next() % 150)
        piece =
          " "
          + String(
            (0..<length).map { _ in
              random.next() % 3 == 0
                ? Character(Unicode.Scalar(UInt32(0x4E00) + UInt32(random.next() % 0x5000))!)
                : han.randomElement(using: &random)!
            })
      case 4:
        text += "<|endoftext|>"
        expected.append(endOfText)
        continue
      default:
        piece = " " + String((0..<(1 + Int(random.next() % 14))).map { _ in letters[Int(random.next() % 32)] })
        seen.append(piece)
      }
      afterComma = piece == ","
      text += piece
      expected += plainBPE(Array(piece.utf8))
    }
    return (text, expected)
  }

  @Test func deferredLookupsKeepOrder() throws {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    var random = SplitMix64(seed: 2026_11_24)
    var seen = [String]()
    var cases = [(String, [UInt32])]()
    // Fewer pre-tokens than a batch, exactly one, one more, several batches, and segments ending mid-batch.
    for count in [1, 2, 5, 31, 32, 33, 63, 64, 65, 100, 400, 1000] {
      cases.append(try deferredCase(count, random: &random, seen: &seen))
    }
    let scratch = EncodeScratch()  // a cold cache: every new cacheable pre-token is deferred
    var mismatches = [String]()
    for round in 0..<3 {
      if round == 2 {
        // Churn both levels of the cache so that the last round meets evicted entries.
        var churn = SplitMix64(seed: 99)
        var words = ""
        for _ in 0..<150_000 {
          let length = 2 + Int(churn.next() % 12)
          words += " " + String((0..<length).map { _ in letters[Int(churn.next() % 26)] })
        }
        _ = encode(words, scratch: scratch)
      }
      for (text, expected) in cases where encode(text, scratch: scratch) != expected && mismatches.count < 3 {
        mismatches.append("round \(round): \(text.prefix(200).debugDescription)")
      }
    }
    #expect(scratch.deferredCount == 0)
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }
}
