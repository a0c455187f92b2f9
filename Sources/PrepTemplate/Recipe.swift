import PrepCore
import PrepJSON

/// What a recipe made of one record.
public enum RecipeOutcome: Sendable, Equatable {
  /// A supervised sample (one document), and whether it was cut to the recipe's length limit.
  case sample(Sample, truncated: Bool)
  /// A pretraining document: ids for the packer's stream (separator included when the recipe adds one).
  case document([UInt32])
  /// The record was rejected; the engine adds the record's location and counts the reason.
  case rejected(RejectReason, detail: String)
}

/// The system text of a record: the string in `field` when there is one and it is not empty, else `fallback`
/// (LLaMA-Factory's `system or default_system`; a missing or null field counts as empty).
func systemText(_ record: JSONObject, field: String?, fallback: String) throws(RecordFailure) -> String {
  guard let field, let value = record[field] else { return fallback }
  switch value {
  case .null: return fallback
  case .string(let s): return s.isEmpty ? fallback : s
  default: throw RecordFailure(.wrongFieldType, "field '\(field)' is \(value.typeName), expected a string")
  }
}

/// Why one record cannot be used: a reject reason and a detail naming the field.
public struct RecordFailure: Error, Sendable, Equatable, CustomStringConvertible {
  /// The reject key.
  public var reason: RejectReason
  /// What was wrong (the field, its type, ...).
  public var detail: String

  /// Creates a failure.
  public init(_ reason: RejectReason, _ detail: String) {
    self.reason = reason
    self.detail = detail
  }

  /// `reason: detail`.
  public var description: String { "\(reason.rawValue): \(detail)" }

  var outcome: RecipeOutcome { .rejected(reason, detail: detail) }
}

/// A configuration or run error that must stop the run (not a per-record reject).
public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
  /// `{` without a matching `}` in a field template.
  case unclosedPlaceholder(template: String, offset: Int)
  /// `}` that is not part of `}}` in a field template.
  case strayClosingBrace(template: String, offset: Int)
  /// An empty or unsupported placeholder (`{}`, `{a..b}`, `{x:>3}`, `{x!r}`).
  case invalidPlaceholder(template: String, placeholder: String)
  /// The tokenizer has no such added token (the recipes need `<|im_start|>`, `<|im_end|>`, `<|endoftext|>`).
  case missingSpecialToken(String)
  /// A setting is out of range.
  case invalidSetting(key: String, message: String)
  /// A `{{name}}` placeholder in the data has no value and unfilled placeholders are not allowed.
  case unfilledPlaceholder(name: String, field: String)

  /// A message naming what to fix.
  public var description: String {
    switch self {
    case .unclosedPlaceholder(let t, let o):
      "template \"\(t)\": '{' at byte \(o) is never closed (write '{{' for a literal brace)"
    case .strayClosingBrace(let t, let o):
      "template \"\(t)\": '}' at byte \(o) has no opening '{' (write '}}' for a literal brace)"
    case .invalidPlaceholder(let t, let p):
      "template \"\(t)\": invalid placeholder '{\(p)}' (expected a field path such as {text} or {meta.source})"
    case .missingSpecialToken(let s): "the tokenizer has no added token \(s)"
    case .invalidSetting(let k, let m): "\(k): \(m)"
    case .unfilledPlaceholder(let n, let f):
      "field '\(f)' holds the placeholder {{\(n)}} but no variable '\(n)' is set (set it with --set \(n)=…, or keep such text as it is with --set recipe.placeholders=allow)"
    }
  }
}

/// The ids every ChatML recipe needs, looked up once per tokenizer.
public struct ChatTokens: Sendable, Equatable {
  /// `<|im_start|>`.
  public var imStart: UInt32
  /// `<|im_end|>`.
  public var imEnd: UInt32
  /// `<|endoftext|>`: the document separator and the pad token (Qwen's `pad_token`).
  public var endOfText: UInt32
  /// The ids of `"\n"` (one id, 198, for Qwen).
  public var newline: [UInt32]

