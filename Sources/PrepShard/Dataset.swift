import PrepCore
import PrepZstd
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One frame as the shard's frame table lists it.
public struct FrameEntry: Sendable, Equatable {
  /// Byte offset of the zstd frame in the shard file.
  public var offset: Int
  /// Compressed size.
  public var compressedSize: Int
  /// Decompressed payload size.
  public var rawSize: Int
  /// Index (within the shard) of the frame's first sample.
  public var firstSample: Int
  /// Samples in the frame.
  public var sampleCount: Int
  /// Tokens in the frame.
  public var tokenCount: Int
}

/// One open shard file: header, frame table and footer checked at open; frames read with `pread`
/// and decompressed on demand. Safe to share between threads.
public final class ShardReader: Sendable {
  /// The shard's path.
  public let path: String
  /// The file size.
  public let fileSize: Int
  /// The frame table.
  public let frames: [FrameEntry]
  /// Samples in the shard.
  public let sampleCount: Int
  /// Tokens in the shard.
  public let tokenCount: Int
  private let fd: Int32

  /// Opens a shard and checks its header, footer and frame table (not the frames themselves).
  public init(path: String) throws(ShardError) {
    self.path = path
    let fd = try Platform.openForReading(path)
    do {
      let size = try Platform.size(fd, path: path)
      let layout = try Self.readLayout(fd: fd, size: size, path: path)
      self.fileSize = size
      self.frames = layout.frames
      self.sampleCount = layout.samples
      self.tokenCount = layout.tokens
      self.fd = fd
    } catch {
      close(fd)
      throw error
    }
  }

  deinit { close(fd) }

  private static func readLayout(fd: Int32, size: Int, path: String) throws(ShardError)
    -> (frames: [FrameEntry], samples: Int, tokens: Int)
  {
    let minimum = ShardFormat.headerSize + ShardFormat.footerSize
    guard size >= minimum else {
      throw .corruptShard(file: path, offset: nil, reason: "\(size) bytes is too small for a shard")
    }
    let header = try Platform.readExactly(fd, offset: 0, count: ShardFormat.headerSize, path: path)
    guard Array(header[0..<8]) == ShardFormat.magic else {
      throw .corruptShard(file: path, offset: 0, reason: "not a prep shard (bad magic)")
    }
    let version = FramePayload.readU32(header, 8)
    guard version == UInt32(ShardFormat.version) else {
      throw .corruptShard(
        file: path, offset: 8, reason: "format version \(version), this reader knows \(ShardFormat.version)")
    }
    guard FramePayload.readU32(header, 12) == 0 else {
      throw .corruptShard(file: path, offset: 12, reason: "reserved header flags are not zero")
    }
    let footerAt = size - ShardFormat.footerSize
    let footer = try Platform.readExactly(fd, offset: footerAt, count: ShardFormat.footerSize, path: path)
    guard Array(footer[32..<40]) == ShardFormat.endMagic else {
      throw .corruptShard(file: path, offset: footerAt + 32, reason: "bad end magic (truncated or damaged shard)")
    }
    let tableOffset = FramePayload.readU64(footer, 0)
    let frameCount = FramePayload.readU64(footer, 8)
    let samples = FramePayload.readU64(footer, 16)
    let tokens = FramePayload.readU64(footer, 24)
    guard frameCount <= UInt64(size / ShardFormat.frameEntrySize),
      frameCount * UInt64(ShardFormat.frameEntrySize) <= UInt64(footerAt),
      tableOffset == UInt64(footerAt) - frameCount * UInt64(ShardFormat.frameEntrySize),
      tableOffset >= UInt64(ShardFormat.headerSize)
    else {
      throw .corruptShard(
        file: path, offset: footerAt,
        reason: "footer says \(frameCount) frames with a table at \(tableOffset), "
          + "which does not fit a \(size)-byte file")
    }
    let table = try Platform.readExactly(
      fd, offset: Int(tableOffset), count: Int(frameCount) * ShardFormat.frameEntrySize, path: path)
    var frames = [FrameEntry]()
    frames.reserveCapacity(Int(frameCount))
    var expectedOffset = UInt64(ShardFormat.headerSize)
    var sampleSum: UInt64 = 0
    var tokenSum: UInt64 = 0
    for f in 0..<Int(frameCount) {
      let e = f * ShardFormat.frameEntrySize
      let at = Int(tableOffset) + e
      let offset = FramePayload.readU64(table, e)
      let compressed = UInt64(FramePayload.readU32(table, e + 8))
      let raw = UInt64(FramePayload.readU32(table, e + 12))
      let first = FramePayload.readU64(table, e + 16)
      let count = UInt64(FramePayload.readU32(table, e + 24))
      let frameTokens = UInt64(FramePayload.readU32(table, e + 28))
      guard offset == expectedOffset else {
        throw .corruptShard(
          file: path, offset: at, reason: "frame \(f) starts at \(offset), expected \(expectedOffset)")
      }
      guard first == sampleSum else {
        throw .corruptShard(
          file: path, offset: at + 16, reason: "frame \(f) starts at sample \(first), expected \(sampleSum)")
      }
      // A payload holds the table, 1 to 5 bytes per id and at most 2 runs and 1 boundary per token.
      guard compressed > 0, count > 0, frameTokens >= count, raw >= 4 + 16 * count + frameTokens,
        raw <= 4 + 16 * count + 17 * frameTokens
      else {
        throw .corruptShard(
          file: path, offset: at,
          reason: "frame \(f) entry is inconsistent (sizes \(compressed)/\(raw), \(count) samples, "
            + "\(frameTokens) tokens)")
      }
      expectedOffset += compressed
      sampleSum += count
      tokenSum += frameTokens
      frames.append(
        FrameEntry(
          offset: Int(offset), compressedSize: Int(compressed), rawSize: Int(raw), firstSample: Int(first),
          sampleCount: Int(count), tokenCount: Int(frameTokens)))
    }
    guard expectedOffset == tableOffset else {
      throw .corruptShard(
        file: path, offset: Int(tableOffset),
        reason: "frames end at \(expectedOffset) but the table starts at \(tableOffset)")
    }
    guard sampleSum == samples, tokenSum == tokens else {
      throw .corruptShard(
        file: path, offset: footerAt + 16,
        reason: "footer counts \(samples) samples / \(tokens) tokens, the frames \(sampleSum) / \(tokenSum)")
    }
    return (frames, Int(samples), Int(tokens))
  }

