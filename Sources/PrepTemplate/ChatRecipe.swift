import PrepCore
import PrepJSON

/// HF `apply_chat_template(messages, tokenize=True, add_generation_prompt=False)` of the Qwen3 tokenizer's
/// template, for plain `system`/`user`/`assistant`/`tool` messages (oracle `chat`): the template is rendered
/// to one string and the whole string is tokenized at once.
///
/// Rendering (Qwen3): a first system message becomes `<|im_start|>system\n{content}<|im_end|>\n` (no default
/// system); user and later system messages `<|im_start|>{role}\n{content}<|im_end|>\n`; an assistant message
/// after the last real user query that is the last message (or carries reasoning) gets
/// `<think>\n{reasoning}\n</think>\n\n` before its content; reasoning written inline as `<think>…</think>` is
/// split off as the template does, unless the message has a `reasoning_content`, which is then the reasoning;
/// consecutive tool messages become one user turn of `<tool_response>` blocks. Not supported: `tools`,
/// `tool_calls` (a message with some is rejected), generation prompt.
public struct ChatRecipe: Recipe, Equatable {
  /// Which tokens are trained.
  public enum LabelPolicy: String, Sendable, Equatable {
    /// Every token (the oracle writes no labels).
    case all
    /// Assistant turns after their `<|im_start|>assistant\n` header, through `<|im_end|>\n`. Computed by
    /// tokenizing the rendered turns piecewise; a record whose piecewise ids differ from the whole-string ids
    /// (a token spanning a turn boundary) is rejected as `invalid_conversation`.
    case assistantOnly = "assistant_only"
  }

  /// Settings.
  public struct Config: Sendable, Equatable {
    /// The list of messages (default `messages`).
    public var messagesField: String
    /// The role key (default `role`).
    public var roleKey: String
    /// The content key (default `content`).
    public var contentKey: String
    /// The label policy (default `.all`).
    public var labels: LabelPolicy
    /// Length limit, cut from the right; nil = none (default).
    public var maxLength: Int?
    /// Whether to render Qwen3's template even when the tokenizer's own chat template is another
    /// (`template: qwen3`); by default such a tokenizer is refused (see `checkTemplate`).
    public var forceQwen3Template: Bool

    /// Creates a configuration.
    public init(
      messagesField: String = "messages", roleKey: String = "role", contentKey: String = "content",
      labels: LabelPolicy = .all, maxLength: Int? = nil, forceQwen3Template: Bool = false
    ) {
      self.messagesField = messagesField
      self.roleKey = roleKey
      self.contentKey = contentKey
      self.labels = labels
      self.maxLength = maxLength
      self.forceQwen3Template = forceQwen3Template
    }
  }

  /// SHA-256 of the chat template this recipe renders: Qwen3's, as its `tokenizer_config.json` has it.
  public static let qwen3TemplateSHA256 = "87a2728cb8dc9fe424d624542f6060ec05a1d285ebbec578bb078900e33396b5"

  /// Refuses a tokenizer whose own chat template (`template`, read from `file`) is not the Qwen3 template this
  /// recipe renders: HF `apply_chat_template` would render that one, and the samples would silently differ
  /// from it (Qwen2.5's adds a default system prompt, for one). A tokenizer without a template, and
  /// `forceQwen3Template`, pass.
  public func checkTemplate(_ template: String?, file: String) throws(TemplateError) {
    guard let template, !config.forceQwen3Template else { return }
    if SHA256.hash(Array(template.utf8)).description == ChatRecipe.qwen3TemplateSHA256 { return }
    throw .invalidSetting(
      key: "recipe.kind",
      message: "chat renders Qwen3's chat template, and the tokenizer's own template (\(file)) is another one, "
        + "which HF apply_chat_template would render instead: use recipe.kind: conversation for other models "
        + "(LLaMA-Factory's qwen template), or set recipe.template: qwen3 to render Qwen3's template anyway")
  }

  /// The settings.
  public var config: Config

  /// Creates the recipe.
  public init(_ config: Config = Config()) throws(TemplateError) {
    if let m = config.maxLength, m <= 0 {
      throw .invalidSetting(key: "max_length", message: "must be positive, got \(m)")
    }
    self.config = config
  }

