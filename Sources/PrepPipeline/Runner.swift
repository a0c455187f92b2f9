import Dispatch
import PrepCore
import PrepInput
import PrepJSON
import PrepPack
import PrepShard
import PrepTemplate
import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// How `prep run` runs, beyond the pipeline file.
public struct RunOptions: Sendable {
  /// Parallel workers (map and compression together never use more).
  public var workers: Int
  /// Replace an existing dataset in the output directory.
  public var force: Bool
  /// No progress lines.
  public var quiet: Bool
  /// Overrides the pipeline's `limits.max_rejects`.
  public var maxRejects: RejectLimit?
  /// Recorded in index.json so that a rerun can say "up to date".
  public var fingerprint: RunFingerprint?
  /// Chunks read but not yet reduced, per worker (bounds memory).
  public var chunksPerWorker: Int
  /// Seconds between plain progress lines when stderr is not a terminal.
  public var progressInterval: Double?
  /// Continue an interrupted run from its checkpoint (`OUTPUT/.prep-resume`) instead of starting over.
  public var resume = false
  /// Run only this slice of the input, into `OUTPUT/part-IIIII-of-NNNNN` (`prep run --partition I/N`).
  public var partition: InputPartition? = nil

  /// Creates options.
  public init(
    workers: Int, force: Bool = false, quiet: Bool = false, maxRejects: RejectLimit? = nil,
    chunksPerWorker: Int = 4, progressInterval: Double? = nil
  ) {
    self.workers = max(1, workers)
    self.force = force
    self.quiet = quiet
    self.maxRejects = maxRejects
    self.chunksPerWorker = max(1, chunksPerWorker)
    self.progressInterval = progressInterval
  }
}

/// Why a run stopped.
public enum RunError: Error, CustomStringConvertible {
  /// The pipeline or a recipe setting is wrong for this data (an unfilled placeholder, ...).
  case configuration(String)
  /// Too many records were rejected.
  case tooManyRejects(rejects: Int, records: Int, limit: RejectLimit, rejectsFile: String)
  /// Every record was rejected and no limit was set: most likely a field name or a recipe that does not fit the
  /// data, not a dataset to write.
  case everyRecordRejected(records: Int, rejectsFile: String)
  /// Reading the input failed (a file vanished, a compressed stream is corrupt, ...).
  case input(InputError)
  /// Writing the output failed.
  case output(ShardError)
  /// Reading or writing failed after a checkpoint: what failed, and the directory `--resume` continues.
  case interrupted(String, directory: String)

  public var description: String {
    switch self {
    case .configuration(let m): return m
    case .tooManyRejects(let r, let n, let limit, let file):
      let what: String
      switch limit {
      case .count(let c): what = "more than \(c)"
      case .percent(let p): what = "more than \(p)% of records"
      }
      return "\(r) of \(n) records rejected, \(what): stopping (see \(file); --max-rejects raises the limit)"
    case .everyRecordRejected(let n, let file):
      return "all \(n) records were rejected (see \(file): the reasons name the fields and values): nothing written; "
        + "--max-rejects 100% writes the empty dataset anyway"
    case .input(let e): return e.description
    case .output(let e): return e.description
    case .interrupted(let what, let directory):
      return "\(what)\nthe work up to the last checkpoint is kept in \(directory): "
        + "fix the cause and continue with --resume"
    }
  }
}

/// What a run did.
public struct RunSummary: Sendable {
  /// Records read (rejected ones included).
  public var records = 0
  /// Bytes of the records read (uncompressed; whole input chunks, so that the figure depends only on the input
  /// and the pipeline, never on how far the reader had read ahead).
  public var bytes = 0
  /// Rejected records by reason.
  public var rejects: [RejectReason: Int] = [:]
  /// Samples truncated by the recipe's length limit.
  public var truncated = 0
  /// What was written to the training dataset.
  public var train = DatasetStats()
  /// Packing of the training dataset.
  public var packing = PackStats()
  /// What was written to the validation dataset, when split.
  public var validation: DatasetStats?
  /// Wall time.
  public var seconds = 0.0
  /// The dataset directory.
  public var output = ""
  /// Records an earlier, interrupted run had done when this one resumed it (nil: not resumed).
  public var resumedAt: Int?

