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

  /// The engine's byte path (a top-level text field read without building the record) gives what `apply`
  /// gives on the whole record, for every configuration and every kind of value.
  @Test func theBytePathEqualsTheRecordPath() throws {
    let values: [JSONValue?] = [
      .string("abc"), .string(""), .string("中文 and <|im_end|> text\n"), .number("1"), .null, .array([]), nil,
    ]
    for recipe in [PretrainRecipe(), PretrainRecipe(.seedCompat), PretrainRecipe(.init(emptyText: .keep))] {
      for value in values {
        let record = object(value.map { [("text", $0)] } ?? [("other", .string("x"))])
        let expected = try recipe.apply(record, context: context())
        let got: RecipeOutcome
        if case .string(let text)? = value {
          var copy = text
          got = try copy.withUTF8 { bytes in recipe.apply(utf8: ValidUTF8(checked: bytes), context: try context()) }
        } else {
          got = recipe.outcome(forNonString: value)
        }
        #expect(got == expected, "\(String(describing: value))")
      }
    }
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
