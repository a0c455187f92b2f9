import Dispatch
import PrepCore
import PrepJSON
import PrepZstd
import Synchronization

/// Writes a dataset directory: shards of zstd frames, then index.json.
///
/// Two ways to feed it, not to be mixed:
/// - `append(_ sample:)`: the writer groups samples into frames and compresses them itself.
/// - `append(frame:)`: the caller groups samples with a `FrameBatcher` (same configuration),
///   compresses the groups with `FrameEncoder` on any threads, and appends the frames in group order.
/// Both give the same bytes, and so does `append(_ sample:)` with any number of `threads`.
///
/// Each shard is written to `.shard-NNNNN.bin.tmp`, fsynced and renamed to `shard-NNNNN.bin` when it
/// is complete; index.json is written last (temporary name, fsync, rename). If anything fails, or the
/// writer is dropped or aborted before `finish`, every file it created is removed: a failed run never
/// leaves something that looks like a dataset or a finished shard. An owner that checkpoints for a resume sets
/// `keepsFilesOnFailure`: a failure then only stops the writer, and the owner chooses between `abort` (or
/// dropping the writer) and `release`, which keeps the files for a resume from the last checkpoint (nothing
/// looks complete: no index.json, and the shard in progress keeps its temporary name).
public final class ShardWriter {
  /// The output directory.
  public let directory: String
  /// The cut rules and zstd level.
  public let configuration: ShardConfiguration
  /// The frame encoder for `append(frame:)` callers (the writer's level).
  public var encoder: FrameEncoder { FrameEncoder(level: configuration.level, minMatch: configuration.minMatch) }

  /// Frames compressed at once by `append(_ sample:)` (1: on the caller's thread).
  public let threads: Int

  private var batcher: FrameBatcher
  private var waiting: [FrameGroup] = []
  private var state = State.closed  // open once init succeeds, so a refused directory is left alone
  private var shards: [ShardEntry] = []
  private var created: [String] = []
  private var maxID: UInt32 = 0
  private var sampleCount = 0
  private var appended = 0

  // The shard being written.
  private var fd: Int32 = -1
  private var tempPath = ""
  private var offset = 0
  private var hash = SHA256()
  private var table: [UInt8] = []
  private var frameCount = 0
  private var counts = ShardCounts()

  private enum State { case open, finished, closed, failed }

  /// Whether a failure leaves the files for the owner to `abort` or `release` (default false: a failure aborts).
  public var keepsFilesOnFailure = false

  /// Opens `directory` for a new dataset, creating it if needed. A directory that already holds
  /// index.json or shard files is refused unless `force`; with `force`, index.json is removed first,
  /// then the old shards and temporary files. With `threads` > 1, `append(_ sample:)` collects that
  /// many frames and compresses them concurrently (Dispatch), then writes them in order.
  public init(
    directory: String, configuration: ShardConfiguration = ShardConfiguration(), force: Bool = false,
    threads: Int = 1
  ) throws(ShardError) {
    try configuration.validate()
    self.threads = max(1, threads)
    self.directory = directory
    self.configuration = configuration
    self.batcher = FrameBatcher(configuration: configuration)
    try Platform.makeDirectories(directory)
    try Self.removeDataset(in: directory, force: force)
    state = .open
  }

  /// Removes the dataset files in `directory` (index.json first, so that nothing looks complete while the
  /// rest goes), leaving any other file. A directory holding them is refused unless `force`.
  public static func removeDataset(in directory: String, force: Bool) throws(ShardError) {
    let old = try Platform.listDirectory(directory).filter(Self.isDatasetFile)
    guard !old.isEmpty else { return }
    guard force else {
      let named =
        old.contains(DatasetIndex.fileName)
        ? DatasetIndex.fileName : old.contains(ResumeCheckpoint.fileName) ? ResumeCheckpoint.fileName : old[0]
      throw .existingDataset(directory: directory, file: named)
    }
    try Platform.remove(directory + "/" + DatasetIndex.fileName)
    for name in old { try Platform.remove(directory + "/" + name) }
    try Platform.syncDirectory(directory)
  }