  /// All rejected records.
  public var rejectCount: Int { rejects.values.reduce(0, +) }
}

/// One chunk's worth of map output, in input order.
struct ChunkOutput: Sendable {
  enum Item: Sendable {
    case sample(Sample, record: Int, truncated: Bool)
    /// A pretraining document: its ids are `documentIDs[ids]`.
    case document(ids: Range<Int>, record: Int)
  }
  var records = 0
  var bytes = 0
  var tokens = 0
  var items: [Item] = []
  /// The ids of the chunk's documents, one after the other.
  var documentIDs: [UInt32] = []
  var rejects: [(record: Int, reject: Reject)] = []
  var fatal: String? = nil

  /// Records what the recipe made of record `i` of `chunk`.
  mutating func add(_ outcome: RecipeOutcome, record i: Int, chunk: Chunk) {
    switch outcome {
    case .sample(let s, let truncated):
      tokens += s.count
      items.append(.sample(s, record: i, truncated: truncated))
    case .document(let ids):
      let start = documentIDs.count
      documentIDs += ids
      addDocument(from: start, record: i)
    case .rejected(let reason, let detail):
      rejects.append((i, Reject(location: chunk.location(i), reason: reason, detail: detail)))
    }
  }

  /// Records that record `i` made the document whose ids start at `start` of `documentIDs` and run to its end.
  mutating func addDocument(from start: Int, record i: Int) {
    tokens += documentIDs.count - start
    items.append(.document(ids: start..<documentIDs.count, record: i))
  }
}

/// Runs a pipeline: input → records → recipe → packing → shards, in parallel, output identical for any worker count.
public final class PipelineRunner {
  let config: PipelineConfig
  let tokenizer: Tokenizer
  let fingerprint: String
  let options: RunOptions
  let prepVersion: String

  /// Prepares a run. Nothing is read or written until `run()`.
  public init(
    config: PipelineConfig, tokenizer: Tokenizer, tokenizerFingerprint: String, options: RunOptions,
    prepVersion: String
  ) {
    self.config = config
    self.tokenizer = tokenizer
    self.fingerprint = tokenizerFingerprint
    self.options = options
    self.prepVersion = prepVersion
  }

