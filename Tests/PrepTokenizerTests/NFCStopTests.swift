import PrepCore
import Testing

@testable import PrepTokenizer

/// Text is encoded without an NFC check first: the pre-tokenizer stops at the first character NFC may change,
/// and the segment is normalized and encoded again (`EncoderCore.encodeSegment`). Checked on texts whose
/// pre-tokens and their NFC forms are known: words in decomposed form (written out both ways here) placed
/// after any number of other pre-tokens, some deferred (new words, long CJK runs whose parts are deferred),
/// so that the stop meets deferred pre-tokens, half-resolved batches and end-of-text segments.
extension ShortcutTests {
  /// Words as written and as NFC makes them (each a whole pre-token after a space).
  static let decomposed: [(String, String)] = [
    (" cafe\u{301}", " café"), (" A\u{30A}ngstro\u{308}m", " Ångström"), (" \u{212A}elvin", " Kelvin"),
    (" \u{1100}\u{1161}\u{11A8}", " 각"), (" nai\u{308}ve", " naïve"), (" \u{1112}\u{1161}\u{11AB}", " 한"),
  ]

  @Test func aCharacterNFCChangesStopsTheFirstAttemptAnywhere() throws {
    let letters = Array("abcdefghijklmnopqrstuvwxyz")
    let han = Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年")
    let endOfText = try #require(qwen3.addedTokenID("<|endoftext|>"))
    var random = SplitMix64(seed: 2026_11_24_13)
    var mismatches = [String]()
    for round in 0..<300 {
      let scratch = EncodeScratch()  // cold: new words are deferred
      var text = ""
      var expected = [UInt32]()
      let count = [1, 5, 31, 33, 70, 400][round % 6]
      // Where the decomposed words go: none, one (early, middle or last) or several.
      let places =
        round % 7 == 0 ? Set<Int>() : Set((0..<(1 + round % 3)).map { _ in Int(random.next() % UInt64(count)) })
      for k in 0..<count {
        if places.contains(k) {
          let (written, nfc) = ShortcutTests.decomposed[Int(random.next() % UInt64(ShortcutTests.decomposed.count))]
          text += written
          expected += plainBPE(Array(nfc.utf8))
        }
        let piece: String
        switch random.next() % 8 {
        case 0:
          text += "<|endoftext|>"
          expected.append(endOfText)
          continue
        case 1:
          // A CJK run too long for the cache keys: its parts may be deferred.
          let length = 6 + Int(random.next() % 60)
          piece = " " + String((0..<length).map { _ in han[Int(random.next() % UInt64(han.count))] })
        default:
          piece = " " + String((0..<(1 + Int(random.next() % 14))).map { _ in letters[Int(random.next() % 26)] })
        }
        text += piece
        expected += plainBPE(Array(piece.utf8))
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
