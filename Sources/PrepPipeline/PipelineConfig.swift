import PrepInput
import PrepPack
import PrepShard
import PrepTemplate

/// How samples are laid out after the recipe.
public enum PackingPlan: Sendable, Equatable {
  /// One sample per record.
  case none
  /// Each sample cut or padded to exactly `length` with the pad id (labels -100).
  case pad(length: Int)
  /// One token stream cut into fixed blocks (pretraining).
  case blocks(PretrainBlocker.Config)
  /// Whole samples packed into blocks, best fit over a bounded window.
  case bestFit(SFTPacker.Config)

  /// The mode's name as in pipeline files.
  public var mode: String {
    switch self {
    case .none: "none"
    case .pad: "pad"
    case .blocks: "blocks"
    case .bestFit: "best_fit"
    }
  }
}

/// When a run fails because of rejected records.
public enum RejectLimit: Sendable, Equatable {
  /// More than this many rejects fails the run.
  case count(Int)
  /// More than this percentage of records rejected fails the run.
  case percent(Double)

  /// Parses `100` or `2.5%`.
  public static func parse(_ text: String) -> RejectLimit? {
    if text.hasSuffix("%") {
      guard let p = Double(text.dropLast()), p >= 0, p <= 100 else { return nil }
      return .percent(p)
    }
    guard let n = Int(text), n >= 0 else { return nil }
    return .count(n)
  }

  /// Whether `rejects` out of `records` passes the limit.
  public func exceeded(rejects: Int, records: Int) -> Bool {
    switch self {
    case .count(let n): return rejects > n
    case .percent(let p): return records > 0 && Double(rejects) * 100 > p * Double(records)
    }
  }
}

/// The validation split.
public struct SplitPlan: Sendable, Equatable {
  /// A fraction (< 1) or a count (≥ 1) of records.
  public var valSize: Double
  /// The seed of the deterministic choice.
  public var seed: UInt64
}

/// A pipeline file decoded into typed configuration: everything `prep run` needs, checked before anything runs.
public struct PipelineConfig: Sendable {
  /// The pipeline file.
  public var file: String
  /// The resolved tree (overrides applied), recorded in index.json so a run can be repeated.
  public var tree: ConfigValue
  /// What the pipeline does, in a line.
  public var description: String
  /// Input paths or globs, in order.
  public var inputPaths: [String]
  /// Reader options.
  public var inputOptions: InputOptions
  /// `default` or a tokenizer directory.
  public var tokenizer: String
  /// The recipe kind as written (`prompt_response`, `conversation`, `alpaca`, `pretrain`, `chat`).
  public var recipeKind: String
  /// The recipe.
  public var recipe: AnyRecipe
  /// Packing.
  public var packing: PackingPlan
  /// The validation split, if any.
  public var split: SplitPlan?
  /// Keep only the first N records.
  public var maxSamples: Int?
  /// Fail the run past this many rejects.
  public var maxRejects: RejectLimit?
  /// The output directory.
  public var outputDirectory: String
  /// zstd level.
  public var compressionLevel: Int
  /// zstd minimum match length; 0 for the level's own.
  public var compressionMinMatch: Int
  /// Samples per shard.
  public var samplesPerShard: Int
  /// Variables for `{{name}}` placeholders.
  public var variables: [String: String]

