import PrepCore
import PrepJSON

/// Prompt/response SFT in ChatML, the recipe of seed 000/003 (`process_func`, oracle `fudan`).
///
/// ids = enc(`<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n`)
/// + enc(`{response}`) + ending; the prompt is one string tokenized at once, the response separately.
/// The prompt is masked; the response and the ending are trained; the result is cut at `maxLength` from
/// the right (which can cut the ending off).
public struct FudanRecipe: Recipe, Equatable {
  /// What follows the response.
  public enum Ending: String, Sendable, Equatable {
    /// The seed's defect: `<|endoftext|>` (Qwen's pad token) appended to ids and labels, trained.
    case seed
    /// `<|im_end|>` + `"\n"`, trained: the ChatML terminator (the correct default).
    case imEnd = "im_end"
  }

  /// Settings. Defaults: the fudan texts of seed 000 with the correct ending (`im_end`); `fudan.pipeline`
  /// sets `ending: seed` to match the oracle.
  public struct Config: Sendable, Equatable {
    /// The system prompt, plain text (not a template).
    public var system: String
    /// The user message, a field template (default `文本:{text},类型选型:{category}`).
    public var user: FieldTemplate
    /// The response, a field template (default `{output}`).
    public var response: FieldTemplate
    /// The ending after the response (default `.imEnd`).
    public var ending: Ending
    /// Length limit in tokens, cut from the right; nil = no limit (default 384).
    public var maxLength: Int?
    /// Fields that must hold a non-empty string: a record where one is missing, not a string, or empty (only
    /// white space) is rejected (`missing_field`, `wrong_field_type`, `empty_text`) instead of becoming a sample
    /// with an empty text. Empty by default: the seed itself keeps such records.
    public var requiredText: [String] = []

    /// The system prompt of seed 000.
    public static let fudanSystem = "你是一个文本分类领域的专家,你会接收到一段文本和几个潜在的分类选项,请输出文本内容的正确类型"

    /// Creates a configuration.
    public init(
      system: String = Config.fudanSystem,
      user: FieldTemplate,
      response: FieldTemplate,
      ending: Ending = .imEnd,
      maxLength: Int? = 384
    ) {
      self.system = system
      self.user = user
      self.response = response
      self.ending = ending
      self.maxLength = maxLength
    }

    /// The seed's user and response templates.
    public init(ending: Ending = .imEnd, maxLength: Int? = 384) throws(TemplateError) {
      self.init(
        user: try FieldTemplate("文本:{text},类型选型:{category}"), response: try FieldTemplate("{output}"),
        ending: ending, maxLength: maxLength)
    }

    /// Exactly the oracle's `fudan` (ending `seed`, 384).
    public static func seed() throws(TemplateError) -> Config { try Config(ending: .seed, maxLength: 384) }
  }

  /// The settings.
  public var config: Config

  /// The system block's ids, when `prepared(for:)` proved they can be computed once (see `ConstantPrefix`).
  public var prefix: ConstantPrefix?

  /// The recipe with its constant prompt prefix tokenized once for this encoder.
  public func prepared<E: TokenEncoder>(for encoder: E) -> FudanRecipe {
    var r = self
    r.prefix = ConstantPrefix.make(
      "<|im_start|>system\n\(config.system)<|im_end|>\n<|im_start|>", endingWith: "<|im_start|>", encoder: encoder)
    return r
  }

  /// Creates the recipe; throws if `maxLength` is not positive.
  public init(_ config: Config) throws(TemplateError) {
    if let m = config.maxLength, m <= 0 {
      throw .invalidSetting(key: "max_length", message: "must be positive, got \(m)")
    }
    self.config = config
  }

  /// Converts one record.
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    let user: String
    let response: String
    do throws(RecordFailure) {
      for field in config.requiredText { try requireText(field, in: record) }
      user = try config.user.render(record)
      response = try config.response.render(record)
    } catch { return error.outcome }
    var ids = [UInt32]()
    if let prefix, prefix.text == "<|im_start|>system\n\(config.system)<|im_end|>\n<|im_start|>" {
      ids = prefix.ids
      context.encode("user\n\(user)<|im_end|>\n<|im_start|>assistant\n", into: &ids)
    } else {
      context.encode(
        "<|im_start|>system\n\(config.system)<|im_end|>\n<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n",
        into: &ids)
    }
    let promptCount = ids.count
    context.encode(response, into: &ids)
    switch config.ending {
    case .seed: ids.append(context.tokens.endOfText)
    case .imEnd:
      ids.append(context.tokens.imEnd)
      ids += context.tokens.newline
    }
    var trained = [UInt8](repeating: 0, count: promptCount)
    trained += repeatElement(1, count: ids.count - promptCount)
    let truncated = cut(&ids, &trained, to: config.maxLength)
    return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
  }
}

/// Fails unless `path` holds a string with something besides white space.
func requireText(_ path: String, in record: JSONObject) throws(RecordFailure) {
  let value = try lookup(path: path, segments: path.split(separator: ".").map(String.init), in: record)
  guard case .string(let text) = value else {
    throw RecordFailure(.wrongFieldType, "field '\(path)' is \(value.typeName), expected a string")
  }
  // Most texts start with a visible ASCII character: no Unicode property lookup for them.
  if let first = text.utf8.first, first > 0x20 && first < 0x7F { return }
  if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
    throw RecordFailure(.emptyText, "field '\(path)' is empty")
  }
}
