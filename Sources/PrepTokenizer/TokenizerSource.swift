import PrepCore

#if canImport(Glibc)
  import Glibc
#endif
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// How a tokenizer directory is laid out: `tokenizer.json`, else `vocab.json` + `merges.txt` (with
/// `tokenizer_config.json`). The loader and the fingerprint both go by it.
enum TokenizerLayout: Equatable {
  case tokenizerJSON
  case vocabMerges

  /// The layout of `directory`; `missingFiles` when it has neither (or is no directory).
  init(directory: String) throws(TokenizerError) {
    let manager = FileManager.default
    if manager.fileExists(atPath: directory + "/tokenizer.json") {
      self = .tokenizerJSON
    } else if manager.fileExists(atPath: directory + "/vocab.json")
      && manager.fileExists(atPath: directory + "/merges.txt")
    {
      self = .vocabMerges
    } else {
      throw .missingFiles(directory: directory)
    }
  }

  /// The files that decide the ids, in the order the fingerprint hashes them; `tokenizer_config.json`, last,
  /// may be missing.
  var files: [String] {
    switch self {
    case .tokenizerJSON: return ["tokenizer.json", "tokenizer_config.json"]
    case .vocabMerges: return ["vocab.json", "merges.txt", "tokenizer_config.json"]
    }
  }
}

/// The files of a tokenizer directory that decide token ids, and their fingerprint.
public enum TokenizerSource {
  /// SHA-256 over the name, size and bytes of each file of the directory's `TokenizerLayout`, written
  /// `sha256:<hex>`: two directories with the same files have the same fingerprint wherever they are. Datasets
  /// record it in `index.json` (so `prep run` can tell whether a dataset is up to date, and `prep verify`
  /// whether it was made with this tokenizer), and the compiled-tokenizer cache is keyed by it.
  public static func fingerprint(directory: String) throws(TokenizerError) -> String {
    var sha = SHA256()
    for name in try TokenizerLayout(directory: directory).files {
      let path = directory + "/" + name
      if name == "tokenizer_config.json" && !FileManager.default.fileExists(atPath: path) { continue }
      sha.update(Array(name.utf8) + [0])
      if let mapped = MappedFile(path: path) {
        sha.update(Array(String(mapped.bytes.count).utf8) + [0])
        sha.update(mapped.bytes)
      } else {
        let bytes = try readBytes(path)
        sha.update(Array(String(bytes.count).utf8) + [0])
        sha.update(bytes)
      }
    }
    return "sha256:" + sha.finalize().description
  }

  /// The chat template of a tokenizer directory as transformers loads it: `chat_template.jinja` when there is
  /// one, else `chat_template` of `tokenizer_config.json` (a string, or the entry named `default` of a list of
  /// named templates); nil when the directory has none. Also the file it came from.
  public static func chatTemplate(directory: String) throws(TokenizerError) -> (template: String, file: String)? {
    let jinja = directory + "/chat_template.jinja"
    if FileManager.default.fileExists(atPath: jinja) {
      let bytes = try readBytes(jinja)
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw .inconsistent(file: jinja, message: "not UTF-8 text")
      }
      return (text, jinja)
    }
    let config = directory + "/tokenizer_config.json"
    guard FileManager.default.fileExists(atPath: config) else { return nil }
    var scanner = JSONScanner(bytes: try readBytes(config), file: config)
    let root = try scanner.parseValue()
    switch root["chat_template"] {
    case .string(let text)?:
      return (text, config)
    case .array(let named)?:
      for entry in named where entry["name"]?.string == "default" {
        if let text = entry["template"]?.string { return (text, config) }
      }
      // Named templates without a default: transformers refuses to pick one, so none of them is Qwen3's as used.
      return ("named chat templates without a 'default' one", config)
    default:
      return nil
    }
  }

  /// The whole file at `path`, read straight into an array (no intermediate copy).
  static func readBytes(_ path: String) throws(TokenizerError) -> [UInt8] {
    #if canImport(Glibc)
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
      defer { close(fd) }
      var info = stat()
      guard fstat(fd, &info) == 0 else { throw .unreadable(file: path, reason: String(cString: strerror(errno))) }
      guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(file: path, reason: "not a regular file") }
      let size = Int(info.st_size)
      var failure: Int32 = 0
      let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        guard let base = buffer.baseAddress else { return }
        while initialized < size {
          let got = read(fd, base + initialized, size - initialized)
          if got < 0 && errno == EINTR { continue }
          if got <= 0 {
            failure = got < 0 ? errno : -1
            break
          }
          initialized += got
        }
      }
      guard failure == 0, bytes.count == size else {
        let reason = failure == -1 ? "the file got shorter while it was read" : String(cString: strerror(failure))
        throw .unreadable(file: path, reason: reason)
      }
      return bytes
    #else
      do {
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      } catch {
        throw .unreadable(file: path, reason: "\(error)")
      }
    #endif
  }
}
