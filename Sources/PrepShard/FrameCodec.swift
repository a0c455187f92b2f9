import PrepCore
import PrepZstd

/// Constants of the shard format (see docs/shard-format.md).
public enum ShardFormat {
  /// The `format` field of index.json.
  public static let name = "prep-shards"
  /// The format version written in every shard header and in index.json.
  public static let version = 1
  /// The label convention recorded in index.json: labels[i] = ids[i] where trained, the model shifts.
  public static let labelConvention = "aligned"
  /// The file name of shard `number`: `shard-00000.bin`.
  public static func shardFileName(_ number: Int) -> String {
    let digits = String(number)
    return "shard-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".bin"
  }

  static let magic: [UInt8] = Array("PREPSHRD".utf8)
  static let endMagic: [UInt8] = Array("PRSHDEND".utf8)
  static let headerSize = 16
  static let footerSize = 40
  static let frameEntrySize = 32
  static let sampleEntrySize = 16
}

/// Where frames and shards are cut, and how hard frames are compressed. Cuts depend only on the
/// samples and these values, never on threads or timing.
public struct ShardConfiguration: Sendable, Equatable {
  /// The default zstd level: 2, with `defaultMinMatch(level:)`.
  public static let defaultLevel: Int32 = 2

  /// prep's minimum match length for a level: 4 for levels 1 to 3, whose own (5 to 7) misses the
  /// short repeats of LEB128 token ids; 0 (the level's own) above. Measured on the frames of the dev
  /// corpus's monkey dataset (zstd 1.5.4, one core): plain level 3 compresses them 1.577x at 135 MB/s;
  /// level 2 with minimum match 4, 1.618x at 187 MB/s (2.6% smaller and 1.4x faster; on the Chinese
  /// subset 0.6% smaller); level 1 with 4, 1.571x at 238 MB/s.
  public static func defaultMinMatch(level: Int32) -> Int32 { level >= 1 && level <= 3 ? 4 : 0 }

  /// zstd level for every frame (default `defaultLevel`).
  public var level: Int32
  /// zstd's minimum match length, 0 for the level's own (default `defaultMinMatch(level:)`).
  public var minMatch: Int32
  /// A frame is closed once it holds at least this many tokens (default 262,144: about 0.5 MB of
  /// encoded ids). Random access decompresses one frame.
  public var frameTokens: Int
  /// A shard is closed once it holds at least this many tokens (default 2^27, about 180 MB on disk).
  public var shardTokens: Int
  /// If set, a shard is also closed when it holds exactly this many samples.
  public var shardSamples: Int?

  /// Creates a configuration; `minMatch` nil means `defaultMinMatch(level:)`.
  public init(
    level: Int32 = ShardConfiguration.defaultLevel, minMatch: Int32? = nil, frameTokens: Int = 262_144,
    shardTokens: Int = 1 << 27, shardSamples: Int? = nil
  ) {
    self.level = level
    self.minMatch = minMatch ?? ShardConfiguration.defaultMinMatch(level: level)
    self.frameTokens = frameTokens
    self.shardTokens = shardTokens
    self.shardSamples = shardSamples
  }

  func validate() throws(ShardError) {
    if frameTokens < 1 { throw .badConfiguration("frameTokens must be at least 1") }
    if frameTokens > 1 << 26 { throw .badConfiguration("frameTokens must be at most 2^26") }
    if shardTokens < 1 { throw .badConfiguration("shardTokens must be at least 1") }
    if let s = shardSamples, s < 1 { throw .badConfiguration("shardSamples must be at least 1") }
    if level < -7 || level > 22 { throw .badConfiguration("zstd level \(level) is outside -7...22") }
    if minMatch != 0 && (minMatch < 3 || minMatch > 7) {
      throw .badConfiguration("zstd minimum match \(minMatch) is outside 3...7 (or 0: the level's own)")
    }
  }
}

/// Consecutive samples that go into one frame, and whether the frame is the last of its shard.
public struct FrameGroup: Sendable, Equatable {
  /// The samples, in input order.
  public var samples: [Sample]
  /// The input position (0-based, over the whole dataset) of the first sample, for error messages.
  public var firstSampleIndex: Int
  /// Whether the shard is closed after this frame.
  public var endsShard: Bool

  /// Creates a group.
  public init(samples: [Sample], firstSampleIndex: Int, endsShard: Bool) {
    self.samples = samples
    self.firstSampleIndex = firstSampleIndex
    self.endsShard = endsShard
  }
}

