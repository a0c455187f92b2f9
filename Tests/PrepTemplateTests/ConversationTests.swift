import PrepCore
import PrepJSON
import PrepTemplate
import Testing

/// The oracle's `belle`, transliterated (turns as (from, value)).
private func oracleBelle(
  _ turns: [(String, String)], system: String = "You are a helpful assistant.", userTag: String = "human",
  userRole: String = "human", maxLength: Int = 2048
) -> (ids: [UInt32], labels: [Int64]) {
  let ignore: Int64 = -100
  let nlIDs = enc("\n")
  let roleTag = [
    userTag: "<|im_start|>\(userRole)", "assistant": "<|im_start|>assistant", "gpt": "<|im_start|>assistant",
  ]
  var source = turns
  if let first = source.first, first.0 != userTag { source.removeFirst() }
  let sys = [imStart] + enc("system") + nlIDs + enc(system) + [imEnd] + nlIDs
  var ids = sys
  var labels =
    [Int64(imStart)] + [Int64](repeating: ignore, count: sys.count - 3) + [Int64(imEnd)] + nlIDs.map(Int64.init)
  for (from, value) in source {
    let role = roleTag[from]!
    let roleIDs = enc(role)
    let piece = roleIDs + nlIDs + enc(value) + [imEnd] + nlIDs
    ids += piece
    if role.hasSuffix("assistant") {
      labels +=
        [Int64(imStart)] + [Int64](repeating: ignore, count: roleIDs.count)
        + piece[(roleIDs.count + 1)..<(piece.count - 2)].map(Int64.init) + [Int64(imEnd)] + nlIDs.map(Int64.init)
    } else {
      labels +=
        [Int64(imStart)] + [Int64](repeating: ignore, count: piece.count - 3) + [Int64(imEnd)] + nlIDs.map(Int64.init)
    }
  }
  if ids.count < maxLength {
    ids += [UInt32](repeating: eot, count: maxLength - ids.count)
    labels += [Int64](repeating: ignore, count: maxLength - labels.count)
  }
  return (Array(ids.prefix(maxLength)), Array(labels.prefix(maxLength)))
}

private func sharegpt(_ turns: [(String, String)]) -> JSONObject {
  object([
    ("id", .string("x")),
    ("conversations", .array(turns.map { .object(object([("from", .string($0.0)), ("value", .string($0.1))])) })),
  ])
}

@Suite struct ConversationTests {
  let turns: [(String, String)] = [("human", "你好"), ("assistant", "您好!"), ("human", "1+1?"), ("gpt", "2")]

  @Test func qwen1LabelsMatchTheOracle() throws {
    let recipe = try ConversationRecipe(.init(maxLength: 160))
    for case let t in [turns, [("gpt", "lead")] + turns, Array(turns.prefix(2))] {
      let outcome = try recipe.apply(sharegpt(t), context: context())
      let sample = try #require(outcome.sample)
      let expected = oracleBelle(t, maxLength: 160)
      #expect(sample.ids == expected.ids)
      #expect(sample.labels == expected.labels)
      #expect(sample.count == 160)
      #expect(outcome.truncated == false)
    }
  }

  /// An empty system text still gives the system block under qwen1 (`<|im_start|>system\n<|im_end|>\n`), as the
  /// seed and the oracle write it; LLaMA-Factory (`assistant_only`) leaves the block out.
  @Test func anEmptySystemTextKeepsTheBlockUnderQwen1Only() throws {
    let pair = Array(turns.prefix(2))
    let qwen1 = try ConversationRecipe(.init(system: "", maxLength: 160))
    let sample = try #require(try qwen1.apply(sharegpt(pair), context: context()).sample)
    let expected = oracleBelle(pair, system: "", maxLength: 160)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
    #expect(fake.decode(sample.ids).hasPrefix("<|im_start|>system\n<|im_end|>\n<|im_start|>human\n"))
    let lf = try ConversationRecipe(.init(system: "", labels: .assistantOnly, maxLength: 160))
    let other = try #require(try lf.apply(sharegpt(pair), context: context()).sample)
    #expect(!fake.decode(other.ids).contains("system"))
  }

