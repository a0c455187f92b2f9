import Dispatch
import PrepCore
import PrepJSON
import PrepPack
import PrepShard

#if canImport(Glibc)
  import Glibc
#endif

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The reduce side for one dataset directory: packing, frame grouping, parallel frame compression, ordered writing.
///
/// Called only from the coordinating thread. Frames are compressed on the shared worker gate and written strictly
/// in order, so the bytes on disk never depend on the worker count.
final class DatasetSink {
  private var packer: Packer
  private var batcher: FrameBatcher
  private let encoder: FrameEncoder
  private let writer: ShardWriter
  private let frames: OrderedPool<Result<EncodedFrame, ShardError>>
  private var blocks: [PackedBlock] = []
  private(set) var stats = DatasetStats()
  private let padID: UInt32

  /// A sink for a new dataset in `directory`, or, with `resume`, the sink of an interrupted run put back at the
  /// state its checkpoint recorded (see `checkpoint(into:)`).
  init(
    directory: String, config: PipelineConfig, padID: UInt32, force: Bool, gate: WorkGate, workers: Int,
    resume: StateReader? = nil
  ) throws(ShardError) {
    self.padID = padID
    var shard = ShardConfiguration(
      level: Int32(config.compressionLevel), minMatch: Int32(config.compressionMinMatch))
    if config.samplesPerShard > 0 { shard.shardSamples = config.samplesPerShard }
    batcher = FrameBatcher(configuration: shard)
    // Frames go first on the shared workers: the writer waits for them in order, and each one holds a frame's
    // samples until it is written.
    frames = OrderedPool(gate: gate, priority: .first, window: 2 * workers)
    do {
      packer = try config.packing.makePacker(padID: padID)
    } catch {
      throw ShardError.badConfiguration(error.description)
    }
    if var state = resume {
      writer = try ShardWriter(resuming: directory, configuration: shard, state: &state)
      do throws(StateDecodingError) {
        try packer.restoreState(from: &state)
        try batcher.restoreState(from: &state)
        stats = try DatasetStats.decode(from: &state)
        if !state.atEnd { throw StateDecodingError(position: 0, "unexpected bytes after the dataset's state") }
      } catch {
        writer.release()
        throw .cannotResume(directory: directory, reason: error.description)
      }
    } else {
      writer = try ShardWriter(directory: directory, configuration: shard, force: force)
    }
    // The run decides what a failure leaves: the work for `--resume` after a checkpoint (`release`), else nothing.
    writer.keepsFilesOnFailure = true
    encoder = writer.encoder
    checkpointShards = writer.finishedShards
  }

  /// Without a finished shard, a checkpoint is due after this many frames and this many seconds (each one
  /// drains the frames being compressed and fsyncs, so they are kept rare on fast runs).
  static let checkpointFrames = 64
  static let checkpointSeconds: UInt64 = 30
  private var checkpointShards = 0
  private var framesSinceCheckpoint = 0
  private var lastCheckpoint = DispatchTime.now().uptimeNanoseconds

  /// Whether a shard was finished since the last checkpoint, or many frames were written over a long time.
  var checkpointDue: Bool {
    if writer.finishedShards > checkpointShards { return true }
    return framesSinceCheckpoint >= Self.checkpointFrames
      && DispatchTime.now().uptimeNanoseconds - lastCheckpoint >= Self.checkpointSeconds * 1_000_000_000
  }

  /// Writes everything a resumed run needs to continue exactly from here: the frames being compressed are
  /// written first, then the packer's and batcher's contents, the statistics and the writer's position.
  func checkpoint(into w: inout StateWriter) throws(ShardError) {
    while frames.inFlight > 0 { try writeNext() }
    try writer.checkpoint(into: &w)
    packer.encodeState(into: &w)
    batcher.encodeState(into: &w)
    stats.encode(into: &w)
    checkpointShards = writer.finishedShards
    framesSinceCheckpoint = 0
    lastCheckpoint = DispatchTime.now().uptimeNanoseconds
  }

  /// Packing statistics so far.
  var packStats: PackStats { packer.stats }

  func add(sample: Sample) throws(ShardError) {
    packer.add(sample: sample, into: &blocks)
    try flushBlocks()
  }

  func add(document: ArraySlice<UInt32>) throws(ShardError) {
    packer.add(document: document, into: &blocks)
    try flushBlocks()
  }

  private func flushBlocks() throws(ShardError) {
    for block in blocks {
      stats.add(block.sample, padID: padID)
      if let group = batcher.append(block.sample) { try submit(group) }
    }
    blocks.removeAll(keepingCapacity: true)
    while frames.oldestIsReady { try writeNext() }
  }

  private func submit(_ group: FrameGroup) throws(ShardError) {
    if frames.inFlight >= frames.window { try writeNext() }
    let encoder = self.encoder
    frames.submit {
      do throws(ShardError) { return .success(try encoder.encode(group)) } catch { return .failure(error) }
    }
  }

  private func writeNext() throws(ShardError) {
    guard let result = frames.next() else { return }
    try writer.append(frame: try result.get())
    framesSinceCheckpoint += 1
  }

