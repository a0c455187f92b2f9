/// What the stages after the tokenizer need of it. `PrepTokenizer.Tokenizer` is the implementation;
/// tests of templates and packing may use a small fake.
public protocol TokenEncoder: Sendable {
  /// Appends the ids of `text` to `ids`, exactly as HF `tokenizer(text, add_special_tokens=False)`:
  /// added tokens written literally in the text (`<|im_start|>`, `<|endoftext|>`, `<think>`, ...) become
  /// their ids; everything else goes through NFC, the pre-tokenizer and BPE.
  func encode(_ text: String, into ids: inout [UInt32])

  /// Appends the ids of text given as valid UTF-8 bytes (for example a JSON parser's output), exactly as
  /// `encode(_:into:)` of the same text.
  func encode(validUTF8 text: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32])

  /// `encode(validUTF8:into:)` of bytes already checked (see `ValidUTF8`): not checked again.
  func encode(_ text: ValidUTF8, into ids: inout [UInt32])

  /// The id of an added token given by its exact content (`"<|im_end|>"`), or nil if the tokenizer has none.
  func addedTokenID(_ content: String) -> UInt32?

  /// Text for ids, invalid UTF-8 replaced by U+FFFD (HF's `errors="replace"`).
  func decode(_ ids: [UInt32]) -> String

  /// The number of ids, added tokens included (ids are below this).
  var vocabularySize: Int { get }

  /// The contents of every added token, or nil when unknown or when what a token matches depends on the text
  /// around it (HF's `single_word`, `lstrip`, `rstrip` and `normalized` options). Knowing them lets a recipe
  /// prove that a constant prefix tokenizes the same on its own as inside a longer text (and encode it once).
  var addedTokenContents: [String]? { get }
}

extension TokenEncoder {
  /// Unknown by default.
  public var addedTokenContents: [String]? { nil }

  /// Through a `String` by default.
  public func encode(validUTF8 text: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]) {
    encode(String(decoding: text, as: UTF8.self), into: &ids)
  }

  /// Through `encode(validUTF8:into:)` by default.
  public func encode(_ text: ValidUTF8, into ids: inout [UInt32]) { encode(validUTF8: text.bytes, into: &ids) }

  /// The ids of `text`, as a new array.
  public func encode(_ text: String) -> [UInt32] {
    var ids = [UInt32]()
    encode(text, into: &ids)
    return ids
  }
}
