/// One training sample as every stage after templating sees it: token ids, which positions are
/// trained, and where the documents inside it start.
///
/// Labels follow HF's aligned convention: `labels[i] == ids[i]` where `trained[i]` is set and
/// -100 elsewhere; the model shifts. A sample that holds one document has `boundaries == [0, count]`;
/// a packed block lists the start of each document and ends with the block length, the shape
/// flash-attention's `cu_seqlens` expects. Padding added after the last document (by `pad` or packing) is
/// untrained pad ids at the end; the packing decides whether it is a segment of its own (docs/shard-format.md).
public struct Sample: Sendable, Equatable {
  /// Token ids (the Qwen vocabulary is larger than 65,535, so 32 bits).
  public var ids: [UInt32]
  /// One flag per id: 1 where the position is trained (its label is its id), 0 where the label is -100.
  public var trained: [UInt8]
  /// Cumulative document offsets: starts at 0, strictly increasing, ends at `ids.count`.
  public var boundaries: [UInt32]

  /// Creates a sample; `boundaries` defaults to one document spanning all ids.
  public init(ids: [UInt32], trained: [UInt8], boundaries: [UInt32]? = nil) {
    precondition(ids.count == trained.count, "ids and trained flags must have the same length")
    self.ids = ids
    self.trained = trained
    self.boundaries = boundaries ?? [0, UInt32(ids.count)]
  }

  /// The number of positions.
  public var count: Int { ids.count }

  /// The number of trained positions.
  public var trainedCount: Int {
    trained.withUnsafeBufferPointer { flags in
      guard let base = flags.baseAddress else { return 0 }
      var n = 0
      var i = 0
      // Eight flags at a time: each nonzero byte adds one to its lane (any value counts, as elsewhere); the
      // lanes are summed every 255 words, before one can overflow (a population count is no single
      // instruction on baseline x86-64).
      while i &+ 8 <= flags.count {
        var lanes: UInt64 = 0
        var words = 0
        while words < 255 && i &+ 8 <= flags.count {
          let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
          lanes &+= (((w & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F | w) & 0x8080_8080_8080_8080) >> 7
          words &+= 1
          i &+= 8
        }
        let pairs = (lanes & 0x00FF_00FF_00FF_00FF) &+ ((lanes >> 8) & 0x00FF_00FF_00FF_00FF)
        n &+= Int(truncatingIfNeeded: (pairs &* 0x0001_0001_0001_0001) >> 48)
      }
      while i < flags.count {
        if base[i] != 0 { n &+= 1 }
        i &+= 1
      }
      return n
    }
  }

  /// HF-style labels: the id where trained, -100 elsewhere.
  public var labels: [Int64] {
    var out = [Int64]()
    out.reserveCapacity(ids.count)
    for i in 0..<ids.count {
      out.append(trained[i] != 0 ? Int64(ids[i]) : -100)
    }
    return out
  }

  /// Whether this sample holds more than one document (a packed block).
  public var isPacked: Bool { boundaries.count > 2 }

  /// Position ids that restart at 0 at each document boundary.
  public var positionIDs: [UInt32] {
    var out = [UInt32]()
    out.reserveCapacity(ids.count)
    var segment = 0
    for i in 0..<ids.count {
      while segment + 1 < boundaries.count - 1 && UInt32(i) >= boundaries[segment + 1] { segment += 1 }
      out.append(UInt32(i) &- boundaries[segment])
    }
    return out
  }
}