/// Groups samples into frames and shards: feed samples in order, receive complete groups. Pure and
/// deterministic; the pipeline engine can run it on the reduce side and compress groups on workers.
public struct FrameBatcher: Sendable {
  /// The cut rules.
  public let configuration: ShardConfiguration
  private var pending: [Sample] = []
  private var pendingTokens = 0
  private var shardTokens = 0
  private var shardSamples = 0
  private var nextIndex = 0

  /// Creates a batcher.
  public init(configuration: ShardConfiguration) { self.configuration = configuration }

  /// Samples waiting for their frame to fill.
  public var pendingCount: Int { pending.count }

  /// Adds a sample; returns a complete group when this sample closes a frame.
  public mutating func append(_ sample: Sample) -> FrameGroup? {
    pending.append(sample)
    pendingTokens &+= sample.count
    shardTokens &+= sample.count
    shardSamples &+= 1
    var endsShard = shardTokens >= configuration.shardTokens
    if let limit = configuration.shardSamples, shardSamples >= limit { endsShard = true }
    if !endsShard && pendingTokens < configuration.frameTokens { return nil }
    return take(endsShard: endsShard)
  }

  /// The last, incomplete group (closing its shard), or nil if nothing is pending.
  public mutating func flush() -> FrameGroup? {
    if pending.isEmpty { return nil }
    return take(endsShard: true)
  }

  private mutating func take(endsShard: Bool) -> FrameGroup {
    let group = FrameGroup(samples: pending, firstSampleIndex: nextIndex, endsShard: endsShard)
    nextIndex &+= pending.count
    pending = []
    pendingTokens = 0
    if endsShard {
      shardTokens = 0
      shardSamples = 0
    }
    return group
  }
}

extension FrameBatcher {
  /// Writes the batcher's state (its pending samples and where the shard being filled stands), for a checkpoint.
  public func encodeState(into w: inout StateWriter) {
    w.write(pending.count)
    for sample in pending { w.write(sample) }
    w.write(pendingTokens)
    w.write(shardTokens)
    w.write(shardSamples)
    w.write(nextIndex)
  }

  /// Puts back a state written by `encodeState` of a batcher with the same configuration.
  public mutating func restoreState(from r: inout StateReader) throws(StateDecodingError) {
    let count = try r.readInt()
    pending = []
    for _ in 0..<max(0, count) { pending.append(try r.readSample()) }
    pendingTokens = try r.readInt()
    shardTokens = try r.readInt()
    shardSamples = try r.readInt()
    nextIndex = try r.readInt()
  }
}

/// One compressed frame, ready to be appended to a shard, with the counts the index needs.
public struct EncodedFrame: Sendable, Equatable {
  /// One zstd frame (with content size and checksum).
  public var compressed: [UInt8]
  /// The size of the decompressed payload.
  public var rawSize: Int
  /// Samples in the frame.
  public var sampleCount: Int
  /// Tokens in the frame.
  public var tokenCount: Int
  /// Trained positions in the frame.
  public var trainedCount: Int
  /// Documents in the frame (one per sample, more in packed blocks).
  public var documentCount: Int
  /// The largest id in the frame.
  public var maxID: UInt32
  /// Whether the shard is closed after this frame.
  public var endsShard: Bool

  /// Creates a frame from its parts. `FrameEncoder.encode` is the normal way; this initialiser lets
  /// tools (and tests) write a frame built by hand.
  public init(
    compressed: [UInt8], rawSize: Int, sampleCount: Int, tokenCount: Int, trainedCount: Int, documentCount: Int,
    maxID: UInt32, endsShard: Bool
  ) {
    self.compressed = compressed
    self.rawSize = rawSize
    self.sampleCount = sampleCount
    self.tokenCount = tokenCount
    self.trainedCount = trainedCount
    self.documentCount = documentCount
    self.maxID = maxID
    self.endsShard = endsShard
  }
}

/// Encodes and compresses frames. A pure function of the group and the level, so frames can be
/// compressed on any thread and still give the same bytes.
public struct FrameEncoder: Sendable {
  /// zstd level.
  public var level: Int32
  /// zstd minimum match length (0: the level's own).
  public var minMatch: Int32

  /// Creates an encoder; `minMatch` nil means `ShardConfiguration.defaultMinMatch(level:)`.
  public init(level: Int32 = ShardConfiguration.defaultLevel, minMatch: Int32? = nil) {
    self.level = level
    self.minMatch = minMatch ?? ShardConfiguration.defaultMinMatch(level: level)
  }