  /// `removeDataset(in:force:)` for a directory that may not exist, which is then removed too if nothing
  /// else is left in it.
  public static func removeLeftoverDataset(in directory: String, force: Bool) throws(ShardError) {
    guard Platform.isDirectory(directory) else { return }
    try removeDataset(in: directory, force: force)
    Platform.removeEmptyDirectory(directory)
  }

  deinit {
    if state == .open || state == .failed { abort() }
  }

  /// Reopens the dataset of an interrupted run at a state written by `checkpoint(into:)`: the shards it had
  /// finished must be there with their recorded sizes; the shard it was writing is cut back to the checkpoint's
  /// length and its checksum recomputed (and compared with the recorded one); any shard or temporary file
  /// written after the checkpoint is removed. Feed it with `append(frame:)` from the same point on and it writes
  /// exactly the bytes an uninterrupted writer would have.
  public init(
    resuming directory: String, configuration: ShardConfiguration, state r: inout StateReader
  ) throws(ShardError) {
    try configuration.validate()
    self.threads = 1
    self.directory = directory
    self.configuration = configuration
    self.batcher = FrameBatcher(configuration: configuration)
    func bad(_ reason: String) -> ShardError { .cannotResume(directory: directory, reason: reason) }
    var tempName = ""
    var digest: String? = nil
    do throws(StateDecodingError) {
      let count = try r.readInt()
      for _ in 0..<max(0, count) {
        let entry = ShardEntry(
          file: try r.readString(), bytes: try r.readInt(), sha256: try r.readString(), frames: try r.readInt(),
          counts: ShardCounts(
            samples: try r.readInt(), tokens: try r.readInt(), trainedTokens: try r.readInt(),
            documents: try r.readInt()))
        shards.append(entry)
      }
      maxID = UInt32(truncatingIfNeeded: try r.readUInt64())
      sampleCount = try r.readInt()
      appended = try r.readInt()
      if try r.readBool() {
        offset = try r.readInt()
        table = try r.readBytes()
        frameCount = try r.readInt()
        counts = ShardCounts(
          samples: try r.readInt(), tokens: try r.readInt(), trainedTokens: try r.readInt(),
          documents: try r.readInt())
        digest = try r.readString()
      }
    } catch {
      throw bad(error.description)
    }
    if let digest {
      tempName = "." + ShardFormat.shardFileName(shards.count) + ".tmp"
      tempPath = directory + "/" + tempName
      // The shard may have been finished after the checkpoint: its first bytes are still the ones recorded.
      let finished = directory + "/" + ShardFormat.shardFileName(shards.count)
      if !Platform.exists(tempPath) && Platform.exists(finished) { try Platform.renameFile(finished, tempPath) }
      guard let size = Platform.fileSize(tempPath), size >= offset else {
        throw bad("\(tempPath) is missing or shorter than the \(offset) bytes the checkpoint recorded")
      }
      // The checksum state is rebuilt from the bytes on disk, which must be the ones checkpointed.
      let reading = try Platform.openForReading(tempPath)
      defer { _ = try? Platform.closeFile(reading, path: tempPath) }
      var done = 0
      while done < offset {
        let n = min(1 << 20, offset - done)
        hash.update(try Platform.readExactly(reading, offset: done, count: n, path: tempPath))
        done += n
      }
      var copy = hash
      guard copy.finalize().hexString == digest else {
        throw bad("\(tempPath) does not hold the bytes the checkpoint recorded")
      }
    }
    for entry in shards {
      let path = directory + "/" + entry.file
      guard let size = Platform.fileSize(path), size == entry.bytes else {
        throw bad("\(path), finished before the interruption, is missing or has another size")
      }
      created.append(path)
    }
    // Whatever was written after the checkpoint is written again.
    let kept = Set(shards.map(\.file) + [tempName, ResumeCheckpoint.fileName])
    for name in try Platform.listDirectory(directory) where Self.isDatasetFile(name) && !kept.contains(name) {
      try Platform.remove(directory + "/" + name)
    }
    if !tempPath.isEmpty { fd = try Platform.openTruncated(tempPath, length: offset) }
    state = .open
  }

