import PrepCore
import PrepJSON
import PrepTemplate
import PrepTestSupport
import PrepTokenizer
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

private func messages(_ pairs: [(String, String)]) -> JSONObject {
  object([("messages", .array(pairs.map { .object(object([("role", .string($0.0)), ("content", .string($0.1))])) }))])
}

/// Expected strings were rendered by HF `apply_chat_template(..., tokenize=False)` with the Qwen3
/// tokenizer_config.json in `.cache/tokenizer/qwen3` (checked by hand when the test was written).
@Suite struct ChatTests {
  let cases: [([(String, String)], String)] = [
    (
      [("system", "S"), ("user", "U"), ("assistant", "A")],
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n"
    ),
    (
      [("user", "U1"), ("assistant", "A1"), ("user", "U2"), ("assistant", "\n<think>\nr\n</think>\n\nA2")],
      "<|im_start|>user\nU1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n<|im_start|>user\nU2<|im_end|>\n"
        + "<|im_start|>assistant\n<think>\nr\n</think>\n\nA2<|im_end|>\n"
    ),
    (
      [("user", "U"), ("assistant", "x<think>\nhm\n</think>\nA"), ("tool", "t1"), ("tool", "t2"), ("assistant", "B")],
      "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\nhm\n</think>\n\nA<|im_end|>\n"
        + "<|im_start|>user\n<tool_response>\nt1\n</tool_response>\n<tool_response>\nt2\n</tool_response><|im_end|>\n"
        + "<|im_start|>assistant\n<think>\n\n</think>\n\nB<|im_end|>\n"
    ),
  ]

  @Test func rendersLikeTheQwen3Template() throws {
    let recipe = try ChatRecipe()
    for (pairs, expected) in cases {
      let sample = try #require(try recipe.apply(messages(pairs), context: context()).sample)
      #expect(sample.ids == enc(expected))
      #expect(sample.trainedCount == sample.count)
    }
  }

  @Test func assistantOnlyMasksEverythingButAssistantBodies() throws {
    let recipe = try ChatRecipe(.init(labels: .assistantOnly))
    let sample = try #require(try recipe.apply(messages(cases[1].0), context: context()).sample)
    #expect(sample.ids == enc(cases[1].1))
    let trained = zip(sample.ids, sample.trained).filter { $0.1 == 1 }.map(\.0)
    #expect(fake.decode(trained) == "A1<|im_end|>\n<think>\nr\n</think>\n\nA2<|im_end|>\n")
  }

  /// The template's `content.startswith('<tool_response>')` compares code points: a combining mark after the `>`
  /// keeps the message a tool response, not the last user query, so the final answer gets no think block
  /// (expected string from HF apply_chat_template).
  @Test func aToolResponseIsFoundByCodePointsNotCharacters() throws {
    let recipe = try ChatRecipe()
    let pairs = [("user", "<tool_response>\u{301}</tool_response>"), ("assistant", "")]
    let sample = try #require(try recipe.apply(messages(pairs), context: context()).sample)
    let expected =
      "<|im_start|>user\n<tool_response>\u{301}</tool_response><|im_end|>\n" + "<|im_start|>assistant\n<|im_end|>\n"
    #expect(sample.ids == enc(expected))
  }

  @Test func unsupportedRolesAndEmptyListsAreRejected() throws {
    let recipe = try ChatRecipe()
    #expect(try recipe.apply(messages([("robot", "x")]), context: context()).rejectReason == .invalidConversation)
    #expect(try recipe.apply(messages([]), context: context()).rejectReason == .invalidConversation)
  }