  /// Validates, encodes and compresses one group. Throws `.invalidSample` naming the sample's input
  /// position for an empty sample, mismatched lengths or malformed boundaries.
  public func encode(_ group: FrameGroup) throws(ShardError) -> EncodedFrame {
    let (payload, stats) = try FramePayload.encode(group.samples, firstSampleIndex: group.firstSampleIndex)
    guard payload.count <= Int(UInt32.max) else {
      throw .invalidSample(
        index: group.firstSampleIndex, reason: "a frame of \(payload.count) bytes exceeds the format's 4 GiB limit")
    }
    let compressed: [UInt8]
    do {
      compressed = try Zstd.compress(payload, level: level, minMatch: minMatch)
    } catch {
      throw .compression(error.description)
    }
    return EncodedFrame(
      compressed: compressed, rawSize: payload.count, sampleCount: group.samples.count, tokenCount: stats.tokens,
      trainedCount: stats.trained, documentCount: stats.documents, maxID: stats.maxID, endsShard: group.endsShard)
  }
}

/// Counts gathered while encoding or decoding.
struct FrameStats: Equatable {
  var tokens = 0
  var trained = 0
  var documents = 0
  var maxID: UInt32 = 0
}

/// The decompressed frame payload: a sample count, a table of per-sample sizes, then the LEB128
/// ids of all samples, the mask runs (u32) and the interior boundaries (u32).
enum FramePayload {
  @inline(__always) static func appendU32(_ v: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(truncatingIfNeeded: v))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v >> 16))
    out.append(UInt8(truncatingIfNeeded: v >> 24))
  }

  @inline(__always) static func appendU64(_ v: UInt64, to out: inout [UInt8]) {
    appendU32(UInt32(truncatingIfNeeded: v), to: &out)
    appendU32(UInt32(truncatingIfNeeded: v >> 32), to: &out)
  }

  @inline(__always) static func readU32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
  }

  static func readU32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    bytes.withUnsafeBytes { readU32($0, offset) }
  }

  static func readU64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
    UInt64(readU32(bytes, offset)) | UInt64(readU32(bytes, offset + 4)) << 32
  }

  /// Checks a sample against the format's rules; the reason if it breaks one.
  static func problem(_ s: Sample) -> String? {
    if s.ids.isEmpty { return "a sample must hold at least one token" }
    if s.ids.count != s.trained.count {
      return "\(s.ids.count) ids but \(s.trained.count) trained flags"
    }
    if s.ids.count > Int(UInt32.max) { return "more than 2^32-1 tokens" }
    let b = s.boundaries
    if b.count < 2 || b[0] != 0 { return "boundaries must start at 0 (got \(b.prefix(3)))" }
    for i in 1..<b.count where b[i] <= b[i - 1] {
      return "boundaries must strictly increase (\(b[i - 1]) then \(b[i]) at position \(i))"
    }
    if b[b.count - 1] != UInt32(s.ids.count) {
      return "boundaries must end at the sample length \(s.ids.count) (got \(b[b.count - 1]))"
    }
    return nil
  }

  /// Encodes samples into one payload: the table first (filled in last), the ids written in place
  /// after it, then the mask runs and the boundaries.
  static func encode(_ samples: [Sample], firstSampleIndex: Int) throws(ShardError) -> ([UInt8], FrameStats) {
    var stats = FrameStats()
    var totalTokens = 0
    for (k, s) in samples.enumerated() {
      if let reason = problem(s) { throw .invalidSample(index: firstSampleIndex + k, reason: reason) }
      totalTokens += s.count
    }
    let tableBytes = 4 + samples.count * ShardFormat.sampleEntrySize
    var table = [UInt8]()
    table.reserveCapacity(tableBytes)
    appendU32(UInt32(samples.count), to: &table)
    var runs = [UInt8]()
    var bounds = [UInt8]()
    var maxID: UInt32 = 0
    // Room for the table and five bytes per id (the most LEB128 takes for 32 bits); not zeroed.
    var payload = [UInt8](unsafeUninitializedCapacity: tableBytes + 5 * totalTokens) { buffer, initialized in
      guard let p = buffer.baseAddress else { return }
      var o = tableBytes
      for s in samples {
        let start = o
        s.ids.withUnsafeBufferPointer { src in
          for v in src {
            maxID = max(maxID, v)
            // One to three bytes cover every id below 2^21 (all of Qwen's), written without branches as one
            // 32-bit store (the buffer has room for five bytes per id); longer ones take the loop.
            if v < 0x20_0000 {
              let two: UInt32 = v >= 0x80 ? 1 : 0
              let three: UInt32 = v >= 0x4000 ? 1 : 0
              let word =
                (v & 0x7F) | two << 7 | ((v >> 7) & 0x7F) << 8 | three << 15 | ((v >> 14) & 0x7F) << 16
              UnsafeMutableRawPointer(p + o).storeBytes(of: word.littleEndian, as: UInt32.self)
              o &+= 1 &+ Int(two) &+ Int(three)
            } else {
              var x = v
              while x >= 0x80 {
                p[o] = UInt8(truncatingIfNeeded: x) | 0x80
                o &+= 1
                x >>= 7
              }
              p[o] = UInt8(truncatingIfNeeded: x)
              o &+= 1
            }
          }
        }
        let (runCount, trained) = appendRuns(s.trained, to: &runs)
        let interior = s.boundaries.count - 2
        if interior > 0 { for i in 1...interior { appendU32(s.boundaries[i], to: &bounds) } }
        appendU32(UInt32(s.count), to: &table)
        appendU32(UInt32(o - start), to: &table)
        appendU32(runCount, to: &table)
        appendU32(UInt32(interior), to: &table)
        stats.tokens &+= s.count
        stats.trained &+= trained
        stats.documents &+= interior + 1
      }
      initialized = o
    }
    stats.maxID = maxID
    payload.withUnsafeMutableBufferPointer { out in
      for k in 0..<tableBytes { out[k] = table[k] }
    }
    payload.append(contentsOf: runs)
    payload.append(contentsOf: bounds)
    return (payload, stats)
  }

  /// Appends the mask runs of `flags` (alternating untrained / trained lengths, starting with an untrained
  /// run, possibly empty) and returns how many runs and how many trained positions. Runs are found eight
  /// flags at a time (a flag is 0 or 1).
  static func appendRuns(_ flags: [UInt8], to runs: inout [UInt8]) -> (UInt32, Int) {
    var runCount: UInt32 = 0
    var trained = 0
    flags.withUnsafeBufferPointer { f in
      guard let base = f.baseAddress else { return }
      let n = f.count
      var current: UInt8 = 0
      var runStart = 0
      var i = 0
      while i < n {
        // Skip whole words equal to the current flag.
        let pattern: UInt64 = current == 0 ? 0 : 0x0101_0101_0101_0101
        while i &+ 8 <= n && UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) == pattern { i &+= 8 }
        while i < n && (base[i] != 0 ? 1 : 0) == current { i &+= 1 }
        if i < n {
          let length = i &- runStart
          if current == 1 { trained &+= length }
          appendU32(UInt32(length), to: &runs)
          runCount &+= 1
          current ^= 1
          runStart = i
        }
      }
      let length = n &- runStart
      if current == 1 { trained &+= length }
      appendU32(UInt32(length), to: &runs)
      runCount &+= 1
    }
    return (runCount, trained)
  }
}

