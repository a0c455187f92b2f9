import ArgumentParser
import CMalloc

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The `prep` command: raw corpora in, training-ready Qwen token shards out.
@main
struct Prep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "prep",
    abstract: "Turn raw corpora into training-ready token shards for Qwen-family models.",
    discussion: """
      Typical use:
        prep run pipelines/fudan.pipeline   input -> tokens -> shards
        prep merge out/monkey               the parts of run --partition I/N joined
        prep stats out/fudan                what is in the shards
        prep verify out/fudan               checksums, counts, ids; exit 1 on a fault
        prep inspect out/fudan --sample 3   samples decoded, trained spans marked
        prep export out/fudan               one JSON object per sample
        prep tokenize "你好, world"         ids and pieces
        prep train out/fudan                a toy Qwen2-shaped model on the shards
      """,
    version: prepVersion,
    subcommands: [Run.self, Merge.self, Tokenize.self, Export.self, Stats.self, Verify.self, Inspect.self, Train.self]
  )

  /// Parses and runs like ArgumentParser's own `main`, except that an error of prep's (a tokenizer, input,
  /// shard or pipeline error) is printed as `error: <what and where>` like every other failure, exit code 1.
  /// Usage errors, help requests and explicit exit codes keep ArgumentParser's handling.
  static func main() {
    // Freed memory stays with the process for the next chunk: without this, glibc gives it back to the kernel
    // and a run faults fresh zeroed pages in again, more the longer its input (monkey over the dev corpus:
    // 16-22k page faults; with it, about 11k, and as many over the corpus twice).
    _ = prep_keep_freed_memory()
    // A file-size limit (`ulimit -f`) makes a write fail with EFBIG, reported like a full disk (and a run
    // past its first checkpoint can be resumed), instead of killing prep with SIGXFSZ in the middle of a shard.
    signal(SIGXFSZ, SIG_IGN)
    var command: ParsableCommand
    do {
      command = try parseAsRoot()
    } catch {
      exit(withError: error)
    }
    do {
      try command.run()
    } catch {
      // Errors of prep's own modules (PrepTokenizer.TokenizerError, PrepShard.ShardError, ...) describe
      // themselves; anything else (a usage error, a help request, an exit code) is ArgumentParser's to show.
      if String(reflecting: type(of: error)).hasPrefix("Prep") { fail("\(error)", code: 1) }
      exit(withError: error)
    }
  }
}

/// prep's version, recorded in every index.json.
let prepVersion = "0.1.0"
