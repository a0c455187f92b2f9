import PrepCore

/// What a dataset holds, computed from its samples: counts, trained share, padding, lengths.
///
/// Padding is the run of untrained pad ids (`<|endoftext|>`) at the end of a sample: what `pad` and packing add.
/// Packing efficiency is the non-pad share of all positions.
public struct DatasetStats: Sendable, Equatable {
  /// Samples (rows a trainer sees).
  public var samples = 0
  /// Positions, padding included.
  public var tokens = 0
  /// Positions whose label is trained.
  public var trainedTokens = 0
  /// Trailing untrained pad positions.
  public var padTokens = 0
  /// Documents (a packed block holds several).
  public var documents = 0
  /// Count of samples by length without padding.
  public var lengthCounts: [Int: Int] = [:]

  /// Creates empty statistics.
  public init() {}

  /// Adds one sample.
  public mutating func add(_ sample: Sample, padID: UInt32?) {
    samples &+= 1
    tokens &+= sample.count
    trainedTokens &+= sample.trainedCount
    documents &+= max(1, sample.boundaries.count - 1)
    var pad = 0
    if let padID {
      var i = sample.count - 1
      while i >= 0 && sample.ids[i] == padID && sample.trained[i] == 0 {
        pad &+= 1
        i -= 1
      }
    }
    padTokens &+= pad
    lengthCounts[sample.count - pad, default: 0] &+= 1
  }

  /// Adds another set of statistics.
  public mutating func merge(_ other: DatasetStats) {
    samples &+= other.samples
    tokens &+= other.tokens
    trainedTokens &+= other.trainedTokens
    padTokens &+= other.padTokens
    documents &+= other.documents
    for (k, v) in other.lengthCounts { lengthCounts[k, default: 0] &+= v }
  }

  /// Trained positions over all positions.
  public var trainedShare: Double { tokens == 0 ? 0 : Double(trainedTokens) / Double(tokens) }
  /// Non-pad positions over all positions.
  public var packingEfficiency: Double { tokens == 0 ? 0 : Double(tokens - padTokens) / Double(tokens) }

  /// The length (without padding) at or below which `p` percent of samples fall (nearest rank).
  public func percentile(_ p: Double) -> Int {
    guard samples > 0 else { return 0 }
    let rank = max(1, Int((p / 100 * Double(samples)).rounded(.up)))
    var seen = 0
    for length in lengthCounts.keys.sorted() {
      seen += lengthCounts[length, default: 0]
      if seen >= rank { return length }
    }
    return lengthCounts.keys.max() ?? 0
  }

  /// Shortest and longest sample (without padding).
  public var minLength: Int { lengthCounts.keys.min() ?? 0 }
  /// Longest sample (without padding).
  public var maxLength: Int { lengthCounts.keys.max() ?? 0 }
  /// Mean sample length (without padding).
  public var meanLength: Double {
    samples == 0 ? 0 : Double(lengthCounts.reduce(0) { $0 + $1.key * $1.value }) / Double(samples)
  }

  /// Up to `buckets` equal-width bins from the shortest to the longest length: (low, high, count), `high` exclusive.
  public func histogram(buckets: Int = 12) -> [(low: Int, high: Int, count: Int)] {
    guard samples > 0 else { return [] }
    let low = minLength
    let span = maxLength - low + 1
    let width = max(1, (span + buckets - 1) / buckets)
    var bins = [Int](repeating: 0, count: (span + width - 1) / width)
    for (length, count) in lengthCounts { bins[(length - low) / width] += count }
    return bins.enumerated().map {
      (low: low + $0.offset * width, high: low + ($0.offset + 1) * width, count: $0.element)
    }
  }
}

extension DatasetStats {
  /// Writes the statistics for a checkpoint.
  func encode(into w: inout StateWriter) {
    for v in [samples, tokens, trainedTokens, padTokens, documents] { w.write(v) }
    w.write(lengthCounts.count)
    for length in lengthCounts.keys.sorted() {
      w.write(length)
      w.write(lengthCounts[length, default: 0])
    }
  }

  /// Reads statistics written by `encode(into:)`.
  static func decode(from r: inout StateReader) throws(StateDecodingError) -> DatasetStats {
    var s = DatasetStats()
    s.samples = try r.readInt()
    s.tokens = try r.readInt()
    s.trainedTokens = try r.readInt()
    s.padTokens = try r.readInt()
    s.documents = try r.readInt()
    let count = try r.readInt()
    for _ in 0..<max(0, count) {
      let length = try r.readInt()
      s.lengthCounts[length] = try r.readInt()
    }
    return s
  }
}