  /// Writes what `init(resuming:configuration:state:)` needs to continue exactly from here, after making every
  /// byte written so far durable. Only for writers fed with `append(frame:)` (nothing may be pending).
  public func checkpoint(into w: inout StateWriter) throws(ShardError) {
    try checkOpen()
    guard batcher.pendingCount == 0 && waiting.isEmpty else {
      throw .badConfiguration("checkpoint while samples given to append(_:) are pending")
    }
    if fd >= 0 { try Platform.sync(fd, path: tempPath) }
    w.write(shards.count)
    for entry in shards {
      w.write(entry.file)
      w.write(entry.bytes)
      w.write(entry.sha256)
      w.write(entry.frames)
      for v in [entry.counts.samples, entry.counts.tokens, entry.counts.trainedTokens, entry.counts.documents] {
        w.write(v)
      }
    }
    w.write(UInt64(maxID))
    w.write(sampleCount)
    w.write(appended)
    w.write(fd >= 0)
    if fd >= 0 {
      w.write(offset)
      w.write(table)
      w.write(frameCount)
      for v in [counts.samples, counts.tokens, counts.trainedTokens, counts.documents] { w.write(v) }
      var copy = hash
      w.write(copy.finalize().hexString)
    }
  }

  /// Whether `name` is one of the files a dataset consists of (index, shards, their temporary names).
  static func isDatasetFile(_ name: String) -> Bool {
    name == DatasetIndex.fileName || name == "." + DatasetIndex.fileName + ".tmp"
      || name == ResumeCheckpoint.fileName || name == "." + ResumeCheckpoint.fileName + ".tmp"
      || (name.hasPrefix("shard-") && name.hasSuffix(".bin"))
      || (name.hasPrefix(".shard-") && name.hasSuffix(".bin.tmp"))
  }

  /// Appends one sample (in input order). Throws `.invalidSample` for a sample the format cannot hold;
  /// any error aborts the whole write.
  public func append(_ sample: Sample) throws(ShardError) {
    try checkOpen()
    if let reason = FramePayload.problem(sample) {
      fail()
      throw .invalidSample(index: appended, reason: reason)
    }
    appended += 1
    if let group = batcher.append(sample) {
      waiting.append(group)
      if waiting.count >= threads { try writeWaiting() }
    }
  }

  /// Appends samples in order.
  public func append(contentsOf samples: [Sample]) throws(ShardError) {
    for s in samples { try append(s) }
  }

  /// Appends a frame compressed by the caller (groups from a `FrameBatcher` with this writer's
  /// configuration, encoded with `encoder`), in group order.
  public func append(frame: EncodedFrame) throws(ShardError) {
    try checkOpen()
    if batcher.pendingCount > 0 || !waiting.isEmpty {
      fail()
      throw .badConfiguration("append(frame:) while samples given to append(_:) are pending")
    }
    if frame.compressed.count > Int(UInt32.max) || frame.rawSize > Int(UInt32.max) || frame.sampleCount < 1
      || frame.tokenCount > Int(UInt32.max)
    {
      fail()
      throw .badConfiguration("a frame must hold 1 or more samples and fit the format's 32-bit sizes")
    }
    try write(frame)
  }

  /// Flushes the last frame and shard, checks every id against the vocabulary size, writes index.json
  /// and returns it as a reader will see it (object keys of `pipeline` and `stats` sorted). After this
  /// the writer is closed; on any error every file it wrote is removed.
  @discardableResult
  public func finish(_ metadata: IndexMetadata) throws(ShardError) -> DatasetIndex {
    try publishIndex(try prepareIndex(metadata))
  }