/// A decompressed frame whose table has been checked; samples are decoded on demand.
struct DecodedFrame: Sendable {
  let payload: [UInt8]
  let tokenCounts: [UInt32]
  /// Prefix offsets (n + 1 entries each) into the ids, runs and boundaries sections.
  let idStarts: [Int]
  let runStarts: [Int]
  let boundaryStarts: [Int]

  var count: Int { tokenCounts.count }

  /// Parses the sample table and checks that the sections add up to the payload size.
  init(payload: [UInt8]) throws(FrameFault) {
    self.payload = payload
    guard payload.count >= 4 else { throw FrameFault("payload of \(payload.count) bytes has no sample count") }
    let n = Int(FramePayload.readU32(payload, 0))
    let tableEnd = 4 + n * ShardFormat.sampleEntrySize
    guard n > 0, tableEnd <= payload.count else {
      throw FrameFault("payload of \(payload.count) bytes cannot hold a table of \(n) samples")
    }
    var tokens = [UInt32]()
    tokens.reserveCapacity(n)
    var ids = [tableEnd]
    var runs = [0]
    var bounds = [0]
    ids.reserveCapacity(n + 1)
    runs.reserveCapacity(n + 1)
    bounds.reserveCapacity(n + 1)
    var idEnd = tableEnd
    var runTotal = 0
    var boundTotal = 0
    payload.withUnsafeBytes { raw in
      for j in 0..<n {
        let e = 4 + j * ShardFormat.sampleEntrySize
        tokens.append(FramePayload.readU32(raw, e))
        idEnd &+= Int(FramePayload.readU32(raw, e + 4))
        runTotal &+= Int(FramePayload.readU32(raw, e + 8))
        boundTotal &+= Int(FramePayload.readU32(raw, e + 12))
        ids.append(idEnd)
        runs.append(runTotal)
        bounds.append(boundTotal)
      }
    }
    let expected = idEnd + 4 * runTotal + 4 * boundTotal
    guard expected == payload.count else {
      throw FrameFault("sample table describes \(expected) payload bytes, the payload has \(payload.count)")
    }
    let runBase = idEnd
    let boundBase = idEnd + 4 * runTotal
    tokenCounts = tokens
    idStarts = ids
    runStarts = runs.map { runBase + 4 * $0 }
    boundaryStarts = bounds.map { boundBase + 4 * $0 }
  }

