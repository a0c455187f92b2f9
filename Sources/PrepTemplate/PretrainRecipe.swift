import PrepCore
import PrepJSON

/// Pretraining text -> document ids for the block packer (seed 002 `group_texts`, oracle `monkey`).
///
/// Default: enc(text) followed by `<|endoftext|>` (always that token, never `<|im_end|>`, whatever the
/// tokenizer's EOS); an empty text is rejected (`empty_text`). Seed-compat: no separator, and an empty text
/// yields an empty document (not a reject), because the seed's 40,000-document batches count it.
public struct PretrainRecipe: Recipe, Equatable {
  /// What goes between documents.
  public enum Separator: String, Sendable, Equatable {
    /// `<|endoftext|>` after every document (default; Qwen's documented pretraining format).
    case endOfText = "endoftext"
    /// Nothing (the seed's defect, for `--seed-compat`).
    case none
  }

  /// What to do with a record whose text is empty.
  public enum EmptyText: String, Sendable, Equatable {
    /// Reject it as `empty_text` (default).
    case reject
    /// Keep it: the document is the separator alone (the oracle's default mode) or nothing at all
    /// (with no separator; it still counts towards seed-compat batches).
    case keep
  }

  /// Settings.
  public struct Config: Sendable, Equatable {
    /// The text field (default `text`; a string, required).
    public var textField: String
    /// The separator (default `.endOfText`).
    public var separator: Separator
    /// Empty texts (default `.reject`).
    public var emptyText: EmptyText

    /// Creates a configuration.
    public init(textField: String = "text", separator: Separator = .endOfText, emptyText: EmptyText = .reject) {
      self.textField = textField
      self.separator = separator
      self.emptyText = emptyText
    }

    /// The oracle's `monkey --seed-compat`: no separator, empty texts kept.
    public static let seedCompat = Config(separator: .none, emptyText: .keep)
  }

  /// The settings.
  public var config: Config

  /// Creates the recipe.
  public init(_ config: Config = Config()) { self.config = config }

  /// Converts one record to `.document(ids)`.
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    let text: String
    do { text = try requireString(record, config.textField) } catch { return error.outcome }
    var text2 = text
    return text2.withUTF8 { apply(utf8: ValidUTF8(checked: $0), context: context) }
  }

  /// The same conversion for a record whose text field's UTF-8 bytes the engine read without building the
  /// record (a top-level field: `config.textField`).
  public func apply<E: TokenEncoder>(utf8 text: ValidUTF8, context: RecipeContext<E>) -> RecipeOutcome {
    var ids = [UInt32]()
    ids.reserveCapacity(text.bytes.count / 3 + 2)
    return append(utf8: text, context: context, to: &ids) ?? .document(ids)
  }

  /// The same conversion with the document's ids (separator included) appended to `ids`, a buffer that holds
  /// several: nil, or the reject, with nothing appended. The engine keeps a chunk's documents in one buffer,
  /// so that neither a worker allocates nor the coordinator retains and frees one array per document.
  public func append<E: TokenEncoder>(utf8 text: ValidUTF8, context: RecipeContext<E>, to ids: inout [UInt32])
    -> RecipeOutcome?
  {
    if text.bytes.isEmpty && config.emptyText == .reject {
      return .rejected(.emptyText, detail: "field '\(config.textField)' is empty")
    }
    context.encode(text, into: &ids)
    if config.separator == .endOfText { ids.append(context.tokens.endOfText) }
    return nil
  }

  /// The outcome for a record whose text field is missing (nil) or holds `value`, which is not a string
  /// (the same rejects as `apply` on the whole record).
  public func outcome(forNonString value: JSONValue?) -> RecipeOutcome {
    guard let value else { return .rejected(.missingField, detail: "missing field '\(config.textField)'") }
    return .rejected(.wrongFieldType, detail: "field '\(config.textField)' is \(value.typeName), expected a string")
  }
}