  /// Reads, decompresses and checks frame `f` (its sample table, counts and zstd checksum).
  func decodeFrame(_ f: Int) throws(ShardError) -> DecodedFrame {
    let entry = frames[f]
    let compressed = try Platform.readExactly(fd, offset: entry.offset, count: entry.compressedSize, path: path)
    let payload: [UInt8]
    do {
      payload = try Zstd.decompress(compressed, expectedSize: entry.rawSize)
    } catch {
      throw .corruptShard(file: path, offset: entry.offset, reason: "frame \(f): \(error.description)")
    }
    let frame: DecodedFrame
    do {
      frame = try DecodedFrame(payload: payload)
    } catch {
      throw .corruptShard(file: path, offset: entry.offset, reason: "frame \(f): \(error.message)")
    }
    var tokens = 0
    for t in frame.tokenCounts { tokens += Int(t) }
    guard frame.count == entry.sampleCount, tokens == entry.tokenCount else {
      throw .corruptShard(
        file: path, offset: entry.offset,
        reason: "frame \(f) holds \(frame.count) samples / \(tokens) tokens, "
          + "the table says \(entry.sampleCount) / \(entry.tokenCount)")
    }
    return frame
  }

  /// Decodes every sample of frame `f`.
  public func samples(inFrame f: Int) throws(ShardError) -> [Sample] {
    let frame = try decodeFrame(f)
    var out = [Sample]()
    out.reserveCapacity(frame.count)
    for j in 0..<frame.count { out.append(try Self.sample(frame, j, frameIndex: f, entry: frames[f], path: path)) }
    return out
  }

  static func sample(_ frame: DecodedFrame, _ j: Int, frameIndex: Int, entry: FrameEntry, path: String)
    throws(ShardError) -> Sample
  {
    do {
      return try frame.sample(j)
    } catch {
      throw .corruptShard(file: path, offset: entry.offset, reason: "frame \(frameIndex): \(error.message)")
    }
  }

  /// The frame holding sample `i` of this shard (binary search over the frame table).
  public func frameIndex(ofSample i: Int) -> Int {
    var lo = 0
    var hi = frames.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if frames[mid].firstSample <= i { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }
}

/// A dataset directory opened for reading: index.json (self-checksum checked) and every shard's
/// frame table. `sample(at:)` decompresses one frame and keeps the last few frames in a small cache.
/// Safe to share between threads.
public final class Dataset: Sendable {
  /// The directory.
  public let directory: String
  /// index.json.
  public let index: DatasetIndex
  /// The shards, in index order.
  public let shards: [ShardReader]
  /// Global index of each shard's first sample, plus the total at the end.
  private let shardStarts: [Int]
  private let cache: Mutex<FrameCache>

  /// Frames kept decoded for `sample(at:)`.
  public static let cachedFrames = 4

