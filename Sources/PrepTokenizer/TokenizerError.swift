/// Why a tokenizer directory could not be loaded. Each case names the file and what was found there.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
  /// The directory has neither `tokenizer.json` nor `vocab.json` with `merges.txt`.
  case missingFiles(directory: String)
  /// A file could not be read.
  case unreadable(file: String, reason: String)
  /// A file is not valid JSON (or not a valid merges file) at a byte offset.
  case malformedFile(file: String, offset: Int, message: String)
  /// The file asks for a component prep does not implement exactly; prep refuses rather than approximate.
  case unsupported(file: String, component: String, found: String, reason: String)
  /// The file is well-formed but contradicts itself (a merge of unknown tokens, a missing byte token, ...).
  case inconsistent(file: String, message: String)
  /// The bytes given to `encode(utf8:into:)` are not valid UTF-8 (byte offset of the first bad byte).
  case invalidUTF8(offset: Int)

  /// One line naming the file and what is wrong.
  public var description: String {
    switch self {
    case .missingFiles(let directory):
      return "\(directory): no tokenizer.json, and no vocab.json + merges.txt pair"
    case .unreadable(let file, let reason):
      return "\(file): cannot read: \(reason)"
    case .malformedFile(let file, let offset, let message):
      return "\(file): byte \(offset): \(message)"
    case .unsupported(let file, let component, let found, let reason):
      return "\(file): unsupported \(component): \(found) (\(reason)); prep refuses to tokenize approximately"
    case .inconsistent(let file, let message):
      return "\(file): \(message)"
    case .invalidUTF8(let offset):
      return "invalid UTF-8 at byte \(offset)"
    }
  }
}