  /// Decodes a loaded pipeline file. Every error names file, line and key.
  public init(_ pipeline: PipelineFile) throws(ConfigError) {
    let f = pipeline.path
    file = f
    tree = pipeline.tree
    var top = try ConfigReader(pipeline.tree, file: f, path: "")
    // Unknown sections first: a misspelt `recipes:` would otherwise be reported as a recipe without a kind.
    try top.checkKeys(PipelineFile.sections)
    description = try top.string("description", default: "")
    tokenizer = try top.string("tokenizer", default: "default")
    maxSamples = try top.int("max_samples")
    if let m = maxSamples, m < 1 { throw top.error("max_samples", "must be at least 1, found \(m)") }

    variables = [:]
    if let v = top.value("variables") {
      guard case .mapping(let entries, _) = v else {
        throw top.error("variables", "expected a mapping of names to text")
      }
      for e in entries {
        guard case .scalar(let s, _, _) = e.value else {
          throw ConfigError(file: f, line: e.line, key: "variables." + e.key, message: "expected a text value")
        }
        variables[e.key] = s
      }
    }

    // input
    var input = try top.section("input")
    guard let paths = try input.strings("path"), !paths.isEmpty, !paths.contains("") else {
      throw input.error("path", "required: the input file(s), e.g. path: data/train.jsonl (or --set input=PATH)")
    }
    inputPaths = paths
    var options = InputOptions()
    let format = try input.choice("format", ["auto", "jsonl", "json", "xml"], default: "auto")
    if format != "auto" { options.format = InputFormat(rawValue: format) }
    options.chunkSize = try input.int("chunk_bytes", default: 1 << 20, min: 4096)
    options.maxRecordBytes = try input.int("max_line_bytes", default: options.maxRecordBytes, min: 16)
    if input.has("xml") {
      var xml = try input.section("xml")
      let record = try xml.string("record", default: "page")
      var fields: [XMLRecordSpec.Field] = []
      for (k, v) in try xml.stringMap("fields") { fields.append(XMLRecordSpec.Field(key: k, path: v)) }
      try xml.finish()
      options.xml = XMLRecordSpec(
        recordElement: record, fields: fields.isEmpty ? XMLRecordSpec.wikipedia.fields : fields)
    }
    try input.finish()
    inputOptions = options

    // recipe
    var r = try top.section("recipe")
    recipeKind = try r.choice(
      "kind", ["prompt_response", "conversation", "alpaca", "pretrain", "chat"], default: "")
    let seedCompat: Bool
    (recipe, seedCompat) = try Self.recipe(kind: recipeKind, &r, variables: variables)
    try r.finish()
    if recipeKind != "alpaca", let name = variables.keys.sorted().first {
      // Only the alpaca recipe fills {{…}} placeholders: anywhere else a variable is a key that does nothing.
      throw ConfigError(
        file: f, line: top.value("variables")?.line ?? 0, key: "variables." + name,
        message: "recipe '\(recipeKind)' has no {{…}} placeholders to fill (only the alpaca recipe does); "
          + "--set \(name)=… is not one of its keys (short names: "
          + PipelineFile.aliases.keys.sorted().joined(separator: ", ") + ")")
    }

    // packing
    var p = try top.section("packing")
    let mode = try p.choice(
      "mode", ["none", "pad", "blocks", "best_fit"], default: recipeKind == "pretrain" ? "blocks" : "none")
    let blockSize = try p.int("block_size", default: 2048, min: 1)
    switch mode {
    case "none":
      packing = .none
    case "pad":
      packing = .pad(length: blockSize)
    case "blocks":
      guard recipeKind == "pretrain" else {
        throw p.error("mode", "blocks cut one token stream: it goes with recipe kind pretrain (use best_fit for SFT)")
      }
      let remainder = try p.choice("remainder", ["drop", "pad"], default: "drop")
      let reset = try p.bool("reset_positions", default: false)
      packing = .blocks(
        PretrainBlocker.Config(
          blockSize: blockSize, resetPositions: reset, finalBlock: remainder == "pad" ? .pad : .drop,
          seedCompatBatch: seedCompat ? 40_000 : nil))
    default:
      guard recipeKind != "pretrain" else {
        throw p.error("mode", "pretraining documents are cut into blocks: use mode: blocks")
      }
      let window = try p.int("open_blocks", default: 64, min: 1)
      let oversize = try p.choice("oversize", ["truncate", "drop"], default: "truncate")
      let maskFirst = try p.bool("mask_first_label", default: true)
      let sortWindow = try p.int("sort_window", default: 0, min: 0)
      packing = .bestFit(
        SFTPacker.Config(
          capacity: blockSize, openBlocks: window, oversize: oversize == "drop" ? .drop : .truncate,
          maskFirstLabel: maskFirst, sortWindow: sortWindow))
    }
    try p.finish()
    if recipeKind == "pretrain", case .blocks = packing {
    } else if recipeKind == "pretrain" {
      throw ConfigError(
        file: f, line: pipeline.tree.value(at: ["packing"])?.line ?? 0, key: "packing.mode",
        message: "pretraining documents are cut into blocks: use mode: blocks")
    }

    // split
    if top.has("split") {
      var s = try top.section("split")
      if let v = try s.double("val_size"), v != 0 {
        guard v > 0 else { throw s.error("val_size", "must be 0 (no split), a fraction in (0, 1) or a count ≥ 1") }
        if v >= 1 && v != v.rounded() { throw s.error("val_size", "a count must be a whole number") }
        split = SplitPlan(valSize: v, seed: UInt64(try s.int("seed", default: 42, min: 0)))
      } else {
        _ = try s.int("seed")
        split = nil
      }
      try s.finish()
    } else {
      split = nil
    }

    // limits
    var l = try top.section("limits")
    if let text = try l.string("max_rejects") {
      guard let limit = RejectLimit.parse(text) else {
        throw l.error("max_rejects", "expected a count (100) or a percentage (2%), found '\(text)'")
      }
      maxRejects = limit
    } else {
      maxRejects = nil
    }
    try l.finish()

    // output
    var o = try top.section("output")
    guard let dir = try o.string("dir"), !dir.isEmpty else {
      throw o.error("dir", "required: the dataset directory, e.g. dir: out/fudan (or --set output=DIR)")
    }
    outputDirectory = dir
    compressionLevel = try o.int("level", default: Int(ShardConfiguration.defaultLevel), min: 1)
    if compressionLevel > 19 { throw o.error("level", "zstd levels run from 1 to 19") }
    compressionMinMatch = try o.int(
      "min_match", default: Int(ShardConfiguration.defaultMinMatch(level: Int32(compressionLevel))), min: 0)
    if compressionMinMatch != 0 && !(3...7).contains(compressionMinMatch) {
      throw o.error("min_match", "zstd's minimum match runs from 3 to 7 (0: the level's own)")
    }
    samplesPerShard = try o.int("samples_per_shard", default: 0, min: 0)
    try o.finish()
    try top.finish()
  }

