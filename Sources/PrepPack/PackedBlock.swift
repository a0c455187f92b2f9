import PrepCore

/// One output block of a packer: a `Sample` whose boundaries list the documents inside it.
///
/// Padding convention: pad positions (`<|endoftext|>`, untrained) sit at the end of the block and belong to
/// the last document's segment, so `sample.boundaries` still ends at `sample.count` (the `Sample` invariant)
/// and position ids keep counting through the padding instead of restarting at 0 (a restart would look like
/// a new sequence to transformers' position-id path). `padding` says how many trailing positions are pad,
/// so the content of the last document ends at `count - padding`.
public struct PackedBlock: Sendable, Equatable {
  /// The block: ids, trained flags, document boundaries.
  public var sample: Sample
  /// Trailing pad positions (0 when the block is full of content).
  public var padding: Int
  /// The number of documents (or document pieces) that start or continue in the block.
  public var documents: Int

  /// Creates a block.
  public init(sample: Sample, padding: Int, documents: Int) {
    self.sample = sample
    self.padding = padding
    self.documents = documents
  }
}

/// Counters of a packer, for the run summary and `index.json`.
public struct PackStats: Sendable, Equatable {
  /// Blocks emitted.
  public var blocks = 0
  /// Documents taken in (pretraining documents or SFT samples, empty ones included).
  public var documentsIn = 0
  /// Document pieces placed in emitted blocks (a document split over two blocks counts twice).
  public var documentsPlaced = 0
  /// Non-pad positions in emitted blocks.
  public var contentTokens = 0
  /// Pad positions in emitted blocks.
  public var paddingTokens = 0
  /// Samples longer than the block that were cut to fit.
  public var truncated = 0
  /// Samples dropped (longer than the block under `.drop`, or empty).
  public var dropped = 0
  /// Tokens that reached no block (dropped samples, cut tails, discarded remainders).
  public var droppedTokens = 0

  /// Creates zeroed counters.
  public init() {}

  /// Share of emitted positions that are content, in [0, 1] (1 when nothing was emitted).
  public var efficiency: Double {
    let total = contentTokens + paddingTokens
    return total == 0 ? 1 : Double(contentTokens) / Double(total)
  }

  /// Mean document pieces per block.
  public var documentsPerBlock: Double { blocks == 0 ? 0 : Double(documentsPlaced) / Double(blocks) }
}

/// A packer setting out of range.
public struct PackError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The setting's key as the pipeline file spells it.
  public var key: String
  /// What is wrong.
  public var message: String

  /// Creates an error.
  public init(key: String, message: String) {
    self.key = key
    self.message = message
  }

  /// `key: message`.
  public var description: String { "\(key): \(message)" }
}

/// Cuts or pads one sample to exactly `length` positions (belle's pad to 2048). Pad positions hold `padID`,
/// untrained, and belong to the last document's segment; boundaries past the cut are dropped.
/// Returns the sample and whether anything was cut. `length` must be positive.
public func fitToLength(_ sample: Sample, length: Int, padID: UInt32) -> (sample: Sample, truncated: Bool) {
  precondition(length > 0, "length must be positive")
  var ids = sample.ids
  var trained = sample.trained
  let truncated = ids.count > length
  if truncated {
    ids.removeSubrange(length...)
    trained.removeSubrange(length...)
  } else if ids.count < length {
    ids += repeatElement(padID, count: length - ids.count)
    trained += repeatElement(0, count: length - trained.count)
  }
  var boundaries = sample.boundaries.dropLast().filter { Int($0) < length }
  if boundaries.isEmpty { boundaries = [0] }
  boundaries.append(UInt32(length))
  return (Sample(ids: ids, trained: trained, boundaries: Array(boundaries)), truncated)
}
