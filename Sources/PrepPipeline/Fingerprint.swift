import PrepCore

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The fingerprint of a tokenizer directory: SHA-256 over the files that decide token ids (`tokenizer.json`, else
/// `vocab.json` + `merges.txt`, plus `tokenizer_config.json` when present), written `sha256:<hex>`. Two directories
/// with the same files have the same fingerprint wherever they are.
public func tokenizerFingerprint(_ directory: String) throws -> String {
  let fm = FileManager.default
  let main = fm.fileExists(atPath: directory + "/tokenizer.json") ? ["tokenizer.json"] : ["vocab.json", "merges.txt"]
  var sha = SHA256()
  for name in main + ["tokenizer_config.json"] {
    guard let data = fm.contents(atPath: directory + "/" + name) else {
      if name == "tokenizer_config.json" { continue }
      throw FingerprintError(path: directory + "/" + name)
    }
    sha.update(Array(name.utf8) + [0])
    sha.update(Array(String(data.count).utf8) + [0])
    sha.update([UInt8](data))
  }
  return "sha256:" + sha.finalize().description
}

/// A tokenizer file that could not be read for the fingerprint.
public struct FingerprintError: Error, CustomStringConvertible {
  /// The file.
  public var path: String
  public var description: String { "cannot read \(path)" }
}
