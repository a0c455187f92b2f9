import Yams

/// A pipeline file as a tree of values that remember their line, so that every error names file, line and key.
///
/// Parsed from YAML with Yams, then owned by prep: `--set` overrides edit this tree before it is decoded into typed
/// configuration, and `--dry-run` prints it back.
public indirect enum ConfigValue: Sendable, Equatable {
  /// A scalar as written (`384`, `true`, `out/fudan`); `quoted` when written in quotes (always a string).
  case scalar(String, quoted: Bool, line: Int)
  /// A mapping with its keys in file order.
  case mapping([ConfigEntry], line: Int)
  /// A sequence.
  case sequence([ConfigValue], line: Int)

  /// The 1-based line the value starts on (0 for values given on the command line).
  public var line: Int {
    switch self {
    case .scalar(_, _, let line), .mapping(_, let line), .sequence(_, let line): return line
    }
  }
}

/// One `key: value` of a mapping.
public struct ConfigEntry: Sendable, Equatable {
  /// The key.
  public var key: String
  /// The value.
  public var value: ConfigValue
  /// The 1-based line of the key.
  public var line: Int
}

/// What went wrong with a pipeline file or an override, with where.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The pipeline file (or `--set` for command-line overrides).
  public var file: String
  /// 1-based line, 0 when unknown.
  public var line: Int
  /// The dotted key path (`recipe.max_length`).
  public var key: String
  /// What is wrong.
  public var message: String

  /// Creates an error.
  public init(file: String, line: Int, key: String, message: String) {
    self.file = file
    self.line = line
    self.key = key
    self.message = message
  }

  /// `file:line: key: message`.
  public var description: String {
    let place = line > 0 ? "\(file):\(line)" : file
    return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
  }
}

