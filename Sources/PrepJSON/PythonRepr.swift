/// What Python's `f"{x}"` (that is `str(x)`) gives for the value `json.loads` produced: strings as they
/// are, `None`, `True`/`False`, ints as written (`-0` is `0`), floats as `repr(float)`, lists and dicts
/// as their `repr`. The seed recipes build prompts this way, so prompts must match byte for byte.
public func pythonStr(_ value: JSONValue) -> String {
  if case .string(let s) = value { return s }
  var out: [UInt8] = []
  PythonRepr.appendRepr(value, to: &out)
  return String(decoding: out, as: UTF8.self)
}

/// Python's `repr(x)` for the value `json.loads` produced (strings quoted and escaped).
public func pythonRepr(_ value: JSONValue) -> String {
  var out: [UInt8] = []
  PythonRepr.appendRepr(value, to: &out)
  return String(decoding: out, as: UTF8.self)
}

/// Python's rendering rules (CPython 3.11, Unicode 14.0 for `str.isprintable`), on UTF-8 bytes.
public enum PythonRepr {
  /// The Unicode version of the reference Python's `unicodedata` (3.11: 14.0). Characters assigned later
  /// are unassigned (`Cn`) for it, hence not printable, hence escaped by `repr`.
  public static let unicodeVersion = (major: 14, minor: 0)

