import PrepCore
import PrepJSON
import PrepTemplate
import Testing

/// The oracle's `alpaca`, transliterated.
private func oracleAlpaca(
  instruction: String, input: String?, output: String, system: String = "You are a helpful assistant.",
  name: String = "{{name}}", author: String = "{{author}}", cutoff: Int = 1024
) -> (ids: [UInt32], labels: [Int64]) {
  var prompt = instruction + ((input ?? "").isEmpty ? "" : "\n" + input!)
  var out = output
  for (key, value) in [("{{name}}", name), ("{{author}}", author)] {
    prompt = prompt.replacing(key, with: value)
    out = out.replacing(key, with: value)
  }
  let sys = system.isEmpty ? "" : "<|im_start|>system\n\(system)<|im_end|>\n"
  var source = enc("\(sys)<|im_start|>user\n\(prompt)<|im_end|>\n<|im_start|>assistant\n")
  var target = enc("\(out)<|im_end|>\n")
  let (s, t) = inferSeqlen(source: source.count, target: target.count, cutoff: cutoff)
  source = Array(source.prefix(s))
  target = Array(target.prefix(t))
  return (source + target, [Int64](repeating: -100, count: source.count) + target.map(Int64.init))
}

private func alpaca(_ instruction: String, _ input: JSONValue?, _ output: String) -> JSONObject {
  var pairs: [(String, JSONValue)] = [("instruction", .string(instruction))]
  if let input { pairs.append(("input", input)) }
  pairs.append(("output", .string(output)))
  return object(pairs)
}

@Suite struct AlpacaTests {
  @Test func inferSeqlenFollowsLlamaFactory() {
    #expect(inferSeqlen(source: 600, target: 600, cutoff: 1024) == (512, 512))
    #expect(inferSeqlen(source: 100, target: 300, cutoff: 1024) == (100, 300))
    #expect(inferSeqlen(source: 2000, target: 100, cutoff: 1024) == (924, 100))
    #expect(inferSeqlen(source: 100, target: 2000, cutoff: 1024) == (100, 924))
    #expect(inferSeqlen(source: 700, target: 1300, cutoff: 1024) == (359, 665))  // int(1024 * 1300/2000) = 665
  }

  @Test func matchesTheOracleWithAndWithoutInput() throws {
    let recipe = try AlpacaRecipe(.init())
    let ctx = try context()
    for (input, expectedInput) in [
      (JSONValue?.none, String?.none), (.string(""), ""), (.null, nil), (.string("上下文"), "上下文"),
    ] {
      let outcome = try recipe.apply(alpaca("翻译", input, "好的"), context: ctx)
      let sample = try #require(outcome.sample)
      let expected = oracleAlpaca(instruction: "翻译", input: expectedInput, output: "好的")
      #expect(sample.ids == expected.ids)
      #expect(sample.labels == expected.labels)
      #expect(outcome.truncated == false)
    }
  }

  @Test func cutoffSplitsSourceAndTarget() throws {
    let long = String(repeating: "x", count: 90)
    let recipe = try AlpacaRecipe(.init(system: "", cutoffLength: 64))
    let outcome = try recipe.apply(alpaca(long, nil, long), context: context())
    let sample = try #require(outcome.sample)
    let expected = oracleAlpaca(instruction: long, input: nil, output: long, system: "", cutoff: 64)
    #expect(sample.count == 64)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
    #expect(outcome.truncated == true)
  }

  @Test func placeholdersAreFilledFromVariables() throws {
    let recipe = try AlpacaRecipe(.init(variables: ["name": "小助手", "author": "prep"]))
    let record = alpaca("你是谁?", nil, "我是 {{name}},由 {{author}} 开发。{{ name }}")
    let sample = try #require(try recipe.apply(record, context: context()).sample)
    let expected = oracleAlpaca(
      instruction: "你是谁?", input: nil, output: "我是 {{name}},由 {{author}} 开发。{{ name }}", name: "小助手", author: "prep")
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
  }

