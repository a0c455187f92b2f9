import ArgumentParser
import PrepCore
import PrepInput
import PrepPipeline
import PrepShard
import PrepTemplate
import PrepTokenizer

/// `prep run`: a pipeline file from input to shards.
struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a pipeline: read the input, convert, tokenize, pack and write shards.",
    discussion: """
      PIPELINE is a file, or a name looked up in pipelines/ (fudan = pipelines/fudan.pipeline).
      Examples:
        prep run fudan
        prep run pipelines/belle.pipeline --set input=/data/train_3.5M_CN.json --workers 2
        prep run identity --set name=PrepBot --set author="the prep team"
        prep run monkey --dry-run
      Rejected records go to OUTPUT/rejects.jsonl with file, line, byte offset and reason.
      A run checkpoints as it finishes shards; if it is killed, `prep run PIPELINE --resume` continues it.
      Distributed: with --partition I/N, task I of N reads only its slice of the input (records are never cut, \
      the slices together are the input in order) and writes a complete dataset into \
      OUTPUT/part-IIIII-of-NNNNN; `prep merge OUTPUT` joins the N parts. Resume and the up-to-date check work \
      per part. Refused with --partition: split.val_size, max_samples and recipe.seed_compat (they need the \
      whole input). --partition auto takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID, \
      SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT); in a Kubernetes Indexed Job pass \
      --partition $(JOB_COMPLETION_INDEX)/N.
      """)

  @Argument(help: "The pipeline file (or its name under pipelines/).")
  var pipeline: String

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override a value: --set input=PATH, --set output=DIR, --set recipe.max_length=512, "
        + "--set name=VALUE (a {{name}} variable).", valueName: "key=value"))
  var overrides: [String] = []

  @Flag(name: .long, help: "Print the resolved pipeline and stop.")
  var dryRun = false

  @Flag(name: .long, help: "Replace a dataset already in the output directory.")
  var force = false

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Continue an interrupted run (killed, out of disk) from its last checkpoint; the result is "
        + "byte-identical to an uninterrupted run."))
  var resume = false

  @Flag(name: .long, help: "No progress lines on stderr.")
  var quiet = false

  @Option(name: .long, help: "Fail when more records than this are rejected: a count or a percentage (2%).")
  var maxRejects: String?

  @Option(name: .long, help: "Tokenizer directory (overrides the pipeline's `tokenizer`).")
  var tokenizer: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Run slice I of N of the input (0 <= I < N) into OUTPUT/part-IIIII-of-NNNNN, for prep merge; "
        + "auto: from a Slurm job array.", valueName: "I/N|auto"))
  var partition: String?

  @OptionGroup var workerOptions: WorkerOptions

  func validate() throws {
    if resume && force {
      throw ValidationError("--resume continues an interrupted run and --force starts over: give one of them")
    }
    // The I/N form is checked here (auto depends on the environment, read when the run starts).
    if let partition, partition != "auto", case .failure(let problem) = PartitionOption.resolve(partition) {
      throw ValidationError(problem.text)
    }
    if let maxRejects, RejectLimit.parse(maxRejects) == nil {
      throw ValidationError("--max-rejects takes a count (100) or a percentage (2%), not '\(maxRejects)'")
    }
  }

  func run() throws {
    var all = overrides
    if let tokenizer { all.append("tokenizer=" + tokenizer) }
    let config: PipelineConfig
    switch loadPipeline(pipeline, overrides: all) {
    case .success(let c): config = c
    case .failure(let error): fail(error.description, code: 2)
    }
    let slice: InputPartition?
    switch partition.map({ PartitionOption.resolve($0) }) {
    case nil: slice = nil
    case .success(let p): slice = p
    case .failure(let message): fail(message.text, code: 2)
    }
    if slice != nil, let problem = config.partitionProblem { fail(problem, code: 2) }
    let outputDirectory = config.datasetDirectory(partition: slice)
    if dryRun {
      print("# \(config.file), resolved (overrides applied)")
      print(config.tree.yaml(), terminator: "")
      print("# recipe \(config.recipeKind), packing \(config.packing.mode), \(workerOptions.count) workers")
      if let slice { print("# partition \(slice) into \(outputDirectory)") }
      return
    }
    let dir = try TokenizerLocation.resolve(config.tokenizer)
    let tokenizerCache = TokenizerCache.fromEnvironment()
    let tokFingerprint =
      try tokenizerCache?.fingerprint(directory: dir) ?? TokenizerSource.fingerprint(directory: dir)
    let fingerprint = try RunFingerprint(config: config, tokenizer: tokFingerprint, prepVersion: prepVersion)
    var replace = force
    if !force, let existing = try? DatasetIndex.read(directory: outputDirectory) {
      let recorded = RunFingerprint(recorded: existing.stats)
      // A shard gone or cut since (a partial copy, a deleted file) is not up to date, whatever the fingerprints say.
      var damage = existing.firstMissingShard(in: outputDirectory)
      let validation = outputDirectory + "/validation"
      if damage == nil, DatasetIndex.exists(directory: validation) {
        do throws(ShardError) {
          damage = try DatasetIndex.read(directory: validation).firstMissingShard(in: validation)
        } catch {
          damage = error.description
        }
      } else if damage == nil, config.split != nil {
        // A split run always writes its validation part, even an empty one.
        damage = "\(validation)/index.json is missing"
      }
      if recorded == fingerprint, let damage {
        writeStderr("\(outputDirectory) is damaged (\(damage)): rebuilding\n")
        replace = true
      } else if recorded == fingerprint {
        // A run killed between writing index.json and removing its checkpoint is finished.
        try? ResumeCheckpoint.remove(directory: outputDirectory)
        print(
          "up to date: \(outputDirectory) was made from the same inputs, tokenizer and pipeline "
            + "(--force rebuilds it)")
        return
      }
      let samePipeline = existing.pipeline.lookup("file")?.stringValue == config.file
      if let recorded, samePipeline, recorded != fingerprint {
        let what = fingerprint.changes(since: recorded).joined(separator: ", ")
        writeStderr("\(outputDirectory) is out of date (\(what) changed since it was made): rebuilding\n")
        replace = true
      }
    }
    let interrupted = ResumeCheckpoint.exists(directory: outputDirectory)
    if resume && !interrupted && !replace {
      // Killed before its first checkpoint, or never run: there is nothing to continue.
      writeStderr("no checkpoint in \(outputDirectory): running from the beginning\n")
      replace = true
    } else if resume && interrupted {
      writeStderr("resuming the interrupted run in \(outputDirectory)\n")
    }
    let tok = try Tokenizer.load(directory: dir, cache: tokenizerCache, fingerprint: tokFingerprint)
    if case .chat(let recipe) = config.recipe {
      let template = try TokenizerSource.chatTemplate(directory: dir)
      do throws(TemplateError) {
        try recipe.checkTemplate(template?.template, file: template?.file ?? "")
      } catch {
        fail("\(config.file): \(error.description)", code: 1)
      }
    }
    var options = RunOptions(
      workers: workerOptions.count, force: replace, quiet: quiet, maxRejects: maxRejects.flatMap(RejectLimit.parse))
    options.fingerprint = fingerprint
    options.resume = resume && interrupted && !replace
    options.partition = slice
    let runner = PipelineRunner(
      config: config, tokenizer: tok, tokenizerFingerprint: tokFingerprint, options: options,
      prepVersion: prepVersion)
    let summary: RunSummary
    do {
      summary = try runner.run()
    } catch let error as RunError {
      if case .tooManyRejects = error { fail(error.description, code: 3) }
      if case .everyRecordRejected = error { fail(error.description, code: 3) }
      fail(error.description, code: 1)
    }
    print(summary.report(pipeline: config.file))
  }
}

/// Reads, overrides and decodes a pipeline file.
func loadPipeline(_ name: String, overrides: [String]) -> Result<PipelineConfig, ConfigError> {
  do throws(ConfigError) {
    return .success(try PipelineConfig(try PipelineFile.load(name, overrides: overrides)))
  } catch {
    return .failure(error)
  }
}

/// Prints `error: message` to stderr and exits with `code`.
func fail(_ message: String, code: Int32) -> Never {
  writeStderr("error: " + message + "\n")
  Prep.exit(withError: ExitCode(code))
}
