import ArgumentParser
import PrepInput
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

  /// The resolved directory's `TokenizerSource.fingerprint`.
  func fingerprint() throws -> String { try tokenizerFingerprint(directory: try TokenizerLocation.resolve(tokenizer)) }

  /// Resolves and loads the tokenizer (`fingerprint`: its `TokenizerSource.fingerprint`, when known).
  func load(fingerprint: String? = nil) throws -> Tokenizer {
    try Tokenizer.load(
      directory: try TokenizerLocation.resolve(tokenizer), cache: TokenizerCache.fromEnvironment(),
      fingerprint: fingerprint)
  }
}

/// `TokenizerSource.fingerprint(directory:)`, remembered by the compiled-tokenizer cache when there is one.
func tokenizerFingerprint(directory: String) throws -> String {
  try TokenizerCache.fromEnvironment()?.fingerprint(directory: directory)
    ?? TokenizerSource.fingerprint(directory: directory)
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

/// `--partition I/N` or `--partition auto`.
enum PartitionOption {
  /// Why a partition could not be worked out.
  struct Problem: Error {
    var text: String
  }

  /// `I/N`, or for `auto` the task of a Slurm job array: I = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN,
  /// N = SLURM_ARRAY_TASK_COUNT (an array with a step or gaps is refused: its ids do not number the slices).
  /// Kubernetes does not tell an Indexed Job's pod the number of completions, so there `auto` is refused with
  /// the form that works: `--partition $(JOB_COMPLETION_INDEX)/N`, which Kubernetes expands in the arguments.
  static func resolve(
    _ text: String, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> Result<InputPartition, Problem> {
    if text != "auto" {
      guard let p = InputPartition(parsing: text) else {
        return .failure(Problem(text: "--partition takes I/N with 0 <= I < N (3/8), or auto, not '\(text)'"))
      }
      return .success(p)
    }
    func number(_ name: String) -> Int? { environment[name].flatMap { Int($0) } }
    guard let id = number("SLURM_ARRAY_TASK_ID") else {
      if let index = environment["JOB_COMPLETION_INDEX"] {
        return .failure(
          Problem(
            text: "--partition auto: Kubernetes gives the index (JOB_COMPLETION_INDEX=\(index)) but not the "
              + "number of parts: pass --partition $(JOB_COMPLETION_INDEX)/N in the container's args"))
      }
      return .failure(
        Problem(
          text: "--partition auto: not a Slurm array task (SLURM_ARRAY_TASK_ID is not set): pass --partition I/N"))
    }
    guard let count = number("SLURM_ARRAY_TASK_COUNT") else {
      return .failure(Problem(text: "--partition auto: SLURM_ARRAY_TASK_COUNT is not set: pass --partition I/N"))
    }
    let low = number("SLURM_ARRAY_TASK_MIN") ?? 0
    if let high = number("SLURM_ARRAY_TASK_MAX"), high - low + 1 != count {
      return .failure(
        Problem(
          text: "--partition auto: the array \(low)-\(high) has \(count) tasks (a step or gaps): its task ids "
            + "do not number the parts; pass --partition I/N"))
    }
    guard let p = InputPartition(index: id - low, count: count) else {
      return .failure(
        Problem(text: "--partition auto: task \(id) of \(count) (from \(low)) is not a part 0..<\(count)"))
    }
    return .success(p)
  }
}
