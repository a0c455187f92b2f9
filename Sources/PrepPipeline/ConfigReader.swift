/// Reads one mapping of a pipeline file into typed values, remembering which keys were read so that any key left
/// over is reported with the nearest valid key (`max_lenght` → "did you mean max_length?").
public struct ConfigReader {
  /// The pipeline file, for messages.
  public let file: String
  /// The dotted path of this mapping (`recipe`), empty at the top.
  public let path: String
  private let entries: [ConfigEntry]
  private let line: Int
  private var known: [String] = []

  /// Wraps a mapping value; anything else is an error naming what was expected.
  public init(_ value: ConfigValue?, file: String, path: String) throws(ConfigError) {
    self.file = file
    self.path = path
    switch value {
    case .mapping(let entries, let line)?:
      self.entries = entries
      self.line = line
    case nil:
      self.entries = []
      self.line = 0
    case let other?:
      throw ConfigError(file: file, line: other.line, key: path, message: "expected a mapping of keys")
    }
  }

  private func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// Whether the key is present.
  public mutating func has(_ key: String) -> Bool {
    known.append(key)
    return entries.contains { $0.key == key }
  }

  /// The raw value of a key.
  public mutating func value(_ key: String) -> ConfigValue? {
    known.append(key)
    return entries.first { $0.key == key }?.value
  }

  /// The line of a key (0 if absent).
  public func line(of key: String) -> Int { entries.first { $0.key == key }?.line ?? line }

  /// An error about `key`.
  public func error(_ key: String, _ message: String) -> ConfigError {
    ConfigError(file: file, line: line(of: key), key: keyPath(key), message: message)
  }

  /// A string (any scalar; numbers are kept as written).
  public mutating func string(_ key: String) throws(ConfigError) -> String? {
    guard let v = value(key) else { return nil }
    guard case .scalar(let s, let quoted, _) = v else { throw error(key, "expected a text value") }
    if !quoted && (s == "~" || s == "null") { return nil }
    return s
  }

  /// A string with a default.
  public mutating func string(_ key: String, default fallback: String) throws(ConfigError) -> String {
    try string(key) ?? fallback
  }

  /// A string that must be one of `choices`.
  public mutating func choice(_ key: String, _ choices: [String], default fallback: String) throws(ConfigError)
    -> String
  {
    let s = try string(key, default: fallback)
    guard choices.contains(s) else {
      let hint = nearest(s, in: choices).map { "; did you mean '\($0)'?" } ?? ""
      throw error(key, "'\(s)' is not one of \(choices.joined(separator: ", "))\(hint)")
    }
    return s
  }

  /// An integer (underscores allowed: `40_000`).
  public mutating func int(_ key: String) throws(ConfigError) -> Int? {
    guard let s = try string(key) else { return nil }
    guard let n = Int(s.replacingUnderscores()) else { throw error(key, "expected a whole number, found '\(s)'") }
    return n
  }

  /// An integer with a default and a lower bound.
  public mutating func int(_ key: String, default fallback: Int, min: Int = Int.min) throws(ConfigError) -> Int {
    let n = try int(key) ?? fallback
    guard n >= min else { throw error(key, "must be at least \(min), found \(n)") }
    return n
  }

  /// A number.
  public mutating func double(_ key: String) throws(ConfigError) -> Double? {
    guard let s = try string(key) else { return nil }
    guard let n = Double(s.replacingUnderscores()) else { throw error(key, "expected a number, found '\(s)'") }
    return n
  }

  /// A boolean (`true/false`, `yes/no`, `on/off`).
  public mutating func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
    guard let s = try string(key) else { return fallback }
    switch s.lowercased() {
    case "true", "yes", "on", "1": return true
    case "false", "no", "off", "0": return false
    default: throw error(key, "expected true or false, found '\(s)'")
    }
  }

  /// A list of strings; a single scalar counts as a list of one.
  public mutating func strings(_ key: String) throws(ConfigError) -> [String]? {
    guard let v = value(key) else { return nil }
    switch v {
    case .scalar(let s, _, _): return [s]
    case .sequence(let items, _):
      var out: [String] = []
      for item in items {
        guard case .scalar(let s, _, _) = item else { throw error(key, "expected a list of text values") }
        out.append(s)
      }
      return out
    case .mapping: throw error(key, "expected a text value or a list of them")
    }
  }

  /// A mapping of string to string.
  public mutating func stringMap(_ key: String) throws(ConfigError) -> [(String, String)] {
    guard let v = value(key) else { return [] }
    guard case .mapping(let entries, _) = v else { throw error(key, "expected a mapping of names to text") }
    var out: [(String, String)] = []
    for e in entries {
      guard case .scalar(let s, _, _) = e.value else {
        throw ConfigError(file: file, line: e.line, key: keyPath(key) + "." + e.key, message: "expected a text value")
      }
      out.append((e.key, s))
    }
    return out
  }

  /// A nested section.
  public mutating func section(_ key: String) throws(ConfigError) -> ConfigReader {
    try ConfigReader(value(key), file: file, path: keyPath(key))
  }

  /// Fails on the first key that was never read, suggesting the nearest key that was.
  public func finish() throws(ConfigError) {
    try checkKeys(known)
  }

  /// Throws for the first key of the mapping that is not in `valid`, naming the nearest valid one.
  public func checkKeys(_ valid: [String]) throws(ConfigError) {
    for entry in entries where !valid.contains(entry.key) {
      let hint = nearest(entry.key, in: valid).map { "; did you mean '\($0)'?" } ?? ""
      let list = Array(Set(valid)).sorted().joined(separator: ", ")
      throw ConfigError(
        file: file, line: entry.line, key: keyPath(entry.key),
        message: "unknown key\(hint) (valid here: \(list))")
    }
  }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
public func nearest(_ word: String, in candidates: [String]) -> String? {
  var best: (String, Int)? = nil
  for c in Set(candidates).sorted() {
    let d = editDistance(Array(word.lowercased().unicodeScalars), Array(c.lowercased().unicodeScalars))
    guard d <= max(2, c.unicodeScalars.count / 3) else { continue }
    if let current = best, current.1 <= d { continue }
    best = (c, d)
  }
  return best?.0
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in 0...a.count { d[i][0] = i }
  for j in 0...b.count { d[0][j] = j }
  for i in 1...a.count {
    for j in 1...b.count {
      let cost = a[i - 1] == b[j - 1] ? 0 : 1
      d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
    }
  }
  return d[a.count][b.count]
}

extension String {
  fileprivate func replacingUnderscores() -> String { String(unicodeScalars.filter { $0 != "_" }.map(Character.init)) }
}
