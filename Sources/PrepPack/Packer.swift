import PrepCore

/// The packing stage of a pipeline as one value, so the engine's reduce side feeds every mode the same way:
/// `add(sample:into:)` / `add(document:into:)` for each recipe result in input order, then `finish(into:)`.
public enum Packer: Sendable {
  /// Samples pass through unchanged, one block each (`fudan`, or `belle` already padded by its recipe).
  case none(PackStats)
  /// Each sample cut or padded to exactly `length` with untrained `padID` (`fitToLength`).
  case fixedLength(length: Int, padID: UInt32, stats: PackStats)
  /// Best-fit SFT packing.
  case sft(SFTPacker)
  /// Fixed pretraining blocks over the document stream.
  case pretrain(PretrainBlocker)

  /// Pass-through.
  public static var passThrough: Packer { .none(PackStats()) }

  /// Cut/pad to `length`; throws when `length` is not positive.
  public static func fixed(length: Int, padID: UInt32 = 151_643) throws(PackError) -> Packer {
    guard length > 0 else { throw PackError(key: "length", message: "must be positive, got \(length)") }
    return .fixedLength(length: length, padID: padID, stats: PackStats())
  }

  /// Counters so far.
  public var stats: PackStats {
    switch self {
    case .none(let s): s
    case .fixedLength(_, _, let s): s
    case .sft(let p): p.stats
    case .pretrain(let p): p.stats
    }
  }

  /// Takes one supervised sample. In `.pretrain` mode its ids join the document stream.
  public mutating func add(sample: Sample, into out: inout [PackedBlock]) {
    switch self {
    case .none(var stats):
      stats.documentsIn &+= 1
      stats.blocks &+= 1
      stats.documentsPlaced &+= 1
      stats.contentTokens &+= sample.count
      out.append(PackedBlock(sample: sample, padding: 0, documents: sample.boundaries.count - 1))
      self = .none(stats)
    case .fixedLength(let length, let padID, var stats):
      let (fitted, truncated) = fitToLength(sample, length: length, padID: padID)
      let content = min(sample.count, length)
      stats.documentsIn &+= 1
      stats.blocks &+= 1
      stats.documentsPlaced &+= 1
      stats.contentTokens &+= content
      stats.paddingTokens &+= length - content
      if truncated {
        stats.truncated &+= 1
        stats.droppedTokens &+= sample.count - length
      }
      out.append(PackedBlock(sample: fitted, padding: length - content, documents: fitted.boundaries.count - 1))
      self = .fixedLength(length: length, padID: padID, stats: stats)
    case .sft(var packer):
      self = .none(PackStats())  // drop the reference so the packer's buffers are not copied
      packer.add(sample, into: &out)
      self = .sft(packer)
    case .pretrain(var blocker):
      self = .none(PackStats())
      blocker.add(document: sample.ids, into: &out)
      self = .pretrain(blocker)
    }
  }

  /// Takes one pretraining document. Outside `.pretrain` mode it becomes a sample with every position trained.
  public mutating func add(document: [UInt32], into out: inout [PackedBlock]) {
    add(document: document[...], into: &out)
  }

  /// The same for a document that is a slice (of a buffer that holds several, as the engine passes them).
  public mutating func add(document: ArraySlice<UInt32>, into out: inout [PackedBlock]) {
    if case .pretrain(var blocker) = self {
      self = .none(PackStats())
      blocker.add(document: document, into: &out)
      self = .pretrain(blocker)
    } else {
      add(sample: Sample(ids: Array(document), trained: [UInt8](repeating: 1, count: document.count)), into: &out)
    }
  }

  /// Ends the input: emits what the packer still holds.
  public mutating func finish(into out: inout [PackedBlock]) {
    switch self {
    case .none, .fixedLength: break
    case .sft(var packer):
      self = .none(PackStats())
      packer.finish(into: &out)
      self = .sft(packer)
    case .pretrain(var blocker):
      self = .none(PackStats())
      blocker.finish(into: &out)
      self = .pretrain(blocker)
    }
  }
}