  /// Under qwen1 a leading turn that is not a user turn is dropped without looking at it, as the oracle does
  /// (`source[0]["from"] != user_tag`): any role, null or not a string, any content. Later turns are checked.
  @Test func qwen1DropsAnyLeadingNonUserTurnAsTheOracle() throws {
    let recipe = try ConversationRecipe(.init(maxLength: 160))
    let expected = oracleBelle(turns, maxLength: 160)
    func record(leading: JSONValue) -> JSONObject {
      var items = [leading]
      items += turns.map { .object(object([("from", .string($0.0)), ("value", .string($0.1))])) }
      return object([("conversations", .array(items))])
    }
    let leads: [JSONValue] = [
      .object(object([("from", .string("gpt")), ("value", .null)])),
      .object(object([("from", .null), ("value", .string("x"))])),
      .object(object([("from", .string("bot")), ("value", .number("5"))])),
      .object(object([("from", .string("gpt"))])),
      .object(object([("from", .string("system")), ("value", .null)])),
    ]
    for lead in leads {
      let sample = try #require(try recipe.apply(record(leading: lead), context: context()).sample, "\(lead)")
      #expect(sample.ids == expected.ids, "\(lead)")
      #expect(sample.labels == expected.labels, "\(lead)")
    }
    // What the oracle fails on stays a reject: a leading turn without a role, an unknown role later.
    let noRole = record(leading: .object(object([("value", .string("x"))])))
    #expect(try recipe.apply(noRole, context: context()).rejectReason == .missingField)
    let later = sharegpt(turns + [("bot", "x")])
    #expect(try recipe.apply(later, context: context()).rejectReason == .invalidConversation)
    // LLaMA-Factory's policy still refuses what it drops.
    let lf = try ConversationRecipe(.init(labels: .assistantOnly, maxLength: 160))
    let unknown = record(leading: .object(object([("from", .string("bot")), ("value", .string("x"))])))
    #expect(try lf.apply(unknown, context: context()).rejectReason == .invalidConversation)
  }

  /// A leading system message whose content is null leaves the default system text, as LLaMA-Factory's
  /// `system or default_system` does (it used to be a wrong_field_type reject).
  @Test func aNullLeadingSystemMessageLeavesTheDefault() throws {
    var config = ConversationRecipe.Config.openAI()
    config.labels = .assistantOnly
    let recipe = try ConversationRecipe(config)
    func record(_ leading: [JSONValue]) -> JSONObject {
      let pair: [JSONValue] = [
        .object(object([("role", .string("user")), ("content", .string("U"))])),
        .object(object([("role", .string("assistant")), ("content", .string("A"))])),
      ]
      return object([("messages", .array(leading + pair))])
    }
    let plain = try #require(try recipe.apply(record([]), context: context()).sample)
    let null = JSONValue.object(object([("role", .string("system")), ("content", .null)]))
    let withNull = try #require(try recipe.apply(record([null]), context: context()).sample)
    #expect(withNull.ids == plain.ids)
    #expect(withNull.labels == plain.labels)
  }

  @Test func qwen1TrainsStructuralTokensOfEveryTurn() throws {
    let recipe = try ConversationRecipe(.init(maxLength: 160))
    let sample = try #require(try recipe.apply(sharegpt(Array(turns.prefix(2))), context: context()).sample)
    let trained = zip(sample.ids, sample.trained).filter { $0.1 == 1 }.map(\.0)
    // system, user: <|im_start|> ... <|im_end|>\n; assistant: <|im_start|> + content + <|im_end|>\n.
    #expect(fake.decode(trained) == "<|im_start|><|im_end|>\n<|im_start|><|im_end|>\n<|im_start|>您好!<|im_end|>\n")
    #expect(Array(sample.ids.suffix(5)) == [UInt32](repeating: eot, count: 5))
    #expect(Array(sample.trained.suffix(5)) == [0, 0, 0, 0, 0])
  }

  @Test func qwen1TruncatesLikeTheOracle() throws {
    let recipe = try ConversationRecipe(.init(maxLength: 60))
    let outcome = try recipe.apply(sharegpt(turns), context: context())
    let sample = try #require(outcome.sample)
    let expected = oracleBelle(turns, maxLength: 60)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
    #expect(outcome.truncated == true)
  }

  @Test func userRoleIsConfigurable() throws {
    let recipe = try ConversationRecipe(.init(userRole: "user", maxLength: 200))
    let sample = try #require(try recipe.apply(sharegpt(turns), context: context()).sample)
    let expected = oracleBelle(turns, userRole: "user", maxLength: 200)
    #expect(sample.ids == expected.ids)
    #expect(sample.labels == expected.labels)
  }

