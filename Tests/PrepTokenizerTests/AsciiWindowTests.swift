import PrepCore
import Testing

@testable import PrepTokenizer

/// The pre-tokens of ASCII windows (`AsciiWindow`), found from bitmaps, checked against the scanner that
/// finds them one at a time (`EncoderCore.pieceEnd`), on generated text rich in the cases the rules
/// treat apart: whitespace runs with and without newlines, newlines after punctuation, contractions in
/// either case, a space or an apostrophe before letters, digits.
struct AsciiWindowTests {
  /// Random ASCII text of about `length` bytes, made of short runs of one kind each.
  func asciiText(_ length: Int, random: inout SplitMix64) -> [UInt8] {
    let kinds: [[String]] = [
      ["the", "Word", "s", "t", "re", "ve", "ll", "d", "m", "LL", "RE", "xyz", "Qwen", "e", "l"],
      [" ", " ", "  ", "\t", " \t", "\n", "\r\n", " \n", "\n ", "\n\n", " \n  ", "\u{0B}", "\u{0C}", "\r"],
      ["'", "'", "''", ".", ",", "(", ")", "-", "--", "\"", "#", "`", "@", "\u{7F}", "\u{01}", "\u{1F}"],
      ["0", "7", "12", "2026", "3.5"],
    ]
    var bytes = [UInt8]()
    while bytes.count < length {
      let kind = kinds[Int(random.next() % UInt64(kinds.count))]
      bytes += Array(kind[Int(random.next() % UInt64(kind.count))].utf8)
    }
    return bytes
  }

  /// The pre-token starts of `text` as the scanner finds them, and the text's length as its last entry.
  func scannerStarts(_ core: EncoderCore, _ p: UnsafePointer<UInt8>, _ n: Int) -> [Int] {
    var starts = [Int]()
    var i = 0
    while i < n {
      starts.append(i)
      i = core.pieceEnd(p, n, at: i)
    }
    starts.append(n)
    return starts
  }

  @Test func windowsCutTextAsTheScannerDoes() throws {
    let core = qwen3.core
    #expect(core.asciiWindows)
    var random = SplitMix64(seed: 2026_11_24)
    var windows = 0
    var mismatches = [String]()
    for _ in 0..<3000 {
      let text = asciiText(100 + Int(random.next() % 200), random: &random)
      text.withUnsafeBufferPointer { buffer in
        guard let p = buffer.baseAddress else { return }
        let n = buffer.count
        let starts = scannerStarts(core, p, n)
        let isStart = Set(starts)
        // A window at every pre-token start with room for one.
        for i in starts where i + AsciiWindow.reach <= n {
          let window = AsciiWindow(p + i)
          guard window.cut > 0 else { continue }
          windows += 1
          var found = [Int]()
          for k in 0..<window.cut where window.starts & (1 << UInt64(k)) != 0 { found.append(i + k) }
          found.append(i + window.cut)
          let expected = starts.filter { $0 >= i && $0 <= i + window.cut }
          if found != expected || !isStart.contains(i + window.cut) {
            mismatches.append("\(String(decoding: text[i..<(i + 64)], as: UTF8.self).debugDescription)")
          }
        }
      }
    }
    #expect(windows > 10_000)
    let differing = mismatches.count
    #expect(differing == 0, "windows that differ, the first: \(mismatches.first ?? "")")
  }

  @Test func windowsTakeOnlyASCIIWithAWordCut() {
    var text = Array(String(repeating: "The cat sat. ", count: 8).utf8)
    text[20] = 0xC3  // a lead byte: the window stops short of it
    text.withUnsafeBufferPointer { buffer in
      let window = AsciiWindow(buffer.baseAddress!)
      #expect(window.cut == 0 && window.retry == 21)
      let later = AsciiWindow(buffer.baseAddress! + 21)
      #expect(later.cut > 0)
    }
    // Digits and punctuation only: no space before a letter, no window.
    let digits = Array(String(repeating: "12, 34; ", count: 12).utf8)
    digits.withUnsafeBufferPointer { buffer in
      let window = AsciiWindow(buffer.baseAddress!)
      #expect(window.cut == 0 && window.retry == 32)
    }
  }

