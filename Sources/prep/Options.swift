import ArgumentParser
import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// `--tokenizer DIR`, shared by every command that tokenizes or decodes.
struct TokenizerOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "An HF tokenizer directory (tokenizer.json, or vocab.json + merges.txt).",
      discussion: """
        Default: $PREP_TOKENIZER, else the Qwen3 files `make` fetched into .cache/tokenizer/qwen3. \
        The built tables are kept in $PREP_TOKENIZER_CACHE (`off` to disable), else \
        $XDG_CACHE_HOME/prep/tokenizers or ~/.cache/prep/tokenizers, so later commands start at once.
        """))
  var tokenizer: String?

  /// Resolves and loads the tokenizer (`fingerprint`: its `TokenizerSource.fingerprint`, when known).
  func load(fingerprint: String? = nil) throws -> Tokenizer {
    try Tokenizer.load(
      directory: try TokenizerLocation.resolve(tokenizer), cache: TokenizerCache.fromEnvironment(),
      fingerprint: fingerprint)
  }
}

/// Where the default tokenizer lives.
enum TokenizerLocation {
  static let relative = ".cache/tokenizer/qwen3"

  /// `explicit` if given (or "default"), else $PREP_TOKENIZER, else the Makefile's cache found from the current
  /// directory or from the executable's location.
  static func resolve(_ explicit: String?) throws -> String {
    if let explicit, explicit != "default" { return explicit }
    if let env = ProcessInfo.processInfo.environment["PREP_TOKENIZER"], !env.isEmpty { return env }
    let fm = FileManager.default
    var candidates = [fm.currentDirectoryPath]
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    for _ in 0..<6 {
      candidates.append(dir.path)
      dir = dir.deletingLastPathComponent()
    }
    for base in candidates where fm.fileExists(atPath: base + "/" + relative + "/tokenizer.json") {
      return base + "/" + relative
    }
    throw ValidationError(
      """
      no tokenizer found: pass --tokenizer DIR, set PREP_TOKENIZER, or run `make tokenizer` in the prep checkout \
      to fetch the Qwen3 files into \(relative)
      """)
  }
}

/// `--workers N`, defaulting to the cores this process may use.
struct WorkerOptions: ParsableArguments {
  @Option(name: .long, help: "Parallel workers (default: the cores available to this process).")
  var workers: Int?

  var count: Int {
    if let workers { return max(1, workers) }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }

  func validate() throws {
    if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
  }
}
