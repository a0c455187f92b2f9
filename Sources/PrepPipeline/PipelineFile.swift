#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A pipeline file as found on disk, with command-line overrides applied, before typed decoding.
public struct PipelineFile: Sendable {
  /// The path that was read.
  public var path: String
  /// The tree after overrides.
  public var tree: ConfigValue

  /// Wraps an already parsed tree.
  public init(path: String, tree: ConfigValue) {
    self.path = path
    self.tree = tree
  }

  /// Short names for the paths users override most: `--set input=…` sets `input.path`, and so on.
  public static let aliases: [String: String] = [
    "input": "input.path", "output": "output.dir", "tokenizer": "tokenizer",
    "max_length": "recipe.max_length", "cutoff_len": "recipe.cutoff_len", "block_size": "packing.block_size",
    "max_samples": "max_samples", "val_size": "split.val_size", "level": "output.level",
  ]

  /// The top-level sections a pipeline file may have.
  public static let sections = [
    "description", "input", "tokenizer", "recipe", "packing", "output", "split",
    "max_samples", "limits", "variables",
  ]

  /// Finds a pipeline by name: the path as given, else `pipelines/<name>` (adding `.pipeline` if missing).
  public static func locate(_ name: String) -> String? {
    let fm = FileManager.default
    var candidates = [name]
    if !name.hasSuffix(".pipeline") { candidates.append(name + ".pipeline") }
    if !name.contains("/") { candidates += candidates.map { "pipelines/" + $0 } }
    return candidates.first { fm.fileExists(atPath: $0) }
  }

  /// Reads and parses a pipeline file, then applies `key=value` overrides in order.
  public static func load(_ name: String, overrides: [String] = []) throws(ConfigError) -> PipelineFile {
    guard let path = locate(name) else {
      throw ConfigError(
        file: name, line: 0, key: "",
        message: "no such pipeline file (looked in the current directory and in pipelines/)")
    }
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(file: path, line: 0, key: "", message: "cannot read the file as UTF-8 text")
    }
    var file = PipelineFile(path: path, tree: try ConfigValue.parse(yaml: text, file: path))
    for override in overrides { try file.apply(override) }
    return file
  }

  /// Applies one `key=value` override. The value is read as a YAML scalar or flow value (`[a, b]`), except for a
  /// variable (`name=…`, `variables.name=…`), which is always the text as given: `--set name=[AI] helper` or
  /// `--set author={{team}}` fills `{{name}}`/`{{author}}` with exactly that.
  public mutating func apply(_ override: String) throws(ConfigError) {
    guard let eq = override.firstIndex(of: "="), eq != override.startIndex else {
      throw ConfigError(file: "--set", line: 0, key: override, message: "expected key=value")
    }
    let key = String(override[..<eq])
    let raw = String(override[override.index(after: eq)...])
    var dotted = Self.aliases[key] ?? key
    let first = String(dotted.split(separator: ".").first ?? "")
    if !Self.sections.contains(first) {
      // Not a section: a variable such as {{name}} in LLaMA-Factory's identity data.
      guard !key.contains(".") else {
        let hint = nearest(first, in: Self.sections).map { "; did you mean '\($0)'?" } ?? ""
        throw ConfigError(file: "--set", line: 0, key: key, message: "unknown section '\(first)'\(hint)")
      }
      // A near miss of a short name is a typo (`outptu`), not a placeholder: taken as a variable, it would
      // leave the value it meant to set as it was, without a word.
      if let meant = nearest(key, in: Array(Self.aliases.keys) + Self.sections) {
        throw ConfigError(
          file: "--set", line: 0, key: key,
          message: "unknown key; did you mean '\(meant)'? (a {{\(key)}} placeholder is set with variables.\(key)=…)")
      }
      dotted = "variables." + key
    }
    let value: ConfigValue
    let isVariable = dotted.hasPrefix("variables.")
    if !isVariable && (raw.hasPrefix("[") || raw.hasPrefix("{")) {
      let parsed = try ConfigValue.parse(yaml: "v: " + raw, file: "--set")
      value = parsed.value(at: ["v"]) ?? .scalar(raw, quoted: true, line: 0)
    } else {
      value = .scalar(raw, quoted: false, line: 0)
    }
    tree = tree.setting(dotted.split(separator: ".").map(String.init), to: value)
  }
}
