import PrepCore
import PrepJSON
import PrepTemplate
import Testing

/// The oracle's `fudan`, transliterated: the reference the recipe must equal.
private func oracleFudan(_ text: String, _ category: String, _ output: String, maxLength: Int) -> (
  ids: [UInt32], labels: [Int64]
) {
  let system = FudanRecipe.Config.fudanSystem
  let user = "文本:\(text),类型选型:\(category)"
  let prompt = enc(
    "<|im_start|>system\n\(system)<|im_end|>\n<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n")
  let response = enc(output)
  let ids = prompt + response + [eot]
  let labels = [Int64](repeating: -100, count: prompt.count) + response.map(Int64.init) + [Int64(eot)]
  return (Array(ids.prefix(maxLength)), Array(labels.prefix(maxLength)))
}

@Suite struct FudanTests {
  let record = object([
    ("text", .string("今天股市大涨")), ("category", .array([.string("财经"), .string("体育")])), ("output", .string("财经")),
  ])

  @Test func seedEndingMatchesTheOracle() throws {
    let recipe = try FudanRecipe(.seed())
    let outcome = try recipe.apply(record, context: context())
    let sample = try #require(outcome.sample)
    let expected = oracleFudan("今天股市大涨", "['财经', '体育']", "财经", maxLength: 384)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
    #expect(sample.boundaries == [0, UInt32(sample.count)])
    #expect(outcome.truncated == false)
  }

  @Test func imEndEndingTrainsTheTerminator() throws {
    let recipe = try FudanRecipe(FudanRecipe.Config())
    let sample = try #require(try recipe.apply(record, context: context()).sample)
    #expect(Array(sample.ids.suffix(2)) == [imEnd, nl])
    #expect(Array(sample.trained.suffix(2 + "财经".utf8.count)) == [UInt8](repeating: 1, count: 2 + 6))
    #expect(!sample.ids.contains(eot))
  }

  @Test func cutsFromTheRightAtMaxLength() throws {
    let recipe = try FudanRecipe(.init(ending: .seed, maxLength: 150))
    let outcome = try recipe.apply(record, context: context())
    let sample = try #require(outcome.sample)
    let expected = oracleFudan("今天股市大涨", "['财经', '体育']", "财经", maxLength: 150)
    #expect(sample.count == 150)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
    #expect(outcome.truncated == true)
  }

  @Test func customTemplatesAndMissingFields() throws {
    let config = FudanRecipe.Config(
      system: "S", user: try FieldTemplate("Q: {q}"), response: try FieldTemplate("{a.b}"), ending: .imEnd,
      maxLength: nil)
    let recipe = try FudanRecipe(config)
    let ok = try recipe.apply(
      object([("q", .string("x")), ("a", .object(object([("b", .number("1.5"))])))]), context: context())
    let sample = try #require(ok.sample)
    #expect(
      fake.decode(sample.ids)
        == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ: x<|im_end|>\n<|im_start|>assistant\n1.5<|im_end|>\n")
    let promptCount = enc("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ: x<|im_end|>\n<|im_start|>assistant\n")
      .count
    #expect(sample.trained == [UInt8](repeating: 0, count: promptCount) + [1, 1, 1, 1, 1])
    let missing = try recipe.apply(object([("q", .string("x"))]), context: context())
    #expect(missing.rejectReason == .missingField)
    #expect(missing.rejectDetail == "missing field 'a.b'")
  }

  @Test func nonPositiveMaxLengthIsRefused() {
    #expect(throws: TemplateError.self) { try FudanRecipe(.init(maxLength: 0)) }
  }
}