  /// Runs the pipeline to the end and writes the dataset(s). On any error nothing that looks complete is left.
  public func run() throws -> RunSummary {
    let context: RecipeContext<Tokenizer>
    do { context = try RecipeContext(encoder: tokenizer) } catch { throw RunError.configuration(error.description) }
    let recipe = config.recipe.prepared(for: tokenizer)
    let partition = options.partition
    if partition != nil, let problem = config.partitionProblem { throw RunError.configuration(problem) }
    let dir = config.datasetDirectory(partition: partition)
    var summary = RunSummary()
    summary.output = dir

    let reader: InputReader
    var inputOptions = config.inputOptions
    // A bzip2 dump of many streams is decoded on as many threads as there are workers (never changes the output).
    inputOptions.decodeThreads = options.workers
    do {
      reader = try InputReader(paths: config.inputPaths, options: inputOptions, partition: partition)
    } catch {
      throw RunError.input(error)
    }

    // The validation split needs the record count first: a cheap pass over the input without parsing.
    var validationRecords: Set<Int> = []
    if let split = config.split {
      var total = 0
      do {
        let counter = try InputReader(paths: config.inputPaths, options: inputOptions)
        while let chunk = try counter.next() { total += chunk.count }
      } catch { throw RunError.input(error) }
      if let m = config.maxSamples { total = min(total, m) }
      validationRecords = chooseValidation(total: total, split: split)
    }

    do throws(ShardError) { try makeDirectories(dir) } catch { throw RunError.output(error) }
    let gate = WorkGate(workers: options.workers)
    let padID = context.tokens.endOfText
    let train: DatasetSink
    var validation: DatasetSink? = nil
    var rejectsFile = RejectsFile(path: dir + "/rejects.jsonl")
    var resumed: ResumePoint? = nil
    var tokens = 0
    do throws(ShardError) {
      if options.resume, let payload = try ResumeCheckpoint.read(directory: dir) {
        let point = try ResumePoint(payload, directory: dir, fingerprint: options.fingerprint)
        guard (point.validation != nil) == (config.split != nil) else {
          throw .cannotResume(directory: dir, reason: "the checkpoint's validation split does not match")
        }
        resumed = point
        train = try DatasetSink(
          directory: dir, config: config, padID: padID, force: false, gate: gate, workers: options.workers,
          resume: StateReader(point.train))
        if let v = point.validation {
          validation = try DatasetSink(
            directory: dir + "/validation", config: config, padID: padID, force: false, gate: gate,
            workers: options.workers, resume: StateReader(v))
        }
        try rejectsFile.resume(length: point.rejectsLength)
        summary.records = point.records
        summary.bytes = point.bytes
        summary.truncated = point.truncated
        summary.rejects = point.rejects
        summary.resumedAt = point.records
        tokens = point.tokens
      } else {
        train = try DatasetSink(
          directory: dir, config: config, padID: padID, force: options.force, gate: gate,
          workers: options.workers)
        if config.split != nil {
          validation = try DatasetSink(
            directory: dir + "/validation", config: config, padID: padID,
            force: options.force, gate: gate, workers: options.workers)
        } else {
          // An earlier run's validation split belongs to the dataset being replaced: left behind, it would
          // pair the new training data with validation data of the old input.
          try ShardWriter.removeLeftoverDataset(in: dir + "/validation", force: options.force)
        }
        removeStaleRejects(rejectsFile.path)
      }
    } catch { throw RunError.output(error) }

    let progress = ProgressReporter(quiet: options.quiet, interval: options.progressInterval)
    progress.totalBytes = reader.totalBytes
    var done = resumed?.done ?? false
    var chunksReduced = resumed?.chunks ?? 0
    var checkpointed = resumed != nil
    let maxSamples = config.maxSamples
    let limit = options.maxRejects ?? config.maxRejects

    do {
      // The chunks the interrupted run had finished are read again (chunking depends only on the input) but
      // not processed.
      for _ in 0..<chunksReduced {
        let chunk: Chunk?
        do throws(InputError) { chunk = try reader.next() } catch { throw RunError.input(error) }
        if chunk == nil {
          throw RunError.output(.cannotResume(directory: dir, reason: "the input is shorter than the checkpoint"))
        }
        progress.update(
          records: summary.records, bytes: reader.bytesConsumed, tokens: tokens, rejects: summary.rejectCount)
      }
      try orderedMapReduce(
        workers: options.workers, window: options.workers * options.chunksPerWorker, gate: gate,
        next: { () throws -> Chunk? in
          if done { return nil }
          do throws(InputError) { return try reader.next() } catch { throw RunError.input(error) }
        },
        map: { chunk in Self.map(chunk, recipe: recipe, context: context) },
        reduce: { (out: ChunkOutput) throws in
          // Chunks read ahead before max_samples was reached are dropped whole: nothing of them may count.
          if done { return }
          if let fatal = out.fatal { throw RunError.configuration(fatal) }
          let base = summary.records
          var stop = false
          var rejectIndex = 0
          // Items and rejects interleave by record number; walk both in order.
          func takeRejects(upTo record: Int) throws {
            while rejectIndex < out.rejects.count && out.rejects[rejectIndex].record < record {
              let (r, reject) = out.rejects[rejectIndex]
              rejectIndex += 1
              if let m = maxSamples, base + r >= m { stop = true; continue }
              summary.rejects[reject.reason, default: 0] += 1
              try rejectsFile.write(reject)
            }
          }
          for item in out.items {
            let record: Int
            switch item {
            case .sample(_, let r, _), .document(_, let r): record = r
            }
            try takeRejects(upTo: record)
            let g = base + record
            if let m = maxSamples, g >= m { stop = true; break }
            let sink = validationRecords.contains(g) ? validation ?? train : train
            switch item {
            case .sample(let s, _, let truncated):
              if truncated { summary.truncated += 1 }
              try sink.add(sample: s)
            case .document(let ids, _):
              try sink.add(document: out.documentIDs[ids])
            }
          }
          try takeRejects(upTo: Int.max)
          summary.records += out.records
          if let m = maxSamples, summary.records >= m {
            summary.records = m
            stop = true
          }
          summary.bytes += out.bytes
          tokens += out.tokens
          chunksReduced += 1
          if stop { done = true }
          // A count can only grow, so it stops the run as soon as it is passed; a share is judged on the
          // whole input (below), never on the records of the first chunks.
          if let limit, case .count = limit, limit.exceeded(rejects: summary.rejectCount, records: summary.records) {
            throw RunError.tooManyRejects(
              rejects: summary.rejectCount, records: summary.records, limit: limit,
              rejectsFile: rejectsFile.path)
          }
          if train.checkpointDue || validation?.checkpointDue == true {
            var point = ResumePoint(
              fingerprint: options.fingerprint, pipelineFile: config.file, chunks: chunksReduced,
              records: summary.records, bytes: summary.bytes,
              truncated: summary.truncated, tokens: tokens, done: done, rejects: summary.rejects,
              rejectsLength: try rejectsFile.sync())
            var w = StateWriter()
            try train.checkpoint(into: &w)
            point.train = w.bytes
            if let validation {
              var v = StateWriter()
              try validation.checkpoint(into: &v)
              point.validation = v.bytes
            }
            try ResumeCheckpoint.write(point.encoded(), directory: dir)
            checkpointed = true
          }
          progress.update(
            records: summary.records, bytes: reader.bytesConsumed, tokens: tokens,
            rejects: summary.rejectCount)
        },
        idle: {
          progress.update(
            records: summary.records, bytes: reader.bytesConsumed, tokens: tokens,
            rejects: summary.rejectCount)
        })
      if let limit, limit.exceeded(rejects: summary.rejectCount, records: summary.records) {
        throw RunError.tooManyRejects(
          rejects: summary.rejectCount, records: summary.records, limit: limit, rejectsFile: rejectsFile.path)
      }
      // (A partition's slice may hold only bad lines of a sound input: judged on whole runs only.)
      if limit == nil && options.partition == nil && summary.records > 0 && summary.rejectCount == summary.records {
        throw RunError.everyRecordRejected(records: summary.records, rejectsFile: rejectsFile.path)
      }
      try rejectsFile.close()
      summary.seconds = progress.elapsed
      let stats = summaryJSON(summary, inputFiles: reader.files, firstFile: reader.fileNumbers.first ?? 0)
      // Both parts are finished before either index.json is written (validation first, the top-level one last):
      // a kill can then leave one part looking complete without the other only between two small writes.
      let preparedValidation = try validation?.prepare(metadata: metadata(stats: stats, part: "validation"))
      let preparedTrain = try train.prepare(metadata: metadata(stats: stats, part: "train"))
      if let validation, let preparedValidation { summary.validation = try validation.publish(preparedValidation) }
      let trainResult = try train.publish(preparedTrain)
      try ResumeCheckpoint.remove(directory: dir)
      summary.train = trainResult
      summary.packing = train.packStats
      summary.seconds = progress.elapsed
      progress.finish()
      return summary
    } catch {
      progress.finish()
      try? rejectsFile.close()
      if checkpointed && Self.isResumable(error) {
        // Reading or writing failed (a full disk, a vanished file): keep what is done for `--resume`.
        train.release()
        validation?.release()
        throw RunError.interrupted(String(describing: error), directory: dir)
      }
      train.abort()
      validation?.abort()
      try? ResumeCheckpoint.remove(directory: dir)
      if let e = error as? ShardError { throw RunError.output(e) }
      throw error
    }
  }