  /// Appends `repr(value)` as UTF-8.
  public static func appendRepr(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "None".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "True" : "False").utf8)
    case .number(let n): out.append(contentsOf: PythonNumber.str(n).utf8)
    case .string(let s): appendStringRepr(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        appendRepr(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let o):
      out.append(UInt8(ascii: "{"))
      for (i, item) in o.pythonItems.enumerated() {
        if i > 0 { out.append(contentsOf: ", ".utf8) }
        appendStringRepr(item.key, to: &out)
        out.append(contentsOf: ": ".utf8)
        appendRepr(item.value, to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  /// `repr(s)` exactly as CPython's `unicode_repr`: single quotes unless the text holds `'` and no `"`;
  /// `\\`, the chosen quote, `\t`, `\n`, `\r` escaped; other C0 controls and DEL as `\xNN`; non-printable
  /// non-ASCII as `\xNN`, `\uNNNN` or `\UNNNNNNNN`.
  public static func stringRepr(_ s: String) -> String {
    var out: [UInt8] = []
    appendStringRepr(s, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends `repr(s)` as UTF-8.
  public static func appendStringRepr(_ s: String, to out: inout [UInt8]) {
    var hasSingle = false
    var hasDouble = false
    for b in s.utf8 {
      if b == UInt8(ascii: "'") { hasSingle = true } else if b == UInt8(ascii: "\"") { hasDouble = true }
    }
    let quote: UInt8 = hasSingle && !hasDouble ? UInt8(ascii: "\"") : UInt8(ascii: "'")
    out.append(quote)
    for scalar in s.unicodeScalars {
      let v = scalar.value
      if v < 0x80 {
        let b = UInt8(v)
        if b == quote || b == 0x5C {
          out.append(0x5C)
          out.append(b)
        } else if b == 0x09 {
          out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        } else if b == 0x0A {
          out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        } else if b == 0x0D {
          out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        } else if b < 0x20 || b == 0x7F {
          appendHexEscape(UInt8(ascii: "x"), v, 2, &out)
        } else {
          out.append(b)
        }
      } else if isPrintable(scalar) {
        appendUTF8(v, &out)
      } else if v <= 0xFF {
        appendHexEscape(UInt8(ascii: "x"), v, 2, &out)
      } else if v <= 0xFFFF {
        appendHexEscape(UInt8(ascii: "u"), v, 4, &out)
      } else {
        appendHexEscape(UInt8(ascii: "U"), v, 8, &out)
      }
    }
    out.append(quote)
  }

  private static func appendHexEscape(_ letter: UInt8, _ v: UInt32, _ digits: Int, _ out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(0x5C)
    out.append(letter)
    var shift = (digits - 1) * 4
    while shift >= 0 {
      out.append(hex[Int((v >> UInt32(shift)) & 15)])
      shift -= 4
    }
  }

  /// Python's `str.isprintable()` for one character: false for the categories Cc, Cf, Cs, Co, Cn, Zl, Zp
  /// and Zs (except the space), and for characters unassigned in `unicodeVersion`.
  public static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    if v < 0x7F { return v >= 0x20 }
    if v < 0xA1 { return false }  // DEL, C1 controls, NBSP
    let props = scalar.properties
    guard let age = props.age else { return false }
    if age.major > unicodeVersion.major || (age.major == unicodeVersion.major && age.minor > unicodeVersion.minor) {
      return false
    }
    switch props.generalCategory {
    case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
      .spaceSeparator:
      return false
    default:
      return true
    }
  }
}

/// Python's reading of JSON number literals: integers stay exact (`int`), everything with a fraction or an
/// exponent (and `NaN`, `Infinity`) becomes a `float`.
public enum PythonNumber {
  /// True when `json.loads` gives an `int` for this literal.
  public static func isInteger(_ literal: String) -> Bool {
    for b in literal.utf8
    where b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
      || b == UInt8(ascii: "N") || b == UInt8(ascii: "I")
    {
      return false
    }
    return true
  }

  /// The literal's value as a `Double` (`NaN`, `Infinity`, `-Infinity` included; out of range gives inf).
  public static func double(_ literal: String) -> Double? {
    switch literal {
    case "NaN": return .nan
    case "Infinity": return .infinity
    case "-Infinity": return -.infinity
    default: return Double(literal)
    }
  }

  /// `str()` of the number `json.loads` gives for `literal`.
  public static func str(_ literal: String) -> String {
    if isInteger(literal) {
      // JSON integers have no leading zeros; only "-0" needs care.
      return literal == "-0" ? "0" : literal
    }
    return floatRepr(double(literal) ?? .nan)
  }

  /// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
  /// exponent is in -4..<16 (`0.0001`, `1e-05`, `1e+16`, `100000.0`), `inf`, `-inf`, `nan`.
  public static func floatRepr(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description also prints the shortest round-trip digits; take digits and exponent from it.
    var digits: [UInt8] = []
    var pointAt = -1  // number of mantissa digits before the point
    var exponent = 0
    var seenE = false
    var expSign = 1
    for b in d.magnitude.description.utf8 {
      if seenE {
        if b == UInt8(ascii: "-") {
          expSign = -1
        } else if b != UInt8(ascii: "+") {
          exponent = exponent * 10 + Int(b - 48)
        }
      } else if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
        seenE = true
      } else if b == UInt8(ascii: ".") {
        pointAt = digits.count
      } else {
        digits.append(b)
      }
    }
    exponent *= expSign
    if pointAt < 0 { pointAt = digits.count }
    // Strip leading zeros (0.00123 -> 123 with the point moved) and trailing zeros.
    var lead = 0
    while lead < digits.count - 1 && digits[lead] == UInt8(ascii: "0") { lead += 1 }
    digits.removeFirst(lead)
    pointAt -= lead
    while digits.count > 1 && digits.last == UInt8(ascii: "0") { digits.removeLast() }
    // Value = 0.d1d2... x 10^decpt.
    let decpt = pointAt + exponent
    var out: [UInt8] = []
    if d < 0 { out.append(UInt8(ascii: "-")) }
    if decpt > -4 && decpt <= 16 {
      if decpt <= 0 {
        out.append(contentsOf: "0.".utf8)
        out.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: -decpt))
        out.append(contentsOf: digits)
      } else if decpt >= digits.count {
        out.append(contentsOf: digits)
        out.append(contentsOf: [UInt8](repeating: UInt8(ascii: "0"), count: decpt - digits.count))
        out.append(contentsOf: ".0".utf8)
      } else {
        out.append(contentsOf: digits[0..<decpt])
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: digits[decpt...])
      }
    } else {
      out.append(digits[0])
      if digits.count > 1 {
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: digits[1...])
      }
      let e = decpt - 1
      out.append(UInt8(ascii: "e"))
      out.append(UInt8(ascii: e < 0 ? "-" : "+"))
      let mag = e < 0 ? -e : e
      if mag < 10 { out.append(UInt8(ascii: "0")) }
      out.append(contentsOf: String(mag).utf8)
    }
    return String(decoding: out, as: UTF8.self)
  }
}
