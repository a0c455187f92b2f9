import PrepCore

/// Packs whole SFT samples into blocks of `capacity` positions by best fit over a bounded set of open
/// blocks, streaming and deterministic.
///
/// Each sample goes into the open block with the least room that still fits it (ties: the oldest block).
/// When none fits, a new block is opened; if `openBlocks` are already open, the fullest one (ties: the
/// oldest) is closed and emitted first. A block that becomes exactly full is emitted at once; `finish`
/// emits the rest oldest first. Memory: at most `openBlocks` × `capacity` ids.
///
/// With a `sortWindow` of N, samples are instead gathered N at a time and each group is packed as LLaMA-Factory's
/// greedy knapsack packs a map batch (block by block, each time the longest sample that still fits): blocks fill
/// better, sample order changes inside a group, memory grows by N samples, `openBlocks` is not used. The default,
/// 0, keeps input order.
///
/// Every emitted block is padded to `capacity` with untrained `padID` (part of the last segment: see
/// `PackedBlock`), its boundaries are the cumulative document offsets, and (by default) the first position
/// of every packed document is not trained: under the aligned label convention its label would be
/// predicted from the previous document's last token.
public struct SFTPacker: Sendable {
  /// What to do with a sample longer than `capacity`.
  public enum Oversize: String, Sendable, Equatable {
    /// Keep its first `capacity` positions as a block of its own (counted in `truncated`; default).
    case truncate
    /// Leave it out (counted in `dropped`).
    case drop
  }

  /// Settings.
  public struct Config: Sendable, Equatable {
    /// Block length.
    public var capacity: Int
    /// How many blocks may be open at once (default 64): more fills blocks better, costs memory.
    public var openBlocks: Int
    /// Over-long samples (default `.truncate`).
    public var oversize: Oversize
    /// Clear the trained flag of each document's first position (default true).
    public var maskFirstLabel: Bool
    /// The pad id (`<|endoftext|>`, 151643 for Qwen).
    public var padID: UInt32
    /// Samples gathered and placed longest first (0: input order, the default).
    public var sortWindow: Int

    /// Creates a configuration.
    public init(
      capacity: Int, openBlocks: Int = 64, oversize: Oversize = .truncate, maskFirstLabel: Bool = true,
      padID: UInt32 = 151_643, sortWindow: Int = 0
    ) {
      self.capacity = capacity
      self.openBlocks = openBlocks
      self.oversize = oversize
      self.maskFirstLabel = maskFirstLabel
      self.padID = padID
      self.sortWindow = sortWindow
    }
  }

  struct Bin: Sendable {
    var serial: Int
    var ids: [UInt32]
    var trained: [UInt8]
    var boundaries: [UInt32]  // document starts; the end is added on close
    var documents: Int
  }

  /// The settings.
  public let config: Config
  /// Counters so far.
  public internal(set) var stats = PackStats()
  var bins: [Bin] = []
  var nextSerial = 0
  /// Samples gathered for the next longest-first placement (`sortWindow` > 0).
  var gathered: [Sample] = []

  /// Creates a packer; throws when `capacity` or `openBlocks` is not positive.
  public init(_ config: Config) throws(PackError) {
    guard config.capacity > 0 else {
      throw PackError(key: "capacity", message: "must be positive, got \(config.capacity)")
    }
    guard config.openBlocks > 0 else {
      throw PackError(key: "open_blocks", message: "must be positive, got \(config.openBlocks)")
    }
    guard config.sortWindow >= 0 else {
      throw PackError(key: "sort_window", message: "must be 0 or more, got \(config.sortWindow)")
    }
    self.config = config
  }

  /// Takes one sample (in input order) and emits the blocks this closes.
  public mutating func add(_ sample: Sample, into out: inout [PackedBlock]) {
    if config.sortWindow > 0 {
      gathered.append(sample)
      if gathered.count >= config.sortWindow { placeGathered(into: &out) }
      return
    }
    place(sample, into: &out)
  }