  /// Flushes the packer and the last frame, writes index.json. Returns the dataset's statistics.
  /// Writes out everything pending and finishes the last shard (no index.json yet: see `publish`).
  func prepare(metadata: IndexMetadata) throws(ShardError) -> ShardWriter.PreparedIndex {
    packer.finish(into: &blocks)
    try flushBlocks()
    if let group = batcher.flush() { try submit(group) }
    while frames.inFlight > 0 { try writeNext() }
    var m = metadata
    if case .object(var o) = m.stats {
      o.append("samples", .number(String(stats.samples)))
      o.append("tokens", .number(String(stats.tokens)))
      o.append("trained_tokens", .number(String(stats.trainedTokens)))
      o.append("pad_tokens", .number(String(stats.padTokens)))
      o.append("documents", .number(String(stats.documents)))
      o.append("packing", .string(packer.modeName))
      o.append("pad_id", .number(String(padID)))
      o.append("packing_efficiency", .number(String(stats.packingEfficiency)))
      o.append("truncated_by_packing", .number(String(packer.stats.truncated)))
      o.append("dropped_by_packing", .number(String(packer.stats.dropped)))
      o.append("dropped_tokens_by_packing", .number(String(packer.stats.droppedTokens)))
      m.stats = .object(o)
    }
    return try writer.prepareIndex(m)
  }

  /// Writes index.json: the dataset is complete.
  func publish(_ prepared: ShardWriter.PreparedIndex) throws(ShardError) -> DatasetStats {
    _ = try writer.publishIndex(prepared)
    return stats
  }

  /// Removes everything unfinished (temporary shard files); no index.json is written.
  func abort() {
    while frames.next() != nil {}
    writer.abort()
  }

  /// Stops without removing anything, so that `--resume` can continue from the last checkpoint.
  func release() {
    while frames.next() != nil {}
    writer.release()
  }
}

/// `rejects.jsonl`: one line per rejected record, written as the run goes (created on the first reject).
struct RejectsFile {
  let path: String
  private var fd: Int32 = -1
  private var writer = JSONWriter()
  private var pending: [UInt8] = []

  init(path: String) {
    self.path = path
  }

  mutating func write(_ reject: Reject) throws(ShardError) {
    if fd < 0 {
      fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      if fd < 0 { throw .io(path: path, operation: "open", message: String(cString: strerror(errno))) }
    }
    var o = JSONObject()
    o.append("file", .string(reject.location.file))
    o.append("line", .number(String(reject.location.line)))
    o.append("byte_offset", .number(String(reject.location.byteOffset)))
    o.append("reason", .string(reject.reason.rawValue))
    o.append("detail", .string(reject.detail))
    writer.reset()
    writer.write(.object(o))
    pending += writer.bytes
    pending.append(0x0A)
    length += writer.bytes.count + 1
    if pending.count > 1 << 16 { try flush() }
  }

  /// Bytes of the file that hold whole lines, written or pending.
  private(set) var length = 0

  /// Continues the file of an interrupted run: cut back to the `length` its checkpoint recorded.
  mutating func resume(length: Int) throws(ShardError) {
    self.length = length
    guard length > 0 else { return }
    fd = open(path, O_WRONLY | O_CLOEXEC)
    if fd < 0 { throw .cannotResume(directory: path, reason: "the rejects file is missing") }
    if ftruncate(fd, off_t(length)) != 0 || lseek(fd, off_t(length), SEEK_SET) < 0 {
      throw .io(path: path, operation: "truncate", message: String(cString: strerror(errno)))
    }
  }

  /// Writes what is pending and makes it durable; returns the file's length.
  mutating func sync() throws(ShardError) -> Int {
    try flush()
    if fd >= 0 && fsync(fd) != 0 {
      throw .io(path: path, operation: "fsync", message: String(cString: strerror(errno)))
    }
    return length
  }

  private mutating func flush() throws(ShardError) {
    guard fd >= 0, !pending.isEmpty else { return }
    var offset = 0
    while offset < pending.count {
      let fd = self.fd
      let n = pending.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return Glibc.write(fd, base + offset, raw.count - offset)
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw .io(path: path, operation: "write", message: String(cString: strerror(errno)))
      }
      offset += n
    }
    pending.removeAll(keepingCapacity: true)
  }

  /// Writes what is pending and closes the file.
  mutating func close() throws(ShardError) {
    try flush()
    if fd >= 0 { _ = Glibc.close(fd) }
    fd = -1
  }
}

/// Removes a stale `rejects.jsonl` of an earlier run (kept only when this run rejects something).
func removeStaleRejects(_ path: String) {
  _ = unlink(path)
}

extension PackingPlan {
  /// A fresh packer for this plan.
  func makePacker(padID: UInt32) throws(PackError) -> Packer {
    switch self {
    case .none: return .passThrough
    case .pad(let length): return try .fixed(length: length, padID: padID)
    case .blocks(var c):
      c.padID = padID
      return .pretrain(try PretrainBlocker(c))
    case .bestFit(var c):
      c.padID = padID
      return .sft(try SFTPacker(c))
    }
  }
}

extension Packer {
  var modeName: String {
    switch self {
    case .none: "none"
    case .fixedLength: "pad"
    case .sft: "best_fit"
    case .pretrain: "blocks"
    }
  }
}

extension ConfigValue {
  /// The tree as JSON (scalars as strings: the tree keeps text as written), for index.json.
  var json: JSONValue {
    switch self {
    case .scalar(let s, _, _): return .string(s)
    case .sequence(let items, _): return .array(items.map(\.json))
    case .mapping(let entries, _):
      var o = JSONObject()
      for e in entries { o.append(e.key, e.value.json) }
      return .object(o)
    }
  }
}
