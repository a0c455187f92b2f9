import PrepCore

/// Cuts one stream of pretraining documents into fixed blocks (seed 002 `group_texts`, oracle `monkey`):
/// documents are concatenated in input order and sliced every `blockSize` ids; labels are the ids (every
/// position trained). Streaming: holds at most one block.
///
/// Feed it with `add(document:into:)` in input order (one call per record, empty documents included, since
/// seed-compat batches count them), then `finish(into:)` once.
public struct PretrainBlocker: Sendable {
  /// What happens to the last, partial block.
  public enum FinalBlock: String, Sendable, Equatable {
    /// Dropped (default; the oracle and the seed).
    case drop
    /// Padded to `blockSize` with untrained pad ids.
    case pad
  }

  /// Settings.
  public struct Config: Sendable, Equatable {
    /// Block length (default 2048).
    public var blockSize: Int
    /// When false (default) every block is one segment (`[0, blockSize]`, positions 0..blockSize-1 as the
    /// oracle's `position_ids`). When true the boundaries list every document start inside the block and
    /// the first position of each such document is not trained (its label would be predicted across the
    /// boundary).
    public var resetPositions: Bool
    /// The partial last block (default `.drop`).
    public var finalBlock: FinalBlock
    /// Seed compatibility: after every this many documents the unfinished block is discarded (the seed's
    /// `datasets.map` batches of 40,000, oracle `--seed-compat`); nil = one global stream (default).
    public var seedCompatBatch: Int?
    /// The pad id for `.pad` (`<|endoftext|>`, 151643 for Qwen).
    public var padID: UInt32

    /// Creates a configuration.
    public init(
      blockSize: Int = 2048, resetPositions: Bool = false, finalBlock: FinalBlock = .drop,
      seedCompatBatch: Int? = nil, padID: UInt32 = 151_643
    ) {
      self.blockSize = blockSize
      self.resetPositions = resetPositions
      self.finalBlock = finalBlock
      self.seedCompatBatch = seedCompatBatch
      self.padID = padID
    }
  }

  /// The settings.
  public let config: Config
  /// Counters so far.
  public internal(set) var stats = PackStats()

  var ids: [UInt32] = []
  var starts: [UInt32] = []  // document starts inside the current block (resetPositions)
  var pieces = 0  // document pieces in the current block
  var inBatch = 0

  /// Creates a blocker; throws when `blockSize` or `seedCompatBatch` is not positive.
  public init(_ config: Config) throws(PackError) {
    guard config.blockSize > 0 else {
      throw PackError(key: "block_size", message: "must be positive, got \(config.blockSize)")
    }
    if let b = config.seedCompatBatch, b <= 0 {
      throw PackError(key: "seed_compat_batch", message: "must be positive, got \(b)")
    }
    self.config = config
    ids.reserveCapacity(config.blockSize)
  }

  /// Appends one document (its separator already included) and emits every block it completes.
  public mutating func add(document: [UInt32], into out: inout [PackedBlock]) {
    add(document: document[...], into: &out)
  }

  /// The same for a document that is a slice (of a buffer that holds several, as the engine passes them).
  public mutating func add(document: ArraySlice<UInt32>, into out: inout [PackedBlock]) {
    stats.documentsIn &+= 1
    let block = config.blockSize
    var offset = document.startIndex
    while offset < document.endIndex {
      if offset == document.startIndex || ids.isEmpty {
        pieces &+= 1
        if offset == document.startIndex && config.resetPositions { starts.append(UInt32(ids.count)) }
      }
      let take = min(block - ids.count, document.endIndex - offset)
      ids += document[offset..<(offset + take)]
      offset += take
      if ids.count == block { emit(padding: 0, into: &out) }
    }
    if let batch = config.seedCompatBatch {
      inBatch &+= 1
      if inBatch == batch {
        discard()
        inBatch = 0
      }
    }
  }

  /// Ends the stream: the partial block is dropped or padded per `finalBlock`.
  public mutating func finish(into out: inout [PackedBlock]) {
    if !ids.isEmpty && config.finalBlock == .pad {
      let padding = config.blockSize - ids.count
      ids += repeatElement(config.padID, count: padding)
      emit(padding: padding, into: &out)
    } else {
      discard()
    }
  }

  private mutating func discard() {
    stats.droppedTokens &+= ids.count
    ids.removeAll(keepingCapacity: true)
    starts.removeAll(keepingCapacity: true)
    pieces = 0
  }

  private mutating func emit(padding: Int, into out: inout [PackedBlock]) {
    let count = ids.count
    var trained = [UInt8](repeating: 1, count: count)
    if padding > 0 { for i in (count - padding)..<count { trained[i] = 0 } }
    var boundaries: [UInt32] = [0]
    if config.resetPositions {
      for s in starts {
        trained[Int(s)] = 0
        if s != 0 { boundaries.append(s) }
      }
    }
    boundaries.append(UInt32(count))
    out.append(
      PackedBlock(
        sample: Sample(ids: ids, trained: trained, boundaries: boundaries), padding: padding, documents: pieces))
    stats.blocks &+= 1
    stats.documentsPlaced &+= pieces
    stats.contentTokens &+= count - padding
    stats.paddingTokens &+= padding
    ids.removeAll(keepingCapacity: true)
    starts.removeAll(keepingCapacity: true)
    pieces = 0
  }
}