extension ConfigValue {
  /// Parses YAML text into a tree. The top level must be a mapping.
  public static func parse(yaml: String, file: String) throws(ConfigError) -> ConfigValue {
    let node: Node?
    do {
      node = try Yams.compose(yaml: yaml)
    } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
      let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
      throw ConfigError(
        file: file, line: context.mark.line, key: "",
        message: "\(keys) appears more than once in the mapping that starts here (a key may appear once)")
    } catch let error as YamlError {
      throw ConfigError(file: file, line: Self.line(of: error), key: "", message: "not valid YAML: \(error)")
    } catch {
      throw ConfigError(file: file, line: 0, key: "", message: "not valid YAML: \(error)")
    }
    guard let node else { throw ConfigError(file: file, line: 1, key: "", message: "the pipeline file is empty") }
    let tree = try convert(node, file: file, path: "")
    guard case .mapping = tree else {
      throw ConfigError(
        file: file, line: tree.line, key: "",
        message: "a pipeline file is a mapping of sections (input:, recipe:, output:, ...)")
    }
    return tree
  }

  private static func line(of error: YamlError) -> Int {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
    default: return 0
    }
  }

  private static func convert(_ node: Node, file: String, path: String) throws(ConfigError) -> ConfigValue {
    let line = node.mark?.line ?? 0
    switch node {
    case .scalar(let scalar):
      let quoted =
        scalar.style == .singleQuoted || scalar.style == .doubleQuoted || scalar.style == .literal
        || scalar.style == .folded
      return .scalar(scalar.string, quoted: quoted, line: line)
    case .sequence(let seq):
      var items: [ConfigValue] = []
      for (i, item) in seq.enumerated() { items.append(try convert(item, file: file, path: "\(path).\(i)")) }
      return .sequence(items, line: line)
    case .mapping(let map):
      var entries: [ConfigEntry] = []
      for (keyNode, valueNode) in map {
        guard case .scalar(let k) = keyNode else {
          throw ConfigError(
            file: file, line: keyNode.mark?.line ?? line, key: path, message: "keys must be plain words")
        }
        let keyPath = path.isEmpty ? k.string : "\(path).\(k.string)"
        if entries.contains(where: { $0.key == k.string }) {
          throw ConfigError(file: file, line: keyNode.mark?.line ?? line, key: keyPath, message: "key given twice")
        }
        entries.append(
          ConfigEntry(
            key: k.string, value: try convert(valueNode, file: file, path: keyPath),
            line: keyNode.mark?.line ?? line))
      }
      return .mapping(entries, line: line)
    case .alias:
      throw ConfigError(file: file, line: line, key: path, message: "YAML aliases are not supported in pipeline files")
    }
  }

  /// The value at a dotted path, or nil.
  public func value(at path: [String]) -> ConfigValue? {
    guard let first = path.first else { return self }
    switch self {
    case .mapping(let entries, _):
      guard let entry = entries.first(where: { $0.key == first }) else { return nil }
      return entry.value.value(at: Array(path.dropFirst()))
    case .sequence(let items, _):
      guard let i = Int(first), items.indices.contains(i) else { return nil }
      return items[i].value(at: Array(path.dropFirst()))
    case .scalar: return nil
    }
  }

  /// Returns the tree with the value at `path` replaced (mappings on the way are created as needed).
  public func setting(_ path: [String], to newValue: ConfigValue) -> ConfigValue {
    guard let first = path.first else { return newValue }
    let rest = Array(path.dropFirst())
    switch self {
    case .mapping(var entries, let line):
      if let i = entries.firstIndex(where: { $0.key == first }) {
        entries[i].value = entries[i].value.setting(rest, to: newValue)
      } else {
        entries.append(
          ConfigEntry(key: first, value: ConfigValue.mapping([], line: 0).setting(rest, to: newValue), line: 0))
      }
      return .mapping(entries, line: line)
    case .sequence(var items, let line):
      if let i = Int(first), items.indices.contains(i) {
        items[i] = items[i].setting(rest, to: newValue)
        return .sequence(items, line: line)
      }
      return ConfigValue.mapping([], line: line).setting(path, to: newValue)
    case .scalar(_, _, let line):
      return ConfigValue.mapping([], line: line).setting(path, to: newValue)
    }
  }

  /// The tree as YAML text (for `--dry-run`): keys in order, strings quoted when YAML would misread them.
  public func yaml(indent: Int = 0) -> String {
    var out = ""
    write(into: &out, indent: indent)
    return out
  }

  private func write(into out: inout String, indent: Int) {
    let pad = String(repeating: " ", count: indent)
    switch self {
    case .scalar(let s, let quoted, _):
      out += Self.render(s, quoted: quoted) + "\n"
    case .sequence(let items, _):
      if items.isEmpty { out += "[]\n"; return }
      out += "\n"
      for item in items {
        out += pad + "- "
        if case .mapping = item {
          out += "\n" + item.yaml(indent: indent + 4).dropLast() + "\n"
        } else {
          item.write(into: &out, indent: indent + 2)
        }
      }
    case .mapping(let entries, _):
      if entries.isEmpty { out += "{}\n"; return }
      if indent > 0 || !out.isEmpty { out += "\n" }
      for entry in entries {
        out += pad + entry.key + ":"
        if case .scalar = entry.value { out += " " }
        entry.value.write(into: &out, indent: indent + 2)
      }
    }
  }

  private static func render(_ s: String, quoted: Bool) -> String {
    let plainSafe =
      !s.isEmpty && !quoted
      && s.unicodeScalars.allSatisfy { c in
        c.properties.isAlphabetic || c.properties.numericType != nil || "._/-+".unicodeScalars.contains(c)
      }
    if plainSafe { return s }
    var q = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": q += "\\\""
      case "\\": q += "\\\\"
      case "\n": q += "\\n"
      case "\t": q += "\\t"
      case "\r": q += "\\r"
      default:
        if c.value < 0x20 { q += "\\x" + String(c.value, radix: 16).leftPadded(2) } else { q.unicodeScalars.append(c) }
      }
    }
    return q + "\""
  }
}

extension String {
  fileprivate func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