  /// Converts one record.
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    let pieces: [(text: String, assistant: Bool)]
    do throws(RecordFailure) { pieces = try render(record) } catch { return error.outcome }
    var whole = ""
    for piece in pieces { whole += piece.text }
    var ids = [UInt32]()
    context.encode(whole, into: &ids)
    if ids.isEmpty { return .rejected(.emptySample, detail: "the messages render to no tokens") }
    var trained: [UInt8]
    switch config.labels {
    case .all:
      trained = [UInt8](repeating: 1, count: ids.count)
    case .assistantOnly:
      var pieceIDs = [UInt32]()
      trained = []
      for piece in pieces {
        let start = pieceIDs.count
        context.encode(piece.text, into: &pieceIDs)
        trained += repeatElement(piece.assistant ? 1 : 0, count: pieceIDs.count - start)
      }
      guard pieceIDs == ids else {
        return .rejected(
          .invalidConversation, detail: "a token spans a turn boundary: cannot mask assistant turns exactly")
      }
    }
    let truncated = cut(&ids, &trained, to: config.maxLength)
    return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
  }

  /// The rendered template as pieces, assistant bodies (after the header, through `<|im_end|>\n`) marked.
  func render(_ record: JSONObject) throws(RecordFailure) -> [(text: String, assistant: Bool)] {
    let field = config.messagesField
    guard let value = record[field] else { throw RecordFailure(.missingField, "missing field '\(field)'") }
    guard case .array(let items) = value else {
      throw RecordFailure(.wrongFieldType, "field '\(field)' is \(value.typeName), expected a list of messages")
    }
    var messages = [(role: String, content: String, reasoning: String?)]()
    // Assistant messages whose reasoning_content is neither a string nor null: the template fails on them only
    // where it renders the reasoning (checked once the last user query is known).
    var oddReasoning = [(index: Int, value: JSONValue)]()
    for (index, item) in items.enumerated() {
      guard case .object(let message) = item else {
        throw RecordFailure(.wrongFieldType, "\(field)[\(index)] is \(item.typeName), expected an object")
      }
      var pair = (role: "", content: "", reasoning: String?.none)
      guard let roleValue = message[config.roleKey] else {
        throw RecordFailure(.missingField, "\(field)[\(index)]: missing field '\(config.roleKey)'")
      }
      guard case .string(let role) = roleValue else {
        throw RecordFailure(
          .wrongFieldType, "\(field)[\(index)].\(config.roleKey) is \(roleValue.typeName), expected a string")
      }
      pair.role = role
      guard ["system", "user", "assistant", "tool"].contains(pair.role) else {
        throw RecordFailure(.invalidConversation, "\(field)[\(index)]: unsupported role '\(pair.role)'")
      }
      switch message[config.contentKey] {
      case .string(let s)?:
        pair.content = s
      case let other where role == "tool":
        // `{{ message.content }}`: missing or null renders empty, any other value as Python's str() of it.
        pair.content = other.map { $0 == .null ? "" : pythonStr($0) } ?? ""
      case nil:
        throw RecordFailure(.missingField, "\(field)[\(index)]: missing field '\(config.contentKey)'")
      case let other?:
        // The template concatenates or searches the content of other roles: it fails on anything but a string.
        throw RecordFailure(
          .wrongFieldType, "\(field)[\(index)].\(config.contentKey) is \(other.typeName), expected a string")
      }
      if pair.role == "assistant" {
        // The template renders an assistant's tool calls (their arguments through its `tojson`): refused rather
        // than dropped. `{% if message.tool_calls %}`: a false value (null, [], {}, "", 0, false) is none.
        if let calls = message["tool_calls"], jinjaTruth(calls) {
          throw RecordFailure(.invalidConversation, "\(field)[\(index)]: tool_calls are not supported")
        }
        // A reasoning_content that is not none replaces the reasoning written inline as <think>…</think>.
        switch message["reasoning_content"] {
        case nil, .null?: break
        case .string(let text)?: pair.reasoning = text
        case let other?:
          // Not none: the inline split is not made either (the content stays whole).
          pair.reasoning = ""
          oddReasoning.append((index, other))
        }
      }
      messages.append(pair)
    }
    if messages.isEmpty { throw RecordFailure(.invalidConversation, "'\(field)' is empty") }

    var lastQuery = messages.count - 1
    for index in stride(from: messages.count - 1, through: 0, by: -1) {
      let m = messages[index]
      // Python's startswith/endswith compare code points; String.hasPrefix compares characters, and
      // "<tool_response>" followed by a combining mark does not start with the character ">".
      let content = m.content.utf8
      if m.role == "user"
        && !(content.starts(with: "<tool_response>".utf8)
          && content.reversed().starts(with: "</tool_response>".utf8.reversed()))
      {
        lastQuery = index
        break
      }
    }
    for (index, value) in oddReasoning
    where index > lastQuery && (index == messages.count - 1 || jinjaTruth(value)) {
      // Rendered: the template's reasoning_content.strip('\n') fails on it.
      throw RecordFailure(
        .wrongFieldType, "\(field)[\(index)].reasoning_content is \(value.typeName), expected a string")
    }
    var pieces = [(text: String, assistant: Bool)]()
    func add(_ text: String, _ assistant: Bool) {
      if let last = pieces.last, last.assistant == assistant {
        pieces[pieces.count - 1].text += text
      } else {
        pieces.append((text, assistant))
      }
    }
    if messages[0].role == "system" { add("<|im_start|>system\n" + messages[0].content + "<|im_end|>\n", false) }
    for (index, m) in messages.enumerated() {
      let isLast = index == messages.count - 1
      switch m.role {
      case "user", "system":
        if m.role == "system" && index == 0 { continue }
        add("<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n", false)
      case "assistant":
        var content = m.content
        var reasoning = m.reasoning ?? ""
        let parts = pythonSplit(content, "</think>")
        if m.reasoning == nil && parts.count > 1 {
          // content.split('</think>')[-1].lstrip('\n'), and
          // content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
          let inner = pythonSplit(stripNewlines(parts[0], leading: false, trailing: true), "<think>")
          reasoning = stripNewlines(inner[inner.count - 1], leading: true, trailing: false)
          content = stripNewlines(parts[parts.count - 1], leading: true, trailing: false)
        }
        add("<|im_start|>assistant\n", false)
        if index > lastQuery && (isLast || !reasoning.isEmpty) {
          add(
            "<think>\n" + stripNewlines(reasoning, leading: true, trailing: true) + "\n</think>\n\n"
              + stripNewlines(content, leading: true, trailing: false), true)
        } else {
          add(content, true)
        }
        add("<|im_end|>\n", true)
      default:  // tool
        var text = ""
        if index == 0 || messages[index - 1].role != "tool" { text += "<|im_start|>user" }
        text += "\n<tool_response>\n" + m.content + "\n</tool_response>"
        if isLast || messages[index + 1].role != "tool" { text += "<|im_end|>\n" }
        add(text, false)
      }
    }
    return pieces
  }
}

