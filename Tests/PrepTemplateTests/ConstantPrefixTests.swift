import PrepCore
import PrepJSON
import PrepTemplate
import PrepTestSupport
import PrepTokenizer
import Testing

private let qwen: Tokenizer? = try? Tokenizer.load(directory: TestPaths.tokenizer)
private let fudanPrefix = "<|im_start|>system\n\(FudanRecipe.Config.fudanSystem)<|im_end|>\n<|im_start|>"

/// Continuations chosen to attack the split: partial and complete added tokens right at the boundary, white space
/// and newlines the pre-tokenizer groups, CJK, digits, and a few random strings.
private let continuations: [String] = {
  var out = [
    "user\n文本:你好", "|>user", "im_start|>user", "<|im_end|>", "<|im_start|>", "\n\nuser", " user", "", "<", "|",
    "><|im_end|>\n", "user\n<|im_end", "123 456", "  \n  ", "'s", "endoftext|>", "<think>\n", "ſ'S",
  ]
  var state: UInt64 = 7
  let alphabet = Array("ab <|>_\n\t'文本1١".unicodeScalars)
  for _ in 0..<200 {
    var s = ""
    for _ in 0..<Int(state % 12) {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      s.unicodeScalars.append(alphabet[Int(state >> 33) % alphabet.count])
    }
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    out.append(s)
  }
  return out
}()

@Test(.enabled(if: qwen != nil))
func aProvenPrefixTokenizesTheSameAloneAsInsideAnyText() throws {
  let tok = try #require(qwen)
  let prefix = try #require(ConstantPrefix.make(fudanPrefix, endingWith: "<|im_start|>", encoder: tok))
  #expect(prefix.ids == tok.encode(fudanPrefix))
  for rest in continuations {
    #expect(tok.encode(fudanPrefix + rest) == prefix.ids + tok.encode(rest), "continuation \(rest.debugDescription)")
  }
}

@Test(.enabled(if: qwen != nil))
func thePreparedFudanRecipeGivesTheSameSamples() throws {
  let tok = try #require(qwen)
  let context = try RecipeContext(encoder: tok)
  let plain = try FudanRecipe(try FudanRecipe.Config.seed())
  let prepared = plain.prepared(for: tok)
  #expect(prepared.prefix != nil)
  for rest in continuations.prefix(60) {
    var record = JSONObject()
    record.append("text", .string(rest))
    record.append("category", .array([.string("a"), .string(rest)]))
    record.append("output", .string(rest))
    #expect(try prepared.apply(record, context: context) == plain.apply(record, context: context))
  }
}

/// An encoder whose added tokens could straddle the boundary: the split must be refused.
private struct Straddling: TokenEncoder {
  var added: [String]
  func encode(_ text: String, into ids: inout [UInt32]) { ids += text.utf8.map(UInt32.init) }
  func addedTokenID(_ content: String) -> UInt32? { added.contains(content) ? 1000 : nil }
  func decode(_ ids: [UInt32]) -> String { "" }
  var vocabularySize: Int { 2000 }
  var addedTokenContents: [String]? { added }
}

@Test func aPrefixIsRefusedWhenAnAddedTokenCouldCrossItsEnd() {
  let text = "sys<|im_start|>"
  #expect(ConstantPrefix.make(text, endingWith: "<|im_start|>", encoder: Straddling(added: ["<|im_start|>"])) != nil)
  // A token that would continue past the end ("<|im_start|>user") or overlap the final token ("ys<|im").
  #expect(
    ConstantPrefix.make(
      text, endingWith: "<|im_start|>", encoder: Straddling(added: ["<|im_start|>", "<|im_start|>user"])) == nil)
  #expect(
    ConstantPrefix.make(text, endingWith: "<|im_start|>", encoder: Straddling(added: ["<|im_start|>", "ys<|im"])) == nil
  )
  // Unknown added tokens: no proof, no split.
  #expect(ConstantPrefix.make(text, endingWith: "<|im_start|>", encoder: FakeEncoder()) == nil)
  // A prefix that does not end with the token.
  #expect(ConstantPrefix.make("sys", endingWith: "<|im_start|>", encoder: Straddling(added: ["<|im_start|>"])) == nil)
}
