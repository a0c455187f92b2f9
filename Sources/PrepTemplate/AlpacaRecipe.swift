import PrepCore
import PrepJSON

/// LLaMA-Factory's alpaca format with `template: qwen` (seeds 001/004, oracle `alpaca`).
///
/// user = instruction + `"\n"` + input (input left out when missing, null, empty, or another value Python calls
/// false: `false`, `0`, `[]`, `{}`, as the oracle's and LLaMA-Factory's `if example["input"]` do);
/// source = enc(system block + `<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n`) as one string,
/// where the system block is `<|im_start|>system\n{system}<|im_end|>\n` when the system text is not empty;
/// target = enc(`{output}<|im_end|>\n`). Source masked, target trained; both cut by `infer_seqlen`.
/// `{{name}}` placeholders in instruction, input and output are filled from `variables` first.
///
/// With `historyField` (LLaMA-Factory's `history` column: `[[instruction, response], ...]` before this one), the
/// record is a conversation and is encoded as LLaMA-Factory does multi-turn data (`LlamaFactoryEncoding`:
/// `cutoff_len` shared turn by turn, every response trained); with no history the result is the same as above,
/// except that an empty instruction with an input gives the input alone, as LLaMA-Factory's converter does.
public struct AlpacaRecipe: Recipe, Equatable {
  /// Settings. Defaults are the oracle's.
  public struct Config: Sendable, Equatable {
    /// Field of the instruction (default `instruction`; a string, required).
    public var instructionField: String
    /// Field of the input (default `input`; optional: missing, null, "" or another value Python calls false
    /// means none; any other non-string is rejected).
    public var inputField: String
    /// Field of the output (default `output`; a string, required).
    public var outputField: String
    /// The system text (default "You are a helpful assistant.", the oracle's `--system` default and
    /// Qwen-2's; LLaMA-Factory's current qwen default is "You are Qwen, created by Alibaba Cloud. You are
    /// a helpful assistant."). Empty = no system block.
    public var system: String
    /// A field whose non-empty string replaces `system` for that record (LLaMA-Factory's `system` column);
    /// nil = none (default).
    public var systemField: String?
    /// `cutoff_len` (default 1024).
    public var cutoffLength: Int
    /// A field with earlier turns, `[[instruction, response], ...]` (LLaMA-Factory's `history` column); nil =
    /// none (default, as LLaMA-Factory unless the dataset maps one).
    public var historyField: String?
    /// Values for `{{name}}` placeholders in the data (`name`, `author` for identity.json).
    public var variables: [String: String]
    /// When false (default) a `{{name}}` with no value stops the run; when true it is left as written.
    public var allowUnfilledPlaceholders: Bool

    /// Creates a configuration.
    public init(
      instructionField: String = "instruction", inputField: String = "input", outputField: String = "output",
      system: String = "You are a helpful assistant.", systemField: String? = nil, cutoffLength: Int = 1024,
      variables: [String: String] = [:], allowUnfilledPlaceholders: Bool = false, historyField: String? = nil
    ) {
      self.historyField = historyField
      self.instructionField = instructionField
      self.inputField = inputField
      self.outputField = outputField
      self.system = system
      self.systemField = systemField
      self.cutoffLength = cutoffLength
      self.variables = variables
      self.allowUnfilledPlaceholders = allowUnfilledPlaceholders
    }
  }

  /// The settings.
  public var config: Config

  /// Creates the recipe; throws if `cutoffLength` is not positive.
  public init(_ config: Config) throws(TemplateError) {
    guard config.cutoffLength > 0 else {
      throw .invalidSetting(key: "cutoff_len", message: "must be positive, got \(config.cutoffLength)")
    }
    self.config = config
  }

