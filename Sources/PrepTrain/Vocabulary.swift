import PrepCore

/// The map between tokenizer ids and the model's rows: either the full vocabulary (identity) or a
/// compact one made of the ids that occur in the training samples, in increasing id order.
public struct Vocabulary: Sendable, Equatable {
  /// The tokenizer's vocabulary size (every id is below it).
  public let originalSize: Int
  /// For a compact vocabulary, the tokenizer id of each model row (increasing); nil for the full one.
  public let ids: [UInt32]?
  /// Model row of each tokenizer id below `lookup.count`, or -1 (compact vocabulary only).
  let lookup: [Int32]

  /// The full vocabulary: model row = tokenizer id.
  public init(fullSize: Int) {
    originalSize = fullSize
    ids = nil
    lookup = []
  }

  /// A compact vocabulary over exactly the ids present in `samples` (inputs and labels alike).
  /// Ids must already be known to be below `originalSize`.
  public init(compactFrom samples: [Sample], originalSize: Int) {
    self.originalSize = originalSize
    var maxID: UInt32 = 0
    for sample in samples {
      for id in sample.ids where id > maxID { maxID = id }
    }
    var seen = [Bool](repeating: false, count: samples.isEmpty ? 0 : Int(maxID) + 1)
    for sample in samples {
      for id in sample.ids { seen[Int(id)] = true }
    }
    var ids = [UInt32]()
    var lookup = [Int32](repeating: -1, count: seen.count)
    for id in 0..<seen.count where seen[id] {
      lookup[id] = Int32(ids.count)
      ids.append(UInt32(id))
    }
    self.ids = ids
    self.lookup = lookup
  }

  /// Number of model rows (V' for a compact vocabulary).
  public var size: Int { ids?.count ?? originalSize }

  /// Whether this is a compact vocabulary.
  public var isCompact: Bool { ids != nil }

  /// The model row of a tokenizer id, or nil when the vocabulary has no row for it.
  public func row(of id: UInt32) -> Int? {
    if ids == nil { return Int(id) < originalSize ? Int(id) : nil }
    guard Int(id) < lookup.count else { return nil }
    let row = lookup[Int(id)]
    return row >= 0 ? Int(row) : nil
  }

  /// The tokenizer id of a model row.
  public func tokenID(ofRow row: Int) -> UInt32 {
    ids.map { $0[row] } ?? UInt32(row)
  }
}