  /// Creates the set from explicit ids.
  public init(imStart: UInt32, imEnd: UInt32, endOfText: UInt32, newline: [UInt32]) {
    self.imStart = imStart
    self.imEnd = imEnd
    self.endOfText = endOfText
    self.newline = newline
  }
}

/// A tokenizer plus the control ids, shared by all records of a run (build it once per worker or once
/// per run: it is a `Sendable` value).
public struct RecipeContext<Encoder: TokenEncoder>: Sendable {
  /// The tokenizer.
  public let encoder: Encoder
  /// The control ids.
  public let tokens: ChatTokens

  /// Looks up `<|im_start|>`, `<|im_end|>`, `<|endoftext|>` with `addedTokenID` and encodes `"\n"`.
  public init(encoder: Encoder) throws(TemplateError) {
    func id(_ s: String) throws(TemplateError) -> UInt32 {
      guard let v = encoder.addedTokenID(s) else { throw .missingSpecialToken(s) }
      return v
    }
    self.encoder = encoder
    self.tokens = ChatTokens(
      imStart: try id("<|im_start|>"), imEnd: try id("<|im_end|>"), endOfText: try id("<|endoftext|>"),
      newline: encoder.encode("\n"))
  }

  /// Appends the ids of `text` (HF `tokenizer(text, add_special_tokens=False)`).
  @inline(__always)
  func encode(_ text: String, into ids: inout [UInt32]) { encoder.encode(text, into: &ids) }

  /// Appends the ids of text given as valid UTF-8 bytes.
  @inline(__always)
  func encode(validUTF8 text: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]) {
    encoder.encode(validUTF8: text, into: &ids)
  }

  /// Appends the ids of bytes already checked as UTF-8.
  @inline(__always)
  func encode(_ text: ValidUTF8, into ids: inout [UInt32]) { encoder.encode(text, into: &ids) }
}

/// A record -> sample/document conversion. Pure: the same record and context give the same outcome.
public protocol Recipe: Sendable {
  /// Converts one record. Per-record problems come back as `.rejected`; a thrown error stops the run.
  func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError) -> RecipeOutcome
}

/// One of the shipped recipes, chosen by the pipeline file (an enum, so the engine dispatches without
/// existentials).
public enum AnyRecipe: Recipe {
  /// The recipe with what is constant per run computed once for this encoder (same output, less work).
  public func prepared<E: TokenEncoder>(for encoder: E) -> AnyRecipe {
    switch self {
    case .fudan(let r): return .fudan(r.prepared(for: encoder))
    default: return self
    }
  }

  /// Prompt/response SFT (seed 000 `process_func`).
  case fudan(FudanRecipe)
  /// Multi-turn ChatML (belle / sharegpt / openai messages).
  case conversation(ConversationRecipe)
  /// LLaMA-Factory alpaca with `template: qwen`.
  case alpaca(AlpacaRecipe)
  /// Pretraining text -> document ids.
  case pretrain(PretrainRecipe)
  /// HF `apply_chat_template` of the Qwen3 template, whole string tokenized.
  case chat(ChatRecipe)

  /// Dispatches to the wrapped recipe.
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    switch self {
    case .fudan(let r): try r.apply(record, context: context)
    case .conversation(let r): try r.apply(record, context: context)
    case .alpaca(let r): try r.apply(record, context: context)
    case .pretrain(let r): try r.apply(record, context: context)
    case .chat(let r): try r.apply(record, context: context)
    }
  }
}

/// Cuts a sample's arrays to `limit` from the right; returns whether anything was cut.
func cut(_ ids: inout [UInt32], _ trained: inout [UInt8], to limit: Int?) -> Bool {
  guard let limit, ids.count > limit else { return false }
  ids.removeSubrange(limit...)
  trained.removeSubrange(limit...)
  return true
}