  @Test func assistantOnlyTrainsContentAndTerminator() throws {
    var config = ConversationRecipe.Config.llamaFactory()
    config.system = "S"
    let recipe = try ConversationRecipe(config)
    let sample = try #require(try recipe.apply(sharegpt(turns), context: context()).sample)
    let text = fake.decode(sample.ids)
    #expect(
      text == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n您好!<|im_end|>\n"
        + "<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n2<|im_end|>\n")
    // Trained text = the assistant contents with their terminators, nothing else.
    let trainedIDs = zip(sample.ids, sample.trained).filter { $0.1 == 1 }.map(\.0)
    #expect(fake.decode(trainedIDs) == "您好!<|im_end|>\n2<|im_end|>\n")
    #expect(sample.boundaries == [0, UInt32(sample.count)])
  }

  @Test func lastTurnOnlyAndTrainOnPrompt() throws {
    var config = ConversationRecipe.Config.llamaFactory()
    config.system = ""
    config.lastTurnOnly = true
    let last = try #require(try ConversationRecipe(config).apply(sharegpt(turns), context: context()).sample)
    #expect(fake.decode(zip(last.ids, last.trained).filter { $0.1 == 1 }.map(\.0)) == "2<|im_end|>\n")
    // No system block.
    #expect(last.ids.first == imStart && fake.decode(Array(last.ids.prefix(6))) == "<|im_start|>user\n")

    config.lastTurnOnly = false
    config.trainOnPrompt = true
    let all = try #require(try ConversationRecipe(config).apply(sharegpt(turns), context: context()).sample)
    #expect(all.trainedCount == all.count)
  }

  @Test func openAIShapeWithASystemMessage() throws {
    let record = object([
      (
        "messages",
        .array([
          .object(object([("role", .string("system")), ("content", .string("Be brief."))])),
          .object(object([("role", .string("user")), ("content", .string("hi"))])),
          .object(object([("role", .string("assistant")), ("content", .string("yo"))])),
        ])
      )
    ])
    var config = ConversationRecipe.Config.openAI()
    config.labels = .assistantOnly
    config.pad = false
    let sample = try #require(try ConversationRecipe(config).apply(record, context: context()).sample)
    #expect(
      fake.decode(sample.ids)
        == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nyo<|im_end|>\n"
    )
  }

  @Test func invalidConversationsAreRejected() throws {
    let qwen1 = try ConversationRecipe(.init())
    var lf = ConversationRecipe.Config.llamaFactory()
    lf.userTags = ["human"]
    let strict = try ConversationRecipe(lf)
    let ctx = try context()
    #expect(try qwen1.apply(sharegpt([("gpt", "only")]), context: ctx).rejectReason == .invalidConversation)
    #expect(
      try qwen1.apply(sharegpt([("human", "a"), ("robot", "b")]), context: ctx).rejectReason == .invalidConversation)
    #expect(
      try qwen1.apply(sharegpt([("human", "a"), ("system", "b")]), context: ctx).rejectReason == .invalidConversation)
    #expect(
      try strict.apply(sharegpt([("human", "a"), ("human", "b")]), context: ctx).rejectReason == .invalidConversation)
    #expect(
      try strict.apply(sharegpt([("human", "a"), ("gpt", "b"), ("human", "c")]), context: ctx).rejectReason
        == .invalidConversation)
    #expect(try qwen1.apply(object([("conversations", .string("x"))]), context: ctx).rejectReason == .wrongFieldType)
    #expect(try qwen1.apply(object([]), context: ctx).rejectReason == .missingField)
    let noValue = object([("conversations", .array([.object(object([("from", .string("human"))]))]))])
    #expect(try qwen1.apply(noValue, context: ctx).rejectReason == .missingField)
    // The oracle keeps a conversation emptied by the leading-turn rule; allowEmpty reproduces it.
    let keep = try ConversationRecipe(.init(maxLength: 64, allowEmpty: true))
    let empty = try #require(try keep.apply(sharegpt([("gpt", "only")]), context: ctx).sample)
    let expected = oracleBelle([("gpt", "only")], maxLength: 64)
    #expect(empty.ids == expected.ids && empty.labels == expected.labels)
  }

  /// As LLaMA-Factory's `system or default_system`: an empty leading system turn leaves the default system text,
  /// and so does a missing or empty system column; a system column gives the text when there is no system turn.
  @Test func emptySystemTextsKeepTheDefaultAndASystemColumnSetsIt() throws {
    var config = ConversationRecipe.Config.llamaFactory()
    config.systemField = "system"
    let recipe = try ConversationRecipe(config)
    func systemText(_ record: JSONObject) throws -> String {
      let sample = try #require(try recipe.apply(record, context: context()).sample)
      let text = fake.decode(sample.ids)
      let head = "<|im_start|>system\n"
      guard text.hasPrefix(head) else { return "" }
      return String(text.dropFirst(head.count).split(separator: "<|im_end|>", maxSplits: 1)[0])
    }
    let pair = [("human", "hi"), ("gpt", "hello")]
    #expect(try systemText(sharegpt([("system", "")] + pair)) == "You are a helpful assistant.")
    #expect(try systemText(sharegpt([("system", "Be brief.")] + pair)) == "Be brief.")
    var column = sharegpt(pair)
    column.append("system", .string("Answer in French."))
    #expect(try systemText(column) == "Answer in French.")
    var empty = sharegpt(pair)
    empty.append("system", .string(""))
    #expect(try systemText(empty) == "You are a helpful assistant.")
    var wrong = sharegpt(pair)
    wrong.append("system", .number("1"))
    #expect(try recipe.apply(wrong, context: context()).rejectReason == .wrongFieldType)
  }

  /// LLaMA-Factory refuses mask_history together with train_on_prompt; so does the recipe.
  @Test func lastTurnOnlyWithTrainOnPromptIsRefused() {
    var config = ConversationRecipe.Config.llamaFactory()
    config.lastTurnOnly = true
    config.trainOnPrompt = true
    #expect(throws: TemplateError.self) { try ConversationRecipe(config) }
  }

  @Test func paddingNeedsAMaxLength() {
    #expect(throws: TemplateError.self) { try ConversationRecipe(.init(maxLength: nil, pad: true)) }
  }
}