  private func metadata(stats: JSONValue, part: String) -> IndexMetadata {
    var pipeline = config.tree.json
    if case .object(var o) = pipeline {
      o.append("file", .string(config.file))
      o.append("part", .string(part))
      if let partition = options.partition { o.append("partition", partition.json) }
      pipeline = .object(o)
    }
    return IndexMetadata(
      prepVersion: prepVersion, tokenizerFingerprint: fingerprint,
      vocabularySize: tokenizer.vocabularySize, pipeline: pipeline, stats: stats)
  }

  /// The per-chunk work: parse, convert, tokenize, template. Pure.
  static func map(_ chunk: Chunk, recipe: AnyRecipe, context: RecipeContext<Tokenizer>) -> ChunkOutput {
    var out = ChunkOutput()
    out.records = chunk.count
    out.bytes = chunk.bytes.count
    out.items.reserveCapacity(chunk.count)
    if case .pretrain(let pretrain) = recipe {
      // Pretraining reads one top-level string: its bytes go to the tokenizer without building the record.
      // The chunk's documents go into one buffer (see `PretrainRecipe.append`), about a third of its bytes.
      out.documentIDs.reserveCapacity(chunk.bytes.count / 3)
      for i in 0..<chunk.count {
        let outcome: RecipeOutcome
        let start = out.documentIDs.count
        let field = chunk.withStringField(i, pretrain.config.textField) {
          pretrain.append(utf8: $0, context: context, to: &out.documentIDs)
        }
        switch field {
        case .success(.string(nil)):
          out.addDocument(from: start, record: i)
          continue
        case .success(.string(let o?)): outcome = o
        case .success(.missing): outcome = pretrain.outcome(forNonString: nil)
        case .success(.notAString(let value)): outcome = pretrain.outcome(forNonString: value)
        case .success(.notAnObject): continue  // reported as a failure by withStringField
        case .failure(let reject):
          out.rejects.append((i, reject))
          continue
        }
        out.add(outcome, record: i, chunk: chunk)
      }
      return out
    }
    for i in 0..<chunk.count {
      let record: JSONObject
      switch chunk.parseRecord(i) {
      case .success(let o): record = o
      case .failure(let reject):
        out.rejects.append((i, reject))
        continue
      }
      do {
        out.add(try recipe.apply(record, context: context), record: i, chunk: chunk)
      } catch {
        out.fatal = "\(chunk.location(i)): \(error.description)"
        return out
      }
    }
    return out
  }

