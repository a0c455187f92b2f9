import PrepCore
import PrepJSON

/// Multi-turn ChatML from a list of turns: sharegpt/belle (`conversations`, `from`/`value`) or openai
/// (`messages`, `role`/`content`). Mirrors the oracle's `belle` (Qwen-1 `finetune.py`) piece by piece:
///
/// - system block: `<|im_start|>` + enc("system") + enc("\n") + enc(system) + `<|im_end|>` + enc("\n")
/// - each turn: enc(`<|im_start|>` + role) + enc("\n") + enc(content) + `<|im_end|>` + enc("\n"), where
///   role is `userRole` (default `human`, as the seed writes) or `assistantRole`.
///
/// A leading turn that is not a user turn is dropped (a leading system turn supplies the system text when
/// `systemFromData`). Labels follow `labels`, `lastTurnOnly` and `trainOnPrompt`; the sample is cut at
/// `maxLength` from the right, then padded to `maxLength` with untrained `<|endoftext|>` when `pad`.
public struct ConversationRecipe: Recipe, Equatable {
  /// Which tokens of a conversation are trained.
  public enum LabelPolicy: String, Sendable, Equatable {
    /// Qwen-1 `finetune.py` (oracle `belle`): `<|im_start|>`, `<|im_end|>` and the `\n` after it are
    /// trained in every turn including system and user; assistant content trained; role names, the `\n`
    /// after them, system and user contents masked.
    case qwen1
    /// LLaMA-Factory `template: qwen` exactly (its `SupervisedDatasetProcessor`): each user turn is encoded as
    /// one string `<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n` (after the system block
    /// `<|im_start|>system\n{system}<|im_end|>\n` in the first pair), each assistant turn as
    /// `{content}<|im_end|>\n`; prompts masked, responses trained; `maxLength` is `cutoff_len`, shared turn
    /// by turn with `infer_seqlen` (with `lastTurnOnly`, the last turns first, as `mask_history` does).
    /// Needs strictly alternating user/assistant turns ending with an assistant turn.
    case assistantOnly = "assistant_only"
  }

  /// Settings. Defaults reproduce the oracle's `belle`: sharegpt shape, role `human`, policy `qwen1`,
  /// 2048 tokens, padded. `Config.llamaFactory()` gives the assistant-only convention without padding.
  public struct Config: Sendable, Equatable {
    /// The list of turns (default `conversations`).
    public var messagesField: String
    /// The role key of a turn (default `from`).
    public var roleKey: String
    /// The content key of a turn (default `value`).
    public var contentKey: String
    /// Role values of user turns (default `["human"]`).
    public var userTags: [String]
    /// Role values of assistant turns (default `["assistant", "gpt"]`).
    public var assistantTags: [String]
    /// Role values of system turns (default `["system"]`); only a leading one is accepted.
    public var systemTags: [String]
    /// The ChatML role written for user turns (default `human`, the seed's; Qwen's templates write `user`).
    public var userRole: String
    /// The ChatML role written for assistant turns (default `assistant`).
    public var assistantRole: String
    /// The system text (default "You are a helpful assistant."); empty = no system block.
    public var system: String
    /// Whether a leading system turn replaces `system` (default true; the oracle drops it like any other
    /// leading non-user turn, which gives the same output when the data has none). An empty one does not, as
    /// LLaMA-Factory's `system or default_system`.
    public var systemFromData: Bool
    /// A record field whose text is the system text when the conversation has no leading system turn
    /// (LLaMA-Factory's sharegpt `system` column; default none). Missing, null or empty: `system`.
    public var systemField: String? = nil
    /// The label policy (default `.qwen1`).
    public var labels: LabelPolicy
    /// Train only the last assistant turn (LLaMA-Factory `mask_history`; default false).
    public var lastTurnOnly: Bool
    /// Train the prompt tokens too (LLaMA-Factory `train_on_prompt`; default false).
    public var trainOnPrompt: Bool
    /// Length limit, cut from the right; nil = none (default 2048).
    public var maxLength: Int?
    /// Pad to `maxLength` with untrained `<|endoftext|>` (default true, as the oracle; false for packing).
    public var pad: Bool
    /// Keep a conversation with no turns left (system block only) instead of rejecting it (default false;
    /// the oracle keeps it).
    public var allowEmpty: Bool