  /// An index ready to be written: the bytes of index.json and what a reader will see in them.
  public struct PreparedIndex: Sendable {
    let bytes: [UInt8]
    /// The index as a reader decodes it.
    public let index: DatasetIndex
  }

  /// The first half of `finish`: writes out everything pending and finishes the last shard, but writes no
  /// index.json, so nothing looks complete yet. A run that writes two datasets prepares both before it publishes
  /// either, which leaves only the two index writes between a dataset that looks complete and one that does not.
  public func prepareIndex(_ metadata: IndexMetadata) throws(ShardError) -> PreparedIndex {
    try checkOpen()
    do throws(ShardError) {
      if let group = batcher.flush() { waiting.append(group) }
      try writeWaiting()
      if fd >= 0 { try closeShard() }
      if sampleCount > 0 && Int(maxID) >= metadata.vocabularySize {
        throw ShardError.invalidSample(
          index: -1, reason: "id \(maxID) is not below the vocabulary size \(metadata.vocabularySize)")
      }
      var totals = ShardCounts()
      for s in shards { totals.add(s.counts) }
      let index = DatasetIndex(
        prepVersion: metadata.prepVersion, zstdVersion: Zstd.version, zstdLevel: Int(configuration.level),
        zstdMinMatch: configuration.minMatch == 0 ? nil : Int(configuration.minMatch),
        tokenizerFingerprint: metadata.tokenizerFingerprint, vocabularySize: metadata.vocabularySize,
        frameTokens: configuration.frameTokens, shardTokens: configuration.shardTokens,
        shardSamples: configuration.shardSamples, pipeline: metadata.pipeline, stats: metadata.stats,
        totals: totals, shards: shards)
      let bytes = try index.encoded()
      // Return what a reader will see (object keys of pipeline and stats come back sorted).
      return PreparedIndex(bytes: bytes, index: try DatasetIndex.decode(bytes, file: DatasetIndex.fileName))
    } catch {
      fail()
      throw error
    }
  }

  /// The second half of `finish`: writes index.json (atomically), after which the dataset is complete.
  public func publishIndex(_ prepared: PreparedIndex) throws(ShardError) -> DatasetIndex {
    try checkOpen()
    do throws(ShardError) {
      try Platform.writeFileAtomically(prepared.bytes, directory: directory, name: DatasetIndex.fileName)
    } catch {
      fail()
      throw error
    }
    state = .finished
    return prepared.index
  }

  /// Shards finished (renamed to their final names) so far, those of a resumed run included.
  public var finishedShards: Int { shards.count }

  /// Stops writing but leaves every file as it is, for a later resume from the last checkpoint: the shard being
  /// written keeps its temporary name, so nothing looks complete.
  public func release() {
    guard state == .open || state == .failed else { return }
    state = .closed
    if fd >= 0 {
      _ = try? Platform.closeFile(fd, path: tempPath)
      fd = -1
    }
  }

  /// Stops writing and removes every file this writer created (finished shards included). Called automatically
  /// when an unfinished writer is dropped (one that failed and was not released included).
  public func abort() {
    guard state == .open || state == .failed else { return }
    release()
    if !tempPath.isEmpty { try? Platform.remove(tempPath) }
    for path in created { try? Platform.remove(path) }
    try? Platform.remove(directory + "/." + DatasetIndex.fileName + ".tmp")
    created = []
  }

