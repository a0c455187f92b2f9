// Stand-in for the template branch only: the real `pythonStr` is written in parallel in PrepJSON and
// replaces this file at merge. Enough of Python's `f"{x}"` for the template tests: strings as-is,
// containers through a small `repr` with CPython's quote choice, numbers as written, True/False/None.

/// Python's `f"{x}"` of the value `json.loads` produced (stand-in; see the file comment).
public func pythonStr(_ value: JSONValue) -> String {
  if case .string(let s) = value { return s }
  var out = ""
  standInRepr(value, into: &out)
  return out
}

private func standInRepr(_ value: JSONValue, into out: inout String) {
  switch value {
  case .null: out += "None"
  case .bool(let b): out += b ? "True" : "False"
  case .number(let n): out += n
  case .string(let s):
    let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
    out.append(quote)
    for c in s.unicodeScalars {
      switch c {
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if Character(c) == quote { out += "\\" }
        out.unicodeScalars.append(c)
      }
    }
    out.append(quote)
  case .array(let items):
    out += "["
    for (i, item) in items.enumerated() {
      if i > 0 { out += ", " }
      standInRepr(item, into: &out)
    }
    out += "]"
  case .object(let object):
    out += "{"
    for i in 0..<object.keys.count {
      if i > 0 { out += ", " }
      standInRepr(.string(object.keys[i]), into: &out)
      out += ": "
      standInRepr(object.values[i], into: &out)
    }
    out += "}"
  }
}
