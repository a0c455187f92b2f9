import PrepCore

/// Byte-level BPE exactly as HF `tokenizers` runs a Qwen `tokenizer.json`.
///
/// (Interface only until the tokenizer lands: see issue 2.)
public final class Tokenizer: TokenEncoder {
  /// Loads an HF tokenizer directory (`tokenizer.json`, or `vocab.json` + `merges.txt`).
  public static func load(directory: String) throws -> Tokenizer { fatalError("tokenizer not implemented yet") }

  public func encode(_ text: String, into ids: inout [UInt32]) { fatalError("tokenizer not implemented yet") }
  public func addedTokenID(_ content: String) -> UInt32? { fatalError("tokenizer not implemented yet") }
  public func decode(_ ids: [UInt32]) -> String { fatalError("tokenizer not implemented yet") }
  public var vocabularySize: Int { fatalError("tokenizer not implemented yet") }
}