  @Test func anUnfilledPlaceholderStopsTheRunUnlessAllowed() throws {
    let record = alpaca("hi {{name}}", nil, "ok")
    #expect(throws: TemplateError.unfilledPlaceholder(name: "name", field: "instruction")) {
      try AlpacaRecipe(.init()).apply(record, context: context())
    }
    let allowed = try AlpacaRecipe(.init(allowUnfilledPlaceholders: true))
    let sample = try #require(try allowed.apply(record, context: context()).sample)
    #expect(sample.ids == oracleAlpaca(instruction: "hi {{name}}", input: nil, output: "ok").ids)
  }

  @Test func fieldErrorsAreRejects() throws {
    let recipe = try AlpacaRecipe(.init())
    let ctx = try context()
    #expect(try recipe.apply(object([("output", .string("o"))]), context: ctx).rejectReason == .missingField)
    #expect(try recipe.apply(alpaca("i", .number("3"), "o"), context: ctx).rejectReason == .wrongFieldType)
    let badOutput = object([("instruction", .string("i")), ("output", .array([]))])
    #expect(try recipe.apply(badOutput, context: ctx).rejectReason == .wrongFieldType)
  }

  /// The oracle's `if r.get("input")` (and LLaMA-Factory's alpaca converter) leaves out any input Python calls
  /// false; a true non-string input makes both fail, and is a reject here.
  @Test func inputsPythonCallsFalseAreLeftOut() throws {
    let recipe = try AlpacaRecipe(.init())
    let ctx = try context()
    let expected = oracleAlpaca(instruction: "翻译", input: nil, output: "好的")
    let falsy: [JSONValue] = [
      .bool(false), .number("0"), .number("-0"), .number("-0.0"), .number("0e5"), .number("1e-400"), .array([]),
      .object(JSONObject()),
    ]
    for input in falsy {
      let sample = try #require(try recipe.apply(alpaca("翻译", input, "好的"), context: ctx).sample, "\(input)")
      #expect(sample.ids == expected.ids, "\(input)")
      #expect(sample.labels == expected.labels, "\(input)")
    }
    let truthy: [JSONValue] = [
      .bool(true), .number("0.5"), .number("5e-324"), .array([.string("")]), .object(object([("k", .null)])),
    ]
    for input in truthy {
      #expect(try recipe.apply(alpaca("翻译", input, "好的"), context: ctx).rejectReason == .wrongFieldType, "\(input)")
    }
  }

  /// An empty instruction: the oracle's alpaca writes "\n" + input; the history mode follows LLaMA-Factory's
  /// converter (scripts/golden/llamafactory_multiturn.py lf_alpaca), "\n".join of the non-empty parts = the input.
  @Test func anEmptyInstructionFollowsTheOracleOrLlamaFactory() throws {
    let ctx = try context()
    let plain = try #require(try AlpacaRecipe(.init()).apply(alpaca("", .string("上下文"), "好的"), context: ctx).sample)
    let oracle = oracleAlpaca(instruction: "", input: "上下文", output: "好的")
    #expect(plain.ids == oracle.ids)
    #expect(plain.labels == oracle.labels)

    let lf = try AlpacaRecipe(.init(historyField: "history"))
    let inputOnly = try #require(try lf.apply(alpaca("", .string("上下文"), "好的"), context: ctx).sample)
    let joined = oracleAlpaca(instruction: "上下文", input: nil, output: "好的")
    #expect(inputOnly.ids == joined.ids)
    #expect(inputOnly.labels == joined.labels)
    let history: JSONValue = .array([.array([.string("a"), .string("b")])])
    var emptyInstruction = alpaca("", .string("上下文"), "好的")
    emptyInstruction.keys.append("history")
    emptyInstruction.values.append(history)
    var instructionOnly = alpaca("上下文", nil, "好的")
    instructionOnly.keys.append("history")
    instructionOnly.values.append(history)
    let a = try #require(try lf.apply(emptyInstruction, context: ctx).sample)
    let b = try #require(try lf.apply(instructionOnly, context: ctx).sample)
    #expect(a.ids == b.ids)
    #expect(a.labels == b.labels)
    #expect(a.ids.count > joined.ids.count)  // the history pair is there
  }

  @Test func systemFieldOverridesTheDefault() throws {
    let recipe = try AlpacaRecipe(.init(systemField: "system"))
    let record = object([("instruction", .string("i")), ("output", .string("o")), ("system", .string("Sys"))])
    let sample = try #require(try recipe.apply(record, context: context()).sample)
    #expect(sample.ids == oracleAlpaca(instruction: "i", input: nil, output: "o", system: "Sys").ids)
  }
}
