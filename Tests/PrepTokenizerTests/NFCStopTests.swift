import PrepCore
import Testing

@testable import PrepTokenizer

/// Text is encoded without an NFC check first: the pre-tokenizer stops at the first character NFC may change,
/// and the segment is normalized and encoded again (`EncoderCore.encodeSegment`). Checked on texts whose
/// pre-tokens and their NFC forms are known: words in decomposed form (written out both ways here) placed
/// among the pre-tokens of `deferredCase` (new words, deferred; long CJK runs, whose parts are deferred; commas,
/// words too long for the cache, end-of-text segments), so that the stop meets deferred pre-tokens,
/// half-resolved batches and segments of every kind.
extension ShortcutTests {
  /// Words as written and as NFC makes them (each a whole pre-token after a space).
  static let decomposed: [(String, String)] = [
    (" cafe\u{301}", " café"), (" A\u{30A}ngstro\u{308}m", " Ångström"), (" \u{212A}elvin", " Kelvin"),
    (" \u{1100}\u{1161}\u{11A8}", " 각"), (" nai\u{308}ve", " naïve"), (" \u{1112}\u{1161}\u{11AB}", " 한"),
  ]

  @Test func aCharacterNFCChangesStopsTheFirstAttemptAnywhere() throws {
    var random = SplitMix64(seed: 2026_11_24_13)
    var mismatches = [String]()
    for round in 0..<300 {
      let scratch = EncodeScratch()  // cold: new words are deferred
      var seen = [String]()
      let count = [1, 5, 31, 33, 70, 400][round % 6]
      // None, one or several decomposed words, each after a run of 0 to `count` other pre-tokens.
      let words = round % 7 == 0 ? 0 : 1 + round % 3
      var text = ""
      var expected = [UInt32]()
      for w in 0...words {
        let (runText, runIDs) = try deferredCase(Int(random.next() % UInt64(count + 1)), random: &random, seen: &seen)
        text += runText
        expected += runIDs
        guard w < words else { break }
        let (written, nfc) = ShortcutTests.decomposed[Int(random.next() % UInt64(ShortcutTests.decomposed.count))]
        text += written
        expected += plainBPE(Array(nfc.utf8))
      }
      let got = encode(text, scratch: scratch)
      if got != expected && mismatches.count < 3 {
        mismatches.append("round \(round): \(text.prefix(120).debugDescription)")
      }
      #expect(scratch.deferredCount == 0)
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }
}
