import PrepCore

// Checkpoint support: a packer's whole state (what it holds and its statistics) written with `StateWriter`
// and put back into a packer made from the same configuration, so that a resumed run packs exactly as an
// uninterrupted one would.

extension PackStats {
  func encode(into w: inout StateWriter) {
    for v in [blocks, documentsIn, documentsPlaced, contentTokens, paddingTokens, truncated, dropped, droppedTokens] {
      w.write(v)
    }
  }

  static func decode(from r: inout StateReader) throws(StateDecodingError) -> PackStats {
    var s = PackStats()
    s.blocks = try r.readInt()
    s.documentsIn = try r.readInt()
    s.documentsPlaced = try r.readInt()
    s.contentTokens = try r.readInt()
    s.paddingTokens = try r.readInt()
    s.truncated = try r.readInt()
    s.dropped = try r.readInt()
    s.droppedTokens = try r.readInt()
    return s
  }
}

extension Packer {
  /// Writes the packer's state: its kind, what it holds and its statistics.
  public func encodeState(into w: inout StateWriter) {
    switch self {
    case .none(let stats):
      w.write(0)
      stats.encode(into: &w)
    case .fixedLength(_, _, let stats):
      w.write(1)
      stats.encode(into: &w)
    case .sft(let p):
      w.write(2)
      p.encodeState(into: &w)
    case .pretrain(let p):
      w.write(3)
      p.encodeState(into: &w)
    }
  }

  /// Puts back a state written by `encodeState` of a packer with the same configuration.
  public mutating func restoreState(from r: inout StateReader) throws(StateDecodingError) {
    let kind = try r.readInt()
    switch (self, kind) {
    case (.none, 0):
      self = .none(try PackStats.decode(from: &r))
    case (.fixedLength(let length, let padID, _), 1):
      self = .fixedLength(length: length, padID: padID, stats: try PackStats.decode(from: &r))
    case (.sft(var p), 2):
      self = .none(PackStats())
      try p.restoreState(from: &r)
      self = .sft(p)
    case (.pretrain(var p), 3):
      self = .none(PackStats())
      try p.restoreState(from: &r)
      self = .pretrain(p)
    default:
      throw StateDecodingError(position: 0, "the checkpoint was written by another kind of packing (\(kind))")
    }
  }
}

extension SFTPacker {
  func encodeState(into w: inout StateWriter) {
    stats.encode(into: &w)
    w.write(nextSerial)
    w.write(bins.count)
    for bin in bins {
      w.write(bin.serial)
      w.write(bin.ids)
      w.write(bin.trained)
      w.write(bin.boundaries)
      w.write(bin.documents)
    }
    w.write(gathered.count)
    for sample in gathered { w.write(sample) }
  }

  mutating func restoreState(from r: inout StateReader) throws(StateDecodingError) {
    stats = try PackStats.decode(from: &r)
    nextSerial = try r.readInt()
    let count = try r.readInt()
    guard count >= 0 && count <= config.openBlocks else {
      throw StateDecodingError(position: 0, "\(count) open blocks, more than open_blocks \(config.openBlocks)")
    }
    bins = []
    for _ in 0..<count {
      let serial = try r.readInt()
      var ids = try r.readIDs()
      var trained = try r.readBytes()
      let boundaries = try r.readIDs()
      let documents = try r.readInt()
      guard ids.count == trained.count, ids.count <= config.capacity else {
        throw StateDecodingError(position: 0, "an open block does not fit the configuration")
      }
      ids.reserveCapacity(config.capacity)
      trained.reserveCapacity(config.capacity)
      bins.append(Bin(serial: serial, ids: ids, trained: trained, boundaries: boundaries, documents: documents))
    }
    let waiting = try r.readInt()
    guard waiting >= 0 && waiting < max(1, config.sortWindow) else {
      throw StateDecodingError(position: 0, "\(waiting) gathered samples, sort_window \(config.sortWindow)")
    }
    gathered = []
    for _ in 0..<waiting { gathered.append(try r.readSample()) }
  }
}

extension PretrainBlocker {
  func encodeState(into w: inout StateWriter) {
    stats.encode(into: &w)
    w.write(ids)
    w.write(starts)
    w.write(pieces)
    w.write(inBatch)
  }

  mutating func restoreState(from r: inout StateReader) throws(StateDecodingError) {
    stats = try PackStats.decode(from: &r)
    ids = try r.readIDs()
    guard ids.count < config.blockSize else {
      throw StateDecodingError(position: 0, "a partial block of \(ids.count) tokens, block_size \(config.blockSize)")
    }
    ids.reserveCapacity(config.blockSize)
    starts = try r.readIDs()
    pieces = try r.readInt()
    inBatch = try r.readInt()
  }
}
