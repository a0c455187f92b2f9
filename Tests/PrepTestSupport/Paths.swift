import PrepCore

#if canImport(Glibc)
  import Glibc
#endif
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

  /// A fresh temporary directory for one test, inside `scratchRoot`.
  public static func temporaryDirectory(_ tag: String = "prep-test") -> String {
    let dir = scratchRoot + "/\(tag)-\(UInt64.random(in: 0...UInt64.max))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// One directory per test process holding every `temporaryDirectory`, removed when the process exits
  /// (a run that crashes leaves only this one behind): the tests make thousands of directories, and left
  /// in the system's temporary directory they piled up run after run.
  /// `PREP_KEEP_TEST_FILES=1` keeps it, to look at what a test wrote.
  public static let scratchRoot: String = {
    let name = "prep-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let root = FileManager.default.temporaryDirectory.path + "/" + name
    try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    scratchRootForExit = root
    if ProcessInfo.processInfo.environment["PREP_KEEP_TEST_FILES"] != "1" {
      atexit {
        if let root = scratchRootForExit { try? FileManager.default.removeItem(atPath: root) }
      }
    }
    return root
  }()
}

/// `TestPaths.scratchRoot` for the exit handler, which cannot capture it.
nonisolated(unsafe) private var scratchRootForExit: String? = nil
