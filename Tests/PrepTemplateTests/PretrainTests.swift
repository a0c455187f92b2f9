import PrepCore
import PrepJSON
import PrepTemplate
import Testing

@Suite struct PretrainTests {
  @Test func appendsEndOfTextByDefault() throws {
    let outcome = try PretrainRecipe().apply(object([("text", .string("abc"))]), context: context())
    #expect(outcome == .document(enc("abc") + [eot]))
  }

  @Test func seedCompatHasNoSeparatorAndKeepsEmptyTexts() throws {
    let recipe = PretrainRecipe(.seedCompat)
    #expect(try recipe.apply(object([("text", .string("abc"))]), context: context()) == .document(enc("abc")))
    #expect(try recipe.apply(object([("text", .string(""))]), context: context()) == .document([]))
  }

  @Test func emptyTextIsRejectedByDefaultOrKeptAsTheOracleDoes() throws {
    let empty = object([("text", .string(""))])
    #expect(try PretrainRecipe().apply(empty, context: context()).rejectReason == .emptyText)
    let keep = PretrainRecipe(.init(emptyText: .keep))
    #expect(try keep.apply(empty, context: context()) == .document([eot]))
  }

  @Test func missingOrNonStringTextIsRejected() throws {
    #expect(try PretrainRecipe().apply(object([]), context: context()).rejectReason == .missingField)
    #expect(
      try PretrainRecipe().apply(object([("text", .number("1"))]), context: context()).rejectReason == .wrongFieldType)
  }

  @Test func aTokenizerWithoutControlTokensIsRefused() {
    struct Bare: TokenEncoder {
      func encode(_ text: String, into ids: inout [UInt32]) { ids += text.utf8.map(UInt32.init) }
      func addedTokenID(_ content: String) -> UInt32? { nil }
      func decode(_ ids: [UInt32]) -> String { "" }
      var vocabularySize: Int { 256 }
    }
    #expect(throws: TemplateError.missingSpecialToken("<|im_start|>")) { try RecipeContext(encoder: Bare()) }
  }
}