  /// Whether an error leaves a run worth resuming: input and output failures (a full disk, a file that could not
  /// be read) may be fixed and the run continued; a bad configuration or too many rejects would fail again.
  static func isResumable(_ error: any Error) -> Bool {
    switch error {
    case RunError.input: return true
    case RunError.output(.io), ShardError.io: return true
    default: return false
    }
  }

  /// Exactly `n` distinct record numbers out of `total`, chosen by the seed (Floyd's algorithm).
  func chooseValidation(total: Int, split: SplitPlan) -> Set<Int> {
    let n = split.valSize < 1 ? Int((split.valSize * Double(total)).rounded(.up)) : min(total, Int(split.valSize))
    var rng = SplitMix64(seed: split.seed)
    var chosen = Set<Int>()
    guard n > 0, total > 0 else { return chosen }
    for j in (total - n)..<total {
      let t = Int(rng.next() % UInt64(j + 1))
      if chosen.contains(t) { chosen.insert(j) } else { chosen.insert(t) }
    }
    return chosen
  }

  /// The run's statistics for index.json. A slice's run also records where its first input file stands in the
  /// whole run's list (`input_file_offset`), so that `prep merge` can list each file once.
  func summaryJSON(_ s: RunSummary, inputFiles: [String], firstFile: Int) -> JSONValue {
    var o = JSONObject()
    o.append("records", .number(String(s.records)))
    o.append("input_bytes", .number(String(s.bytes)))
    o.append("input_files", .array(inputFiles.map { .string($0) }))
    if options.partition != nil { o.append(PartitionKeys.inputFileOffset, .number(String(firstFile))) }
    var r = JSONObject()
    for reason in s.rejects.keys.sorted() { r.append(reason.rawValue, .number(String(s.rejects[reason] ?? 0))) }
    o.append("rejected", .object(r))
    o.append("rejected_total", .number(String(s.rejectCount)))
    o.append("truncated", .number(String(s.truncated)))
    if let f = options.fingerprint { o.append("fingerprint", f.json) }
    return .object(o)
  }
}