    /// Creates a configuration.
    public init(
      messagesField: String = "conversations", roleKey: String = "from", contentKey: String = "value",
      userTags: [String] = ["human"], assistantTags: [String] = ["assistant", "gpt"],
      systemTags: [String] = ["system"], userRole: String = "human", assistantRole: String = "assistant",
      system: String = "You are a helpful assistant.", systemFromData: Bool = true,
      labels: LabelPolicy = .qwen1, lastTurnOnly: Bool = false, trainOnPrompt: Bool = false,
      maxLength: Int? = 2048, pad: Bool = true, allowEmpty: Bool = false
    ) {
      self.messagesField = messagesField
      self.roleKey = roleKey
      self.contentKey = contentKey
      self.userTags = userTags
      self.assistantTags = assistantTags
      self.systemTags = systemTags
      self.userRole = userRole
      self.assistantRole = assistantRole
      self.system = system
      self.systemFromData = systemFromData
      self.labels = labels
      self.lastTurnOnly = lastTurnOnly
      self.trainOnPrompt = trainOnPrompt
      self.maxLength = maxLength
      self.pad = pad
      self.allowEmpty = allowEmpty
    }

    /// The openai `messages` shape (`role`/`content`, roles `user`/`assistant`/`system`, role written `user`).
    public static func openAI() -> Config {
      Config(
        messagesField: "messages", roleKey: "role", contentKey: "content", userTags: ["user"],
        assistantTags: ["assistant"], userRole: "user")
    }

    /// LLaMA-Factory `template: qwen` labels on sharegpt data: assistant-only, role `user`, no padding.
    public static func llamaFactory() -> Config {
      Config(userTags: ["human", "user"], userRole: "user", labels: .assistantOnly, pad: false)
    }
  }

  /// The settings.
  public var config: Config

  /// Creates the recipe; throws on a non-positive `maxLength` or `pad` without `maxLength`.
  public init(_ config: Config) throws(TemplateError) {
    if let m = config.maxLength, m <= 0 {
      throw .invalidSetting(key: "max_length", message: "must be positive, got \(m)")
    }
    if config.pad && config.maxLength == nil {
      throw .invalidSetting(key: "pad", message: "padding needs max_length")
    }
    if config.lastTurnOnly && config.trainOnPrompt {
      throw .invalidSetting(
        key: "train_on_prompt",
        message: "cannot go with last_turn_only (LLaMA-Factory refuses mask_history with train_on_prompt): choose one")
    }
    self.config = config
  }

  private enum Role { case user, assistant }

  /// Converts one record.
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    let system: String
    let turns: [(role: Role, content: String)]
    do { (system, turns) = try parseTurns(record) } catch { return error.outcome }

    if config.labels == .assistantOnly { return llamaFactory(system: system, turns: turns, context: context) }
    let tokens = context.tokens
    let qwen1 = config.labels == .qwen1
    var lastAssistant = -1
    for (i, turn) in turns.enumerated() where turn.role == .assistant { lastAssistant = i }

    var ids = [UInt32]()
    var trained = [UInt8]()
    func push(_ flag: UInt8, _ from: Int) { trained += repeatElement(flag, count: ids.count - from) }
    let prompt: UInt8 = config.trainOnPrompt ? 1 : 0

    do {
      // [im_start] + enc("system") + nl + enc(system) + [im_end] + nl, even for an empty system text, as the
      // seed and the oracle write it.
      let structural: UInt8 = qwen1 ? 1 : prompt
      ids.append(tokens.imStart)
      push(structural, ids.count - 1)
      var start = ids.count
      context.encode("system", into: &ids)
      ids += tokens.newline
      context.encode(system, into: &ids)
      push(prompt, start)
      start = ids.count
      ids.append(tokens.imEnd)
      ids += tokens.newline
      push(structural, start)
    }
    for (i, turn) in turns.enumerated() {
      let isAssistant = turn.role == .assistant
      // The response flag: tokens the policy trains in this assistant turn.
      let response: UInt8 = isAssistant && (!config.lastTurnOnly || i == lastAssistant) ? 1 : 0
      // role_ids = enc("<|im_start|>" + role), tokenized together as the oracle does.
      var start = ids.count
      context.encode("<|im_start|>" + (isAssistant ? config.assistantRole : config.userRole), into: &ids)
      if ids.count > start {
        if qwen1 {
          // The <|im_start|> is trained in every turn (history assistant turns follow lastTurnOnly).
          trained.append(isAssistant ? response : 1)
          start += 1
        }
      }
      ids += tokens.newline
      push(prompt, start)
      start = ids.count
      context.encode(turn.content, into: &ids)
      push(isAssistant ? response : prompt, start)
      start = ids.count
      ids.append(tokens.imEnd)
      ids += tokens.newline
      push(isAssistant ? response : (qwen1 ? 1 : prompt), start)
    }
    if ids.isEmpty { return .rejected(.emptySample, detail: "the conversation produced no tokens") }

