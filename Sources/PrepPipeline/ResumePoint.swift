import PrepCore
import PrepShard

/// What a run had done at its last checkpoint: where the input stood, the run's counters, and the state of each
/// dataset being written (packer, frame batcher, statistics, shard writer), as `prep run --resume` needs it to
/// continue and produce the bytes an uninterrupted run would.
struct ResumePoint {
  /// The run's fingerprint (inputs, tokenizer, pipeline, prep): a checkpoint of another run is refused.
  var fingerprint: RunFingerprint?
  /// The pipeline file, for messages.
  var pipelineFile: String
  /// Input chunks fully processed.
  var chunks: Int
  /// Records read, rejected ones included.
  var records: Int
  /// Bytes of those records (`RunSummary.bytes`).
  var bytes: Int
  /// Samples truncated by the recipe.
  var truncated: Int
  /// Tokens produced (for progress).
  var tokens: Int
  /// Whether `max_samples` had been reached.
  var done: Bool
  /// Rejected records by reason.
  var rejects: [RejectReason: Int]
  /// Bytes of `rejects.jsonl` written.
  var rejectsLength: Int
  /// The training dataset's state (`DatasetSink.checkpoint`).
  var train: [UInt8] = []
  /// The validation dataset's state, when the run splits.
  var validation: [UInt8]? = nil

  init(
    fingerprint: RunFingerprint?, pipelineFile: String, chunks: Int, records: Int, bytes: Int, truncated: Int,
    tokens: Int, done: Bool, rejects: [RejectReason: Int], rejectsLength: Int
  ) {
    self.fingerprint = fingerprint
    self.pipelineFile = pipelineFile
    self.chunks = chunks
    self.records = records
    self.bytes = bytes
    self.truncated = truncated
    self.tokens = tokens
    self.done = done
    self.rejects = rejects
    self.rejectsLength = rejectsLength
  }

  /// The checkpoint payload.
  func encoded() -> [UInt8] {
    var w = StateWriter()
    w.write(fingerprint != nil)
    if let f = fingerprint {
      for part in [f.inputs, f.tokenizer, f.pipeline, f.prep] { w.write(part) }
    }
    w.write(pipelineFile)
    w.write(chunks)
    w.write(records)
    w.write(bytes)
    w.write(truncated)
    w.write(tokens)
    w.write(done)
    let reasons = rejects.keys.sorted()
    w.write(reasons.count)
    for reason in reasons {
      w.write(reason.rawValue)
      w.write(rejects[reason, default: 0])
    }
    w.write(rejectsLength)
    w.write(train)
    w.write(validation != nil)
    if let validation { w.write(validation) }
    return w.bytes
  }

  /// Reads a checkpoint payload of the run in `directory`; refuses one whose fingerprint differs from `current`.
  init(_ payload: [UInt8], directory: String, fingerprint current: RunFingerprint?) throws(ShardError) {
    func bad(_ reason: String) -> ShardError { .cannotResume(directory: directory, reason: reason) }
    var r = StateReader(payload)
    do throws(StateDecodingError) {
      if try r.readBool() {
        fingerprint = RunFingerprint(
          inputs: try r.readString(), tokenizer: try r.readString(), pipeline: try r.readString(),
          prep: try r.readString())
      }
      pipelineFile = try r.readString()
      chunks = try r.readInt()
      records = try r.readInt()
      bytes = try r.readInt()
      truncated = try r.readInt()
      tokens = try r.readInt()
      done = try r.readBool()
      rejects = [:]
      let count = try r.readInt()
      for _ in 0..<max(0, count) {
        let name = try r.readString()
        guard let reason = RejectReason(rawValue: name) else { throw StateDecodingError(position: 0, name) }
        rejects[reason] = try r.readInt()
      }
      rejectsLength = try r.readInt()
      train = try r.readBytes()
      validation = try r.readBool() ? try r.readBytes() : nil
      guard r.atEnd, chunks >= 0, records >= 0 else { throw StateDecodingError(position: 0, "inconsistent counts") }
    } catch {
      throw bad(error.description)
    }
    if let recorded = fingerprint, let current, recorded != current {
      let what = current.changes(since: recorded).joined(separator: ", ")
      throw bad("\(what) changed since the interrupted run")
    }
  }
}

/// What an output directory holding an interrupted run (a checkpoint, no index.json) says about it, for messages
/// of the commands that expected a finished dataset; nil when there is no checkpoint.
public func interruptedRunSummary(directory: String) -> String? {
  guard ResumeCheckpoint.exists(directory: directory) else { return nil }
  guard let payload = try? ResumeCheckpoint.read(directory: directory),
    let point = try? ResumePoint(payload, directory: directory, fingerprint: nil)
  else {
    return "\(directory) holds an interrupted run whose checkpoint cannot be read: "
      + "`prep run PIPELINE --force` starts over"
  }
  return "\(directory) holds an interrupted run, not a finished dataset (no index.json; \(group(point.records)) "
    + "records done at its last checkpoint): `prep run \(point.pipelineFile) --resume` continues it "
    + "(with the same --set overrides), --force starts over"
}