  /// A `reasoning_content` that is not none is the reasoning (the inline `<think>` split is not made); tool calls,
  /// which the template renders, are refused rather than dropped; an empty list of them is nothing.
  @Test func reasoningContentIsRenderedAndToolCallsRefused() throws {
    let recipe = try ChatRecipe()
    func record(_ assistant: [(String, JSONValue)]) -> JSONObject {
      let user = JSONValue.object(object([("role", .string("user")), ("content", .string("U"))]))
      let reply = JSONValue.object(object([("role", .string("assistant"))] + assistant))
      return object([("messages", .array([user, reply]))])
    }
    let given = record([("content", .string("<think>x</think>A")), ("reasoning_content", .string("\nR\n"))])
    let sample = try #require(try recipe.apply(given, context: context()).sample)
    #expect(
      sample.ids
        == enc(
          "<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\nR\n</think>\n\n<think>x</think>A<|im_end|>\n")
    )
    let none = record([("content", .string("A")), ("reasoning_content", .null), ("tool_calls", .array([]))])
    #expect(try recipe.apply(none, context: context()).sample != nil)
    let call = JSONValue.object(object([("name", .string("f")), ("arguments", .object(object([])))]))
    let calls = record([("content", .string("")), ("tool_calls", .array([call]))])
    #expect(try recipe.apply(calls, context: context()).rejectReason == .invalidConversation)
    let number = record([("content", .string("A")), ("reasoning_content", .number("1"))])
    #expect(try recipe.apply(number, context: context()).rejectReason == .wrongFieldType)
    // `{% if message.tool_calls %}`: every false value is no tool calls.
    for none in [JSONValue.object(object([])), .string(""), .number("0"), .number("0.0"), .bool(false)] {
      let falsy = record([("content", .string("A")), ("tool_calls", none)])
      #expect(try recipe.apply(falsy, context: context()).sample != nil, "\(none)")
    }
  }

  /// What HF `apply_chat_template` renders for values the template does not reject (strings checked by hand
  /// against it): a tool message's content through `{{ message.content }}` (null or missing empty, other values
  /// as Python's str()), and a non-string reasoning_content of a turn before the last user query, which the
  /// template does not render (but, not being none, it keeps the content from the inline `</think>` split).
  /// Where it would render one, the record is rejected (the template fails there).
  @Test func valuesTheTemplateRendersOrIgnores() throws {
    let recipe = try ChatRecipe()
    let prefix =
      "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n<|im_start|>user\n<tool_response>\n"
    func tool(_ content: JSONValue?) -> JSONObject {
      var toolMessage = [("role", JSONValue.string("tool"))]
      if let content { toolMessage.append(("content", content)) }
      let messages: [JSONValue] = [
        .object(object([("role", .string("user")), ("content", .string("q"))])),
        .object(object([("role", .string("assistant")), ("content", .string("a"))])),
        .object(object(toolMessage)),
      ]
      return object([("messages", .array(messages))])
    }
    let cases: [(JSONValue?, String)] = [
      (nil, ""), (.null, ""), (.number("42"), "42"), (.number("1.5"), "1.5"), (.bool(true), "True"),
      (.number("1e20"), "1e+20"), (.number("-0.0"), "-0.0"),
      (
        .object(object([("a", .number("1")), ("b", .array([.number("1"), .string("x")]))])), "{'a': 1, 'b': [1, 'x']}"
      ),
      (.array([.number("1"), .number("2")]), "[1, 2]"),
    ]
    for (content, shown) in cases {
      let sample = try #require(
        try recipe.apply(tool(content), context: context()).sample, "\(String(describing: content))")
      #expect(sample.ids == enc(prefix + shown + "\n</tool_response><|im_end|>\n"), "\(String(describing: content))")
    }
    func turns(_ reasoning: JSONValue, last: Bool) -> JSONObject {
      var messages: [JSONValue] = [
        .object(object([("role", .string("user")), ("content", .string("q"))])),
        .object(
          object([("role", .string("assistant")), ("content", .string("x</think>a")), ("reasoning_content", reasoning)])
        ),
      ]
      if !last {
        messages += [
          .object(object([("role", .string("user")), ("content", .string("q2"))])),
          .object(object([("role", .string("assistant")), ("content", .string("b"))])),
        ]
      }
      return object([("messages", .array(messages))])
    }
    let early = try #require(try recipe.apply(turns(.number("5"), last: false), context: context()).sample)
    #expect(
      early.ids
        == enc(
          "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\nx</think>a<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\nb<|im_end|>\n"))
    #expect(try recipe.apply(turns(.number("5"), last: true), context: context()).rejectReason == .wrongFieldType)
    // A user message's content must be a string: the template concatenates it.
    let user = object([("messages", .array([.object(object([("role", .string("user")), ("content", .number("5"))]))]))])
    #expect(try recipe.apply(user, context: context()).rejectReason == .wrongFieldType)
  }
}

/// The chat recipe renders Qwen3's template: a tokenizer whose own template is another is refused, since HF
/// `apply_chat_template` would render that one.
@Suite struct ChatTemplateCheckTests {
  func directory(config: String?, jinja: String? = nil) throws -> String {
    let dir = TestPaths.temporaryDirectory("chat-template")
    if let config { try config.write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8) }
    if let jinja { try jinja.write(toFile: dir + "/chat_template.jinja", atomically: true, encoding: .utf8) }
    return dir
  }

  @Test func qwen3sOwnTemplatePassesAndAnotherIsRefused() throws {
    let qwen3 = try #require(try TokenizerSource.chatTemplate(directory: TestPaths.tokenizer))
    #expect(qwen3.file.hasSuffix("tokenizer_config.json"))
    let recipe = try ChatRecipe()
    try recipe.checkTemplate(qwen3.template, file: qwen3.file)
    try recipe.checkTemplate(nil, file: "")
    let other = qwen3.template.replacing("<think>", with: "<thonk>")
    #expect(throws: TemplateError.self) { try recipe.checkTemplate(other, file: "x/tokenizer_config.json") }
    do {
      try recipe.checkTemplate(other, file: "x/tokenizer_config.json")
    } catch {
      #expect(error.description.contains("x/tokenizer_config.json"))
      #expect(error.description.contains("recipe.template: qwen3"))
    }
    try ChatRecipe(ChatRecipe.Config(forceQwen3Template: true)).checkTemplate(other, file: "x")
  }

  @Test func theTemplateIsReadAsTransformersReadsIt() throws {
    #expect(try TokenizerSource.chatTemplate(directory: directory(config: #"{"eos_token":"<|im_end|>"}"#)) == nil)
    #expect(try TokenizerSource.chatTemplate(directory: directory(config: nil)) == nil)
    let plain = try TokenizerSource.chatTemplate(directory: directory(config: #"{"chat_template":"A"}"#))
    #expect(plain?.template == "A")
    let named = try directory(
      config: #"{"chat_template":[{"name":"tool_use","template":"T"},{"name":"default","template":"D"}]}"#)
    #expect(try TokenizerSource.chatTemplate(directory: named)?.template == "D")
    // Named templates without a default: transformers refuses to choose, so it is not Qwen3's template either.
    let noDefault = try directory(config: #"{"chat_template":[{"name":"tool_use","template":"T"}]}"#)
    let unusable = try #require(try TokenizerSource.chatTemplate(directory: noDefault))
    #expect(throws: TemplateError.self) { try ChatRecipe().checkTemplate(unusable.template, file: unusable.file) }
    // chat_template.jinja, which newer transformers save, comes first.
    let both = try directory(config: #"{"chat_template":"A"}"#, jinja: "J")
    let read = try TokenizerSource.chatTemplate(directory: both)
    #expect(read?.template == "J")
    #expect(read?.file.hasSuffix("chat_template.jinja") == true)
  }
}