  /// Compresses the waiting groups (concurrently when there are several) and writes them in order.
  private func writeWaiting() throws(ShardError) {
    let groups = waiting
    waiting = []
    if groups.count == 1 {
      let frame: EncodedFrame
      do {
        frame = try encoder.encode(groups[0])
      } catch {
        fail()
        throw error
      }
      try write(frame)
      return
    }
    let encoder = self.encoder
    let results = Mutex([Result<EncodedFrame, ShardError>?](repeating: nil, count: groups.count))
    DispatchQueue.concurrentPerform(iterations: groups.count) { i in
      let r = Result { () throws(ShardError) in try encoder.encode(groups[i]) }
      results.withLock { $0[i] = r }
    }
    let frames = results.withLock { $0 }
    for r in frames {
      switch r {
      case .success(let frame)?: try write(frame)
      case .failure(let error)?:
        fail()
        throw error
      case nil:
        fail()
        throw .compression("a frame was not compressed")
      }
    }
  }

  /// After an error: aborts, or with `keepsFilesOnFailure` stops writing (the shard in progress is closed) but
  /// removes nothing yet; the owner then calls `abort` or `release`, and dropping the writer aborts.
  private func fail() {
    guard state == .open else { return }
    guard keepsFilesOnFailure else {
      abort()
      return
    }
    state = .failed
    if fd >= 0 {
      _ = try? Platform.closeFile(fd, path: tempPath)
      fd = -1
    }
  }

  private func checkOpen() throws(ShardError) {
    if state != .open { throw .writerClosed(directory: directory) }
  }

  private func write(_ frame: EncodedFrame) throws(ShardError) {
    do {
      if fd < 0 { try openShard() }
      try Platform.writeAll(fd, frame.compressed, path: tempPath)
      Platform.startWriteback(fd, offset: offset, count: frame.compressed.count)
      hash.update(frame.compressed)
      FramePayload.appendU64(UInt64(offset), to: &table)
      FramePayload.appendU32(UInt32(frame.compressed.count), to: &table)
      FramePayload.appendU32(UInt32(frame.rawSize), to: &table)
      FramePayload.appendU64(UInt64(counts.samples), to: &table)
      FramePayload.appendU32(UInt32(frame.sampleCount), to: &table)
      FramePayload.appendU32(UInt32(frame.tokenCount), to: &table)
      offset += frame.compressed.count
      frameCount += 1
      counts.add(
        ShardCounts(
          samples: frame.sampleCount, tokens: frame.tokenCount, trainedTokens: frame.trainedCount,
          documents: frame.documentCount))
      sampleCount += frame.sampleCount
      if frame.maxID > maxID { maxID = frame.maxID }
      if frame.endsShard { try closeShard() }
    } catch {
      fail()
      throw error
    }
  }

  private func openShard() throws(ShardError) {
    let name = ShardFormat.shardFileName(shards.count)
    tempPath = directory + "/." + name + ".tmp"
    fd = try Platform.createExclusive(tempPath)
    var header = ShardFormat.magic
    FramePayload.appendU32(UInt32(ShardFormat.version), to: &header)
    FramePayload.appendU32(0, to: &header)
    try Platform.writeAll(fd, header, path: tempPath)
    hash = SHA256()
    hash.update(header)
    offset = header.count
    table = []
    frameCount = 0
    counts = ShardCounts()
  }

  private func closeShard() throws(ShardError) {
    var tail = table
    FramePayload.appendU64(UInt64(offset), to: &tail)
    FramePayload.appendU64(UInt64(frameCount), to: &tail)
    FramePayload.appendU64(UInt64(counts.samples), to: &tail)
    FramePayload.appendU64(UInt64(counts.tokens), to: &tail)
    tail.append(contentsOf: ShardFormat.endMagic)
    try Platform.writeAll(fd, tail, path: tempPath)
    hash.update(tail)
    try Platform.sync(fd, path: tempPath)
    let closing = fd
    fd = -1
    try Platform.closeFile(closing, path: tempPath)
    let name = ShardFormat.shardFileName(shards.count)
    let final = directory + "/" + name
    try Platform.renameFile(tempPath, final)
    created.append(final)
    tempPath = ""
    try Platform.syncDirectory(directory)
    shards.append(
      ShardEntry(
        file: name, bytes: offset + tail.count, sha256: hash.finalize().hexString, frames: frameCount, counts: counts))
  }
}
