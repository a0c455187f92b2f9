import PrepTestSupport
import Testing

@testable import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Added tokens with HF's matching options (`single_word`, `lstrip`, `rstrip`, `normalized`), as users add them
/// to a Qwen tokenizer with `add_tokens` / `add_special_tokens`: `fixtures/tokenizer/added_options.jsonl` holds,
/// per tokenizer, the `added_tokens` array HF saved, HF's decoding of each added token and HF's ids for 300 texts
/// (`scripts/tokenizer/make_added_options_golden.py`).
struct AddedOptionsTests {
  /// Where the JSON array that is the value of `key` starts and ends (past its `]`) in `bytes`.
  static func arrayRange(of key: String, in bytes: [UInt8]) -> Range<Int>? {
    let needle = Array("\"\(key)\"".utf8)
    let starts = 0...(bytes.count - needle.count)
    guard let at = starts.first(where: { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }),
      let open = bytes[(at + needle.count)...].firstIndex(of: UInt8(ascii: "["))
    else { return nil }
    var depth = 0
    var i = open
    var inString = false
    while i < bytes.count {
      let b = bytes[i]
      if inString {
        if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inString = false }
      } else if b == UInt8(ascii: "\"") {
        inString = true
      } else if b == UInt8(ascii: "[") {
        depth += 1
      } else if b == UInt8(ascii: "]") {
        depth -= 1
        if depth == 0 { return open..<(i + 1) }
      }
      i += 1
    }
    return nil
  }

  /// The Qwen3 tokenizer with the `added_tokens` array of `line` (a golden line) in place of its own.
  static func tokenizer(forGolden line: String) throws -> Tokenizer {
    try Tokenizer.load(directory: directory(forGolden: line))
  }

  /// A directory with that tokenizer's tokenizer.json.
  static func directory(forGolden line: String) throws -> String {
    let original = Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.tokenizer + "/tokenizer.json")))
    let golden = Array(line.utf8)
    let target = try #require(arrayRange(of: "added_tokens", in: original))
    let source = try #require(arrayRange(of: "added_tokens", in: golden))
    var spliced = original
    spliced.replaceSubrange(target, with: golden[source])
    let directory = TestPaths.temporaryDirectory("prep-added-options")
    try Data(spliced).write(to: URL(fileURLWithPath: directory + "/tokenizer.json"))
    return directory
  }

  @Test func everyConfigMatchesHF() throws {
    let lines = try fixtureLines("added_options.jsonl")
    #expect(lines.count == 7)
    for line in lines {
      let node = try parseLine(line)
      let config = node["config"]?.string ?? "?"
      let tokenizer = try AddedOptionsTests.tokenizer(forGolden: line)
      guard case .array(let cases)? = node["cases"] else {
        Issue.record("\(config): no cases")
        continue
      }
      #expect(cases.count == 300)
      var mismatches = 0
      for item in cases {
        let text = try #require(item["text"]?.string)
        let got = tokenizer.encode(text)
        if got != ids(item["ids"]) {
          mismatches += 1
          if mismatches <= 3 {
            Issue.record(
              "\(config): \(text.unicodeScalars.map { String($0.value, radix: 16) }) HF \(ids(item["ids"])) prep \(got)"
            )
          }
        }
      }
      #expect(mismatches == 0, "\(config)")
      // Each added token decodes as HF decodes it (a normalized one as its normalized content).
      guard case .array(let decoded)? = node["decoded"] else {
        Issue.record("\(config): no decoded")
        continue
      }
      #expect(!decoded.isEmpty)
      for pair in decoded {
        guard case .array(let items) = pair, items.count == 2, let text = items[1].string else {
          Issue.record("\(config): bad decoded entry")
          continue
        }
        let id = ids(.array([items[0]]))
        #expect(tokenizer.decode(id) == text, "\(config): \(id)")
      }
      // What a token with options matches depends on the text around it: no constant prefix is proven.
      let options = tokenizer.addedTokens.contains { $0.options != 0 }
      #expect((tokenizer.addedTokenContents == nil) == options, "\(config)")
    }
  }

  /// Swift compares `String`s by canonical equivalence; HF compares bytes. Tokens whose contents are canonically
  /// equivalent (`<Å>` with U+00C5, with A + U+030A, with U+212B) are three tokens.
  @Test func canonicallyEquivalentTokensStayApart() throws {
    let lines = try fixtureLines("added_options.jsonl")
    let line = try #require(lines.first { $0.contains(#""config": "equivalent""#) })
    let tokenizer = try AddedOptionsTests.tokenizer(forGolden: line)
    let precomposed = try #require(tokenizer.addedTokenID("<\u{C5}>"))
    let decomposed = try #require(tokenizer.addedTokenID("<A\u{30A}>"))
    let angstrom = try #require(tokenizer.addedTokenID("<\u{212B}>"))
    #expect(Set([precomposed, decomposed, angstrom]).count == 3)
    #expect(tokenizer.encode("<A\u{30A}>") == [decomposed])
    #expect(tokenizer.id(forToken: "<\u{212B}>") == angstrom)
    #expect(tokenizer.addedTokenContents?.count == qwen3.addedTokens.count + 3)
  }

  /// The options go into the compiled tokenizer and its fingerprint; a file without them keeps its fingerprint.
  @Test func optionsSurviveTheCompiledFileAndChangeTheFingerprint() throws {
    let lines = try fixtureLines("added_options.jsonl")
    let line = try #require(lines.first { $0.contains(#""config": "strip""#) })
    let directory = try AddedOptionsTests.directory(forGolden: line)
    let tokenizer = try Tokenizer.load(directory: directory)
    let mask = try #require(tokenizer.addedTokens.first { $0.content == "<mask>" })
    #expect(mask.lstrip && !mask.rstrip && !mask.normalized && mask.special)
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("tokenizer-cache-options"))
    _ = try Tokenizer.load(directory: directory, cache: cache)
    let path = try #require(cache.path(forTokenizerDirectory: directory))
    let compiled = try #require(cache.read(path))
    #expect(compiled.addedTokens == tokenizer.addedTokens)
    #expect(compiled.addedTokens.map(\.options) == tokenizer.addedTokens.map(\.options))
    let text = "a <mask>  b<r>\u{3000}c <lr>\t[N] <x> x<x>"
    #expect(compiled.encode(text) == tokenizer.encode(text))
    // The same contents without options: another fingerprint.
    let plain = line.replacing(#""lstrip": true"#, with: #""lstrip": false"#)
      .replacing(#""rstrip": true"#, with: #""rstrip": false"#)
      .replacing(#""single_word": true"#, with: #""single_word": false"#)
      .replacing(#""normalized": true"#, with: #""normalized": false"#)
    #expect(plain != line)
    #expect(try AddedOptionsTests.tokenizer(forGolden: plain).fingerprint != tokenizer.fingerprint)
  }
}