  /// Converts one record. Throws `unfilledPlaceholder` for a `{{name}}` without a value (unless allowed).
  public func apply<E: TokenEncoder>(_ record: JSONObject, context: RecipeContext<E>) throws(TemplateError)
    -> RecipeOutcome
  {
    var prompt: String
    var output: String
    var system = config.system
    var history: [(user: String, assistant: String)] = []
    do throws(RecordFailure) {
      if let field = config.historyField { history = try readHistory(record, field) }
      prompt = try requireString(record, config.instructionField)
      switch record[config.inputField] {
      case nil, .null?: break
      case .string(let input)?:
        // The oracle writes instruction + "\n" + input even when the instruction is empty; LLaMA-Factory's alpaca
        // converter ("\n".join of the non-empty parts), which the history mode follows, leaves the "\n" out then.
        if !input.isEmpty { prompt = prompt.isEmpty && config.historyField != nil ? input : prompt + "\n" + input }
      case let other? where !isPythonTrue(other): break
      case let other?:
        throw RecordFailure(.wrongFieldType, "field '\(config.inputField)' is \(other.typeName), expected a string")
      }
      output = try requireString(record, config.outputField)
      system = try systemText(record, field: config.systemField, fallback: system)
    } catch { return error.outcome }
    prompt = try fillPlaceholders(prompt, field: config.instructionField)
    output = try fillPlaceholders(output, field: config.outputField)
    if !history.isEmpty, let field = config.historyField {
      for i in history.indices {
        history[i] = (
          try fillPlaceholders(history[i].user, field: field), try fillPlaceholders(history[i].assistant, field: field)
        )
      }
      let (ids, trained, truncated) = LlamaFactoryEncoding(cutoff: config.cutoffLength).encode(
        system: system, pairs: history + [(prompt, output)], context: context)
      return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
    }

    let systemBlock = system.isEmpty ? "" : "<|im_start|>system\n\(system)<|im_end|>\n"
    var source = [UInt32]()
    context.encode("\(systemBlock)<|im_start|>user\n\(prompt)<|im_end|>\n<|im_start|>assistant\n", into: &source)
    var target = [UInt32]()
    context.encode("\(output)<|im_end|>\n", into: &target)
    let (sourceLength, targetLength) = inferSeqlen(
      source: source.count, target: target.count, cutoff: config.cutoffLength)
    let truncated = sourceLength < source.count || targetLength < target.count
    var ids = Array(source[..<sourceLength])
    ids += target[..<targetLength]
    var trained = [UInt8](repeating: 0, count: sourceLength)
    trained += repeatElement(1, count: targetLength)
    return .sample(Sample(ids: ids, trained: trained), truncated: truncated)
  }

  /// The earlier turns of a record: a list of `[instruction, response]` string pairs (null or missing: none).
  private func readHistory(_ record: JSONObject, _ field: String) throws(RecordFailure) -> [(
    user: String, assistant: String
  )] {
    guard let value = record[field] else { return [] }
    if case .null = value { return [] }
    guard case .array(let items) = value else {
      throw RecordFailure(
        .wrongFieldType, "field '\(field)' is \(value.typeName), expected a list of [instruction, response]")
    }
    var pairs: [(user: String, assistant: String)] = []
    for (i, item) in items.enumerated() {
      guard case .array(let pair) = item, pair.count == 2, case .string(let user) = pair[0],
        case .string(let assistant) = pair[1]
      else {
        throw RecordFailure(.wrongFieldType, "\(field)[\(i)] is not a pair of strings [instruction, response]")
      }
      pairs.append((user, assistant))
    }
    return pairs
  }

  /// Replaces every `{{identifier}}` (ASCII letters, digits, `_`) that has a value in `variables`, in one
  /// left-to-right pass (a value is not scanned again).
  func fillPlaceholders(_ text: String, field: String) throws(TemplateError) -> String {
    let bytes = Array(text.utf8)
    guard bytes.count >= 5, bytes.contains(UInt8(ascii: "{")) else { return text }
    var out = [UInt8]()
    out.reserveCapacity(bytes.count)
    var i = 0
    var changed = false
    while i < bytes.count {
      if bytes[i] == UInt8(ascii: "{"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "{") {
        var j = i + 2
        while j < bytes.count, isIdentifierByte(bytes[j]) { j += 1 }
        if j > i + 2, j + 1 < bytes.count, bytes[j] == UInt8(ascii: "}"), bytes[j + 1] == UInt8(ascii: "}") {
          let name = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
          if let value = config.variables[name] {
            out += value.utf8
            changed = true
            i = j + 2
            continue
          }
          if !config.allowUnfilledPlaceholders { throw .unfilledPlaceholder(name: name, field: field) }
        }
      }
      out.append(bytes[i])
      i += 1
    }
    return changed ? String(decoding: out, as: UTF8.self) : text
  }
}

@inline(__always)
private func isIdentifierByte(_ b: UInt8) -> Bool {
  (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
}

/// Python's truth value of what `json.loads` gives for a non-string value: false for `false`, `null`, a number
/// that parses to zero (`0`, `-0.0`, `0e5`, `1e-400`, which underflows), `[]` and `{}`.
private func isPythonTrue(_ value: JSONValue) -> Bool {
  switch value {
  case .null: return false
  case .bool(let b): return b
  // A literal that is no valid Double cannot come from the parser; count it as true (so it is rejected).
  case .number(let literal): return Double(literal).map { $0 != 0 } ?? true
  case .string(let s): return !s.isEmpty
  case .array(let items): return !items.isEmpty
  case .object(let object): return !object.keys.isEmpty
  }
}

/// LLaMA-Factory's `infer_seqlen`: how many source and target tokens to keep under `cutoff`.
public func inferSeqlen(source: Int, target: Int, cutoff: Int) -> (source: Int, target: Int) {
  let maxTarget: Int
  if target * 2 < cutoff {
    maxTarget = cutoff
  } else if source * 2 < cutoff {
    maxTarget = cutoff - source
  } else {
    // Python: int(cutoff_len * (target_len / (source_len + target_len))), float division then truncation.
    maxTarget = Int(Double(cutoff) * (Double(target) / Double(source + target)))
  }
  let newTarget = min(maxTarget, target)
  let maxSource = max(cutoff - newTarget, 0)
  return (min(maxSource, source), newTarget)
}