  /// Opens a dataset. Checks index.json's self-checksum, that every shard exists with the recorded
  /// size and agrees with the index's sample and token counts, and, if `verifyChecksums`, every
  /// shard's SHA-256 (which reads every byte; `DatasetVerifier` checks everything).
  public init(directory: String, verifyChecksums: Bool = false) throws(ShardError) {
    self.directory = directory
    let index = try DatasetIndex.read(directory: directory)
    guard index.format == ShardFormat.name, index.formatVersion == ShardFormat.version else {
      throw .badIndex(
        file: directory + "/" + DatasetIndex.fileName,
        reason: "format \(index.format) version \(index.formatVersion); "
          + "this reader knows \(ShardFormat.name) \(ShardFormat.version)")
    }
    self.index = index
    var readers = [ShardReader]()
    var starts = [0]
    for entry in index.shards {
      guard DatasetVerifier.isSafeFileName(entry.file) else {
        throw .badIndex(file: directory + "/" + DatasetIndex.fileName, reason: "bad shard file name \(entry.file)")
      }
      let path = directory + "/" + entry.file
      let reader = try ShardReader(path: path)
      guard reader.fileSize == entry.bytes else {
        throw .corruptShard(file: path, offset: nil, reason: "\(reader.fileSize) bytes, index.json says \(entry.bytes)")
      }
      guard reader.sampleCount == entry.counts.samples, reader.tokenCount == entry.counts.tokens,
        reader.frames.count == entry.frames
      else {
        throw .corruptShard(
          file: path, offset: nil,
          reason: "holds \(reader.sampleCount) samples / \(reader.tokenCount) tokens / \(reader.frames.count) frames, "
            + "index.json says \(entry.counts.samples) / \(entry.counts.tokens) / \(entry.frames)")
      }
      if verifyChecksums {
        let actual = try DatasetVerifier.sha256(ofFile: path)
        guard actual == entry.sha256 else {
          throw .corruptShard(file: path, offset: nil, reason: "SHA-256 is \(actual), index.json says \(entry.sha256)")
        }
      }
      readers.append(reader)
      starts.append(starts[starts.count - 1] + reader.sampleCount)
    }
    self.shards = readers
    self.shardStarts = starts
    self.cache = Mutex(FrameCache())
  }

  /// The number of samples.
  public var count: Int { shardStarts[shardStarts.count - 1] }

  /// Which shard and which sample inside it hold global sample `i`.
  public func location(of i: Int) throws(ShardError) -> (shard: Int, sample: Int) {
    guard i >= 0 && i < count else { throw .sampleOutOfRange(index: i, count: count) }
    var lo = 0
    var hi = shards.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if shardStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
    }
    return (lo, i - shardStarts[lo])
  }

  /// Sample `i` (0-based over all shards): decompresses at most one frame.
  public func sample(at i: Int) throws(ShardError) -> Sample {
    let (s, local) = try location(of: i)
    let reader = shards[s]
    let f = reader.frameIndex(ofSample: local)
    let key = FrameKey(shard: s, frame: f)
    let frame: DecodedFrame
    if let hit = cache.withLock({ $0.get(key) }) {
      frame = hit
    } else {
      frame = try reader.decodeFrame(f)
      cache.withLock { $0.put(key, frame, capacity: Self.cachedFrames) }
    }
    let entry = reader.frames[f]
    return try ShardReader.sample(frame, local - entry.firstSample, frameIndex: f, entry: entry, path: reader.path)
  }

  /// An iterator over all samples in order, decoding each frame once (it does not use the cache).
  public func makeSampleIterator() -> SampleIterator { SampleIterator(dataset: self) }
}

/// Sequential reading: `while let s = try it.next() { ... }`.
public struct SampleIterator {
  private let dataset: Dataset
  private var shard = 0
  private var frame = 0
  private var samples: [Sample] = []
  private var position = 0

  init(dataset: Dataset) { self.dataset = dataset }

  /// The next sample, or nil at the end.
  public mutating func next() throws(ShardError) -> Sample? {
    while position >= samples.count {
      guard shard < dataset.shards.count else { return nil }
      let reader = dataset.shards[shard]
      if frame >= reader.frames.count {
        shard += 1
        frame = 0
        continue
      }
      samples = try reader.samples(inFrame: frame)
      frame += 1
      position = 0
    }
    position += 1
    return samples[position - 1]
  }
}

struct FrameKey: Equatable, Sendable {
  var shard: Int
  var frame: Int
}

/// A tiny most-recently-used list of decoded frames.
struct FrameCache: Sendable {
  private var entries: [(FrameKey, DecodedFrame)] = []

  mutating func get(_ key: FrameKey) -> DecodedFrame? {
    guard let i = entries.firstIndex(where: { $0.0 == key }) else { return nil }
    let e = entries.remove(at: i)
    entries.append(e)
    return e.1
  }

  mutating func put(_ key: FrameKey, _ frame: DecodedFrame, capacity: Int) {
    if entries.contains(where: { $0.0 == key }) { return }
    entries.append((key, frame))
    if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
  }
}