  /// Decodes sample `j`, checking every rule of the format.
  func sample(_ j: Int) throws(FrameFault) -> Sample {
    let n = Int(tokenCounts[j])
    if n == 0 { throw FrameFault("sample \(j) of the frame has no tokens") }
    var ids = [UInt32](repeating: 0, count: n)
    var trained = [UInt8](repeating: 0, count: n)
    var boundaries = [UInt32]()
    var fault: String? = nil
    payload.withUnsafeBytes { raw in
      // ids: LEB128, canonical (no trailing zero groups), at most 5 bytes, below 2^32.
      var p = idStarts[j]
      let end = idStarts[j + 1]
      ids.withUnsafeMutableBufferPointer { out in
        var k = 0
        while p < end && k < n {
          var value: UInt64 = 0
          var shift: UInt64 = 0
          var byte: UInt8 = 0
          repeat {
            byte = raw[p]
            p &+= 1
            value |= UInt64(byte & 0x7f) << shift
            shift &+= 7
          } while byte & 0x80 != 0 && p < end && shift < 35
          if byte & 0x80 != 0 || value > UInt64(UInt32.max) || (shift > 7 && byte == 0) {
            fault = "sample \(j) of the frame: malformed id at payload byte \(p - 1)"
            return
          }
          out[k] = UInt32(value)
          k &+= 1
        }
        if fault == nil && (k != n || p != end) {
          fault = "sample \(j) of the frame: id bytes do not hold exactly \(n) ids"
        }
      }
      if fault != nil { return }
      // Mask runs: alternate untrained / trained, the first may be empty, the rest are not, sum = n.
      var total = 0
      var bit: UInt8 = 0
      var r = runStarts[j]
      var first = true
      trained.withUnsafeMutableBufferPointer { out in
        while r < runStarts[j + 1] {
          let len = Int(FramePayload.readU32(raw, r))
          if (len == 0 && !first) || total + len > n {
            fault = "sample \(j) of the frame: malformed mask run \(len) at payload byte \(r)"
            return
          }
          if bit == 1 { for i in total..<(total + len) { out[i] = 1 } }
          total += len
          bit ^= 1
          first = false
          r &+= 4
        }
      }
      if fault != nil { return }
      if total != n {
        fault = "sample \(j) of the frame: mask runs cover \(total) of \(n) positions"
        return
      }
      // Interior boundaries: strictly increasing, inside (0, n).
      boundaries.reserveCapacity((boundaryStarts[j + 1] - boundaryStarts[j]) / 4 + 2)
      boundaries.append(0)
      var b = boundaryStarts[j]
      while b < boundaryStarts[j + 1] {
        let v = FramePayload.readU32(raw, b)
        if v <= boundaries[boundaries.count - 1] || v >= UInt32(n) {
          fault = "sample \(j) of the frame: boundary \(v) out of order or outside 1..<\(n)"
          return
        }
        boundaries.append(v)
        b &+= 4
      }
      boundaries.append(UInt32(n))
    }
    if let fault { throw FrameFault(fault) }
    return Sample(ids: ids, trained: trained, boundaries: boundaries)
  }
}

/// A problem found inside a frame; the caller adds the file and frame.
struct FrameFault: Error {
  let message: String
  init(_ message: String) { self.message = message }
}
