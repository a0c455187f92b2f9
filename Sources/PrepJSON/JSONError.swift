/// Why a JSON document was rejected, with the byte offset (from the start of the parsed bytes) where the
/// parser stopped and what it expected there.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The class of failure.
  public enum Kind: String, Sendable, Equatable {
    /// The document ended before a complete value.
    case unexpectedEnd = "unexpected_end"
    /// A byte that cannot start or continue the value at this point.
    case unexpectedCharacter = "unexpected_character"
    /// Raw bytes that are not well-formed UTF-8 (inside or outside a string).
    case invalidUTF8 = "invalid_utf8"
    /// A raw control character (< 0x20) inside a string (Python's strict mode rejects them).
    case controlCharacter = "control_character"
    /// A backslash followed by something other than `"\/bfnrtu`, or a malformed `\uXXXX`.
    case invalidEscape = "invalid_escape"
    /// A `\uD800`-`\uDFFF` escape without its partner, when `JSONParseOptions.loneSurrogates` is `.reject`.
    case loneSurrogate = "lone_surrogate"
    /// A number that does not follow the JSON grammar (`01`, `1.`, `-`, `1e`).
    case invalidNumber = "invalid_number"
    /// Non-whitespace after the top-level value (Python: "Extra data").
    case trailingData = "trailing_data"
    /// Arrays and objects nested deeper than `JSONParseOptions.maxDepth`.
    case tooDeep = "too_deep"
  }

  /// The class of failure.
  public var kind: Kind
  /// 0-based byte offset in the parsed bytes.
  public var offset: Int
  /// What the parser expected or found, in words (`expected ',' or '}' after an object member`).
  public var message: String

  /// Creates an error.
  public init(_ kind: Kind, at offset: Int, _ message: String) {
    self.kind = kind
    self.offset = offset
    self.message = message
  }

  /// `message at byte N`.
  public var description: String { "\(message) at byte \(offset)" }
}