  /// Packs the gathered samples as LLaMA-Factory's greedy knapsack does with a map batch: block after block, each
  /// filled by repeatedly taking the longest remaining sample that still fits. Every block is closed when nothing
  /// more fits; the open blocks of the streaming mode are not used.
  private mutating func placeGathered(into out: inout [PackedBlock]) {
    // Shortest first, ties by input order; taking from the end takes the longest (the latest of equals).
    var pool: [Sample] = []
    pool.reserveCapacity(gathered.count)
    for sample in gathered { if let s = prepare(sample) { pool.append(s) } }
    gathered.removeAll(keepingCapacity: true)
    let order = pool.indices.sorted { pool[$0].count != pool[$1].count ? pool[$0].count < pool[$1].count : $0 < $1 }
    var sorted = order.map { pool[$0] }
    pool = []
    while !sorted.isEmpty {
      let bin = openBin()
      var room = config.capacity
      while true {
        // The last sample no longer than `room`.
        var low = 0
        var high = sorted.count
        while low < high {
          let mid = (low + high) / 2
          if sorted[mid].count <= room { low = mid + 1 } else { high = mid }
        }
        if low == 0 { break }
        let sample = sorted.remove(at: low - 1)
        put(sample, in: bin)
        room -= sample.count
      }
      close(at: bin, into: &out)
    }
  }

  /// Counts a sample in; returns it cut to `capacity` (or nil when it is empty or dropped as over-long).
  private mutating func prepare(_ sample: Sample) -> Sample? {
    stats.documentsIn &+= 1
    var sample = sample
    let capacity = config.capacity
    if sample.count == 0 {
      stats.dropped &+= 1
      return nil
    }
    if sample.count > capacity {
      if config.oversize == .drop {
        stats.dropped &+= 1
        stats.droppedTokens &+= sample.count
        return nil
      }
      stats.truncated &+= 1
      stats.droppedTokens &+= sample.count - capacity
      sample.ids.removeSubrange(capacity...)
      sample.trained.removeSubrange(capacity...)
      var b = sample.boundaries.dropLast().filter { Int($0) < capacity }
      if b.isEmpty { b = [0] }
      b.append(UInt32(capacity))
      sample.boundaries = Array(b)
    }
    return sample
  }

  /// A new empty block at the end of `bins`; returns its index.
  private mutating func openBin() -> Int {
    bins.append(Bin(serial: nextSerial, ids: [], trained: [], boundaries: [], documents: 0))
    nextSerial &+= 1
    let index = bins.count - 1
    bins[index].ids.reserveCapacity(config.capacity)
    bins[index].trained.reserveCapacity(config.capacity)
    return index
  }

  /// Appends a sample that fits to block `index`, recording its boundaries and the first-label rule.
  private mutating func put(_ sample: Sample, in index: Int) {
    let offset = UInt32(bins[index].ids.count)
    let firstTrained = bins[index].trained.count
    bins[index].ids += sample.ids
    bins[index].trained += sample.trained
    for start in sample.boundaries.dropLast() {
      bins[index].boundaries.append(offset &+ start)
      if config.maskFirstLabel { bins[index].trained[firstTrained + Int(start)] = 0 }
    }
    bins[index].documents &+= 1
  }

  private mutating func place(_ sample: Sample, into out: inout [PackedBlock]) {
    guard let sample = prepare(sample) else { return }
    let n = sample.count
    let capacity = config.capacity
    // Best fit: the least remaining room that still fits; ties go to the oldest (lowest index: bins stay
    // in serial order).
    var best = -1
    var bestRoom = Int.max
    for (i, bin) in bins.enumerated() {
      let room = capacity - bin.ids.count
      if room >= n && room < bestRoom {
        best = i
        bestRoom = room
      }
    }
    if best < 0 {
      if bins.count >= config.openBlocks {
        var fullest = 0
        for i in 1..<bins.count where bins[i].ids.count > bins[fullest].ids.count { fullest = i }
        close(at: fullest, into: &out)
      }
      best = openBin()
    }
    put(sample, in: best)
    if bins[best].ids.count == capacity { close(at: best, into: &out) }
  }

  /// Emits every open block, oldest first.
  public mutating func finish(into out: inout [PackedBlock]) {
    placeGathered(into: &out)
    while !bins.isEmpty { close(at: 0, into: &out) }
  }

  private mutating func close(at index: Int, into out: inout [PackedBlock]) {
    var bin = bins.remove(at: index)
    let content = bin.ids.count
    let padding = config.capacity - content
    if padding > 0 {
      bin.ids += repeatElement(config.padID, count: padding)
      bin.trained += repeatElement(0, count: padding)
    }
    bin.boundaries.append(UInt32(config.capacity))
    out.append(
      PackedBlock(
        sample: Sample(ids: bin.ids, trained: bin.trained, boundaries: bin.boundaries), padding: padding,
        documents: bin.documents))
    stats.blocks &+= 1
    stats.documentsPlaced &+= bin.documents
    stats.contentTokens &+= content
    stats.paddingTokens &+= padding
  }
}