  /// The whole encoder with and without windows, on text that mixes ASCII runs long enough for windows
  /// with characters outside ASCII (which end them) and text that NFC changes.
  @Test func idsAreTheSameWithoutWindows() {
    var plain = qwen3.core
    plain.asciiWindows = false
    let extras = ["é", "e\u{301}", "中文", " 😀", "Ω", "\u{00A0}", "’s"]
    var random = SplitMix64(seed: 7)
    for round in 0..<400 {
      var text = asciiText(200 + Int(random.next() % 600), random: &random)
      for _ in 0..<(round % 4) {
        var at = Int(random.next() % UInt64(text.count))
        while at < text.count && text[at] & 0xC0 == 0x80 { at += 1 }  // not inside a character
        text.insert(contentsOf: Array(extras[Int(random.next() % UInt64(extras.count))].utf8), at: at)
      }
      let windowed = encode(qwen3.core, text, scratch: EncodeScratch())
      let scanned = encode(plain, text, scratch: EncodeScratch())
      let same = windowed == scanned
      #expect(same, "round \(round): \(String(decoding: text, as: UTF8.self).debugDescription)")
      if !same { return }
    }
  }

  /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)` takes its letters even when more letters follow, in either case, in the
  /// scanner (the text alone) and in a window (the same text inside a long ASCII one). The pre-tokens are
  /// what HF `tokenizers` gives (`pre_tokenizer.pre_tokenize_str` of Qwen3's tokenizer.json).
  @Test func contractionsTakeTheirLettersAsHFDoes() throws {
    let cases: [(String, [String])] = [
      ("x'llama", ["x", "'ll", "ama"]), ("x'Sand", ["x", "'S", "and"]), ("x'REason", ["x", "'RE", "ason"]),
      ("x'dx", ["x", "'d", "x"]), ("x've1", ["x", "'ve", "1"]), ("x'LLx", ["x", "'LL", "x"]),
      ("x'tis", ["x", "'t", "is"]), ("x'mom", ["x", "'m", "om"]), ("x'vex", ["x", "'ve", "x"]),
      ("x'rex", ["x", "'re", "x"]), ("x'lx", ["x", "'lx"]),
    ]
    let core = qwen3.core
    // A newline before and a space and letters after keep the case's pre-tokens apart from the rest.
    let before = Array("the windows start here and then comes\n".utf8)
    let after = Array(" and enough words after it for a whole window of sixty four bytes".utf8)
    for (text, pieces) in cases {
      var expected = [0]
      for piece in pieces { expected.append(expected.last! + piece.utf8.count) }
      let bytes = Array(text.utf8)
      let scanned = bytes.withUnsafeBufferPointer { scannerStarts(core, $0.baseAddress!, $0.count) }
      #expect(scanned == expected, "\(text)")
      let long = before + bytes + after
      let window = long.withUnsafeBufferPointer { AsciiWindow($0.baseAddress!) }
      try #require(window.cut > before.count + bytes.count)
      let found = (0...bytes.count).filter { window.starts & (1 << UInt64(before.count + $0)) != 0 }
      #expect(found == expected, "\(text) in a window")
    }
  }

  func encode(_ core: EncoderCore, _ text: [UInt8], scratch: EncodeScratch) -> [UInt32] {
    text.withUnsafeBufferPointer { buffer -> [UInt32] in
      guard let base = buffer.baseAddress, buffer.count > 0 else { return [] }
      var writer = IDWriter(base: scratch.output, capacity: scratch.outputCapacity)
      core.encode(base, buffer.count, scratch: scratch, into: &writer)
      let ids = Array(UnsafeBufferPointer(start: writer.base, count: writer.count))
      scratch.output = writer.base
      scratch.outputCapacity = writer.capacity
      return ids
    }
  }
}