  private static func recipe(kind: String, _ r: inout ConfigReader, variables: [String: String])
    throws(ConfigError) -> (AnyRecipe, seedCompat: Bool)
  {
    func template(_ key: String, default fallback: String) throws(ConfigError) -> FieldTemplate {
      let text = try r.string(key, default: fallback)
      do { return try FieldTemplate(text) } catch { throw r.error(key, error.description) }
    }
    func wrap<T>(_ key: String, _ body: () throws(TemplateError) -> T) throws(ConfigError) -> T {
      do { return try body() } catch { throw r.error(key, error.description) }
    }
    func maxLength(_ fallback: Int?) throws(ConfigError) -> Int? {
      guard r.has("max_length") else { return fallback }
      if try r.string("max_length").map({ $0 == "none" }) == true { return nil }
      return try r.int("max_length", default: fallback ?? 0, min: 1)
    }
    switch kind {
    case "prompt_response":
      let system = try r.string("system", default: FudanRecipe.Config.fudanSystem)
      let user = try template("user", default: "文本:{text},类型选型:{category}")
      let response = try template("response", default: "{output}")
      let ending = try r.choice("ending", ["seed", "im_end"], default: "im_end")
      var config = FudanRecipe.Config(
        system: system, user: user, response: response, ending: ending == "seed" ? .seed : .imEnd,
        maxLength: try maxLength(384))
      config.requiredText = try r.strings("require_text") ?? []
      return (.fudan(try wrap("max_length") { () throws(TemplateError) in try FudanRecipe(config) }), false)
    case "conversation":
      let shape = try r.choice("shape", ["sharegpt", "openai"], default: "sharegpt")
      var c = shape == "openai" ? ConversationRecipe.Config.openAI() : ConversationRecipe.Config()
      c.messagesField = try r.string("field", default: c.messagesField)
      c.roleKey = try r.string("role_key", default: c.roleKey)
      c.contentKey = try r.string("content_key", default: c.contentKey)
      c.userTags = try r.strings("user_tags") ?? c.userTags
      c.assistantTags = try r.strings("assistant_tags") ?? c.assistantTags
      c.systemTags = try r.strings("system_tags") ?? c.systemTags
      c.userRole = try r.string("user_role", default: c.userRole)
      c.assistantRole = try r.string("assistant_role", default: c.assistantRole)
      c.system = try r.string("system", default: c.system)
      c.systemFromData = try r.bool("system_from_data", default: c.systemFromData)
      c.systemField = try r.string("system_field")
      let labels = try r.choice("labels", ["qwen1", "assistant_only"], default: "qwen1")
      c.labels = labels == "qwen1" ? .qwen1 : .assistantOnly
      c.lastTurnOnly = try r.bool("last_turn_only", default: false)
      c.trainOnPrompt = try r.bool("train_on_prompt", default: false)
      c.maxLength = try maxLength(2048)
      c.pad = false  // padding is packing's job (packing.mode: pad)
      let config = c
      return (.conversation(try wrap("labels") { () throws(TemplateError) in try ConversationRecipe(config) }), false)
    case "alpaca":
      var c = AlpacaRecipe.Config()
      c.instructionField = try r.string("instruction_field", default: c.instructionField)
      c.inputField = try r.string("input_field", default: c.inputField)
      c.outputField = try r.string("output_field", default: c.outputField)
      c.system = try r.string("system", default: c.system)
      c.systemField = try r.string("system_field")
      c.cutoffLength = try r.int("cutoff_len", default: c.cutoffLength, min: 1)
      c.historyField = try r.string("history_field")
      c.variables = variables
      c.allowUnfilledPlaceholders = try r.choice("placeholders", ["require", "allow"], default: "require") == "allow"
      let config = c
      return (.alpaca(try wrap("cutoff_len") { () throws(TemplateError) in try AlpacaRecipe(config) }), false)
    case "pretrain":
      let seedCompat = try r.bool("seed_compat", default: false)
      var c = seedCompat ? PretrainRecipe.Config.seedCompat : PretrainRecipe.Config()
      c.textField = try r.string("field", default: c.textField)
      if !seedCompat {
        let sep = try r.choice("separator", ["endoftext", "none"], default: "endoftext")
        c.separator = sep == "none" ? .none : .endOfText
        let empty = try r.choice("empty_text", ["reject", "keep"], default: "reject")
        c.emptyText = empty == "keep" ? .keep : .reject
      }
      return (.pretrain(PretrainRecipe(c)), seedCompat)
    case "chat":
      var c = ChatRecipe.Config()
      c.messagesField = try r.string("field", default: c.messagesField)
      c.roleKey = try r.string("role_key", default: c.roleKey)
      c.contentKey = try r.string("content_key", default: c.contentKey)
      let labels = try r.choice("labels", ["all", "assistant_only"], default: "assistant_only")
      c.labels = labels == "all" ? .all : .assistantOnly
      c.maxLength = try maxLength(nil)
      c.forceQwen3Template = try r.choice("template", ["tokenizer", "qwen3"], default: "tokenizer") == "qwen3"
      let config = c
      return (.chat(try wrap("labels") { () throws(TemplateError) in try ChatRecipe(config) }), false)
    default:
      throw r.error("kind", "required: one of prompt_response, conversation, alpaca, pretrain, chat")
    }
  }
}