    let truncated = cut(&ids, &trained, to: config.maxLength)
    if config.pad, let m = config.maxLength, ids.count < m {
      ids += repeatElement(tokens.endOfText, count: m - ids.count)
      trained += repeatElement(0, count: m - trained.count)
    }
    return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
  }

  /// LLaMA-Factory's multi-turn encoding (`_encode_data_example` with template `qwen`): prompt/response pairs,
  /// `cutoff_len` shared pair by pair with `infer_seqlen` until it is used up, pairs taken last first (and
  /// prepended) under `mask_history`.
  private func llamaFactory<E: TokenEncoder>(
    system: String, turns: [(role: Role, content: String)], context: RecipeContext<E>
  ) -> RecipeOutcome {
    let encoding = LlamaFactoryEncoding(
      userRole: config.userRole, assistantRole: config.assistantRole, cutoff: config.maxLength,
      maskHistory: config.lastTurnOnly, trainOnPrompt: config.trainOnPrompt)
    let pairs = stride(from: 0, to: turns.count, by: 2).map {
      (user: turns[$0].content, assistant: turns[$0 + 1].content)
    }
    var (ids, trained, truncated) = encoding.encode(system: system, pairs: pairs, context: context)
    if ids.isEmpty { return .rejected(.emptySample, detail: "the conversation produced no tokens") }
    if config.pad, let m = config.maxLength, ids.count < m {
      ids += repeatElement(context.tokens.endOfText, count: m - ids.count)
      trained += repeatElement(0, count: m - trained.count)
    }
    return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
  }

  /// The system text and the user/assistant turns after the leading-turn rule; throws for invalid records.
  private func parseTurns(_ record: JSONObject) throws(RecordFailure) -> (String, [(role: Role, content: String)]) {
    let field = config.messagesField
    guard let value = record[field] else { throw RecordFailure(.missingField, "missing field '\(field)'") }
    guard case .array(let items) = value else {
      throw RecordFailure(.wrongFieldType, "field '\(field)' is \(value.typeName), expected a list of turns")
    }
    var system = try systemText(record, field: config.systemField, fallback: config.system)
    var turns = [(role: Role, content: String)]()
    turns.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      guard case .object(let turn) = item else {
        throw RecordFailure(.wrongFieldType, "\(field)[\(index)] is \(item.typeName), expected an object")
      }
      if index == 0 && config.labels == .qwen1, let role = turn[config.roleKey],
        !config.userTags.contains(role.stringValue ?? "")
      {
        // The oracle drops a leading turn that is not a user turn without looking at it (any role, any content);
        // a system turn with text may supply the system text.
        if let tag = role.stringValue, config.systemTags.contains(tag), config.systemFromData,
          let content = turn[config.contentKey]?.stringValue, !content.isEmpty
        {
          system = content
        }
        continue
      }
      let tag = try requireString(turn, config.roleKey, in: "\(field)[\(index)]")
      if index == 0 && config.systemTags.contains(tag) && turn[config.contentKey] == .null {
        // A leading system turn without text: LLaMA-Factory's `system or default_system` takes the default.
        continue
      }
      let content = try requireString(turn, config.contentKey, in: "\(field)[\(index)]")
      if index == 0 && !config.userTags.contains(tag) {
        // The oracle drops a leading non-user turn; a system turn may supply the system text.
        if config.systemTags.contains(tag) {
          if config.systemFromData && !content.isEmpty { system = content }
        } else if !config.assistantTags.contains(tag) {
          throw RecordFailure(.invalidConversation, "\(field)[0]: unknown role '\(tag)'")
        } else if config.labels == .assistantOnly {
          // LLaMA-Factory drops such an example ("Invalid role tag").
          throw RecordFailure(.invalidConversation, "\(field)[0]: the conversation starts with an assistant turn")
        }
        continue
      }
      if config.userTags.contains(tag) {
        turns.append((.user, content))
      } else if config.assistantTags.contains(tag) {
        turns.append((.assistant, content))
      } else if config.systemTags.contains(tag) {
        throw RecordFailure(.invalidConversation, "\(field)[\(index)]: a system turn is only allowed first")
      } else {
        throw RecordFailure(.invalidConversation, "\(field)[\(index)]: unknown role '\(tag)'")
      }
    }
    if turns.isEmpty && !config.allowEmpty {
      throw RecordFailure(.invalidConversation, "'\(field)' has no turns after dropping a leading non-user turn")
    }
    if config.labels == .assistantOnly {
      for (i, turn) in turns.enumerated() where (turn.role == .user) != (i % 2 == 0) {
        throw RecordFailure(
          .invalidConversation,
          "turn \(i) is \(turn.role == .user ? "user" : "assistant"): roles must alternate user, assistant")
      }
      if turns.count % 2 != 0 {
        throw RecordFailure(.invalidConversation, "the conversation ends with a user turn (no response to train)")
      }
    }
    return (system, turns)
  }
}

/// The string at `key` of a turn; throws naming the turn.
private func requireString(_ object: JSONObject, _ key: String, in place: String) throws(RecordFailure) -> String {
  guard let value = object[key] else { throw RecordFailure(.missingField, "\(place): missing field '\(key)'") }
  guard case .string(let s) = value else {
    throw RecordFailure(.wrongFieldType, "\(place).\(key) is \(value.typeName), expected a string")
  }
  return s
}
