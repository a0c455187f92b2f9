import PrepCore

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Paths the tests need: the repository root, fixtures, the tokenizer cache and the built binary.
public enum TestPaths {
  /// The repository root, found from this file's location.
  public static let root: String = {
    var path = #filePath
    for _ in 0..<3 {  // Tests/PrepTestSupport/Paths.swift -> repo
      if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
    }
    return path
  }()

  /// `fixtures/<name>`.
  public static func fixture(_ name: String) -> String { root + "/fixtures/" + name }

  /// The Qwen tokenizer directory: `PREP_TOKENIZER`, else the Makefile's cache.
  public static var tokenizer: String {
    if let env = ProcessInfo.processInfo.environment["PREP_TOKENIZER"], !env.isEmpty { return env }
    return root + "/.cache/tokenizer/qwen3"
  }

  /// The built `prep` binary (`PREP_BIN`, else `.build/debug/prep`).
  public static var binary: String {
    if let env = ProcessInfo.processInfo.environment["PREP_BIN"], !env.isEmpty { return env }
    return root + "/.build/debug/prep"
  }

  /// A fresh temporary directory for one test.
  public static func temporaryDirectory(_ tag: String = "prep-test") -> String {
    let dir = FileManager.default.temporaryDirectory.path + "/\(tag)-\(UInt64.random(in: 0...UInt64.max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }
}