/// Jinja's truth value of what `json.loads` gave (`{% if x %}`): false for null, false, 0, "", [] and {}.
private func jinjaTruth(_ value: JSONValue) -> Bool {
  switch value {
  case .null: return false
  case .bool(let b): return b
  case .number(let literal): return PythonNumber.double(literal).map { $0 != 0 } ?? true
  case .string(let s): return !s.isEmpty
  case .array(let items): return !items.isEmpty
  case .object(let members): return !members.keys.isEmpty
  }
}

/// Python's `s.lstrip('\n')` / `s.rstrip('\n')` / `s.strip('\n')`.
private func stripNewlines(_ s: String, leading: Bool, trailing: Bool) -> String {
  var bytes = Substring(s).utf8[...]
  if leading { while bytes.first == UInt8(ascii: "\n") { bytes = bytes.dropFirst() } }
  if trailing { while bytes.last == UInt8(ascii: "\n") { bytes = bytes.dropLast() } }
  return String(Substring(bytes))
}

/// Python's `s.split(separator)` (never empty: a string without the separator gives `[s]`).
func pythonSplit(_ s: String, _ separator: String) -> [String] {
  let bytes = Array(s.utf8)
  let sep = Array(separator.utf8)
  var out = [String]()
  var start = 0
  var i = 0
  while i + sep.count <= bytes.count {
    if bytes[i] == sep[0] && Array(bytes[i..<(i + sep.count)]) == sep {
      out.append(String(decoding: bytes[start..<i], as: UTF8.self))
      i += sep.count
      start = i
    } else {
      i += 1
    }
  }
  out.append(String(decoding: bytes[start...], as: UTF8.self))
  return out
}
