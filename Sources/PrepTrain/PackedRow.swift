import PrepCore

/// One packed row as the model sees it: padding removed, ids mapped to model rows, position ids
/// restarting at each document, and the shifted targets.
///
/// `targets[t]` is the model row of the label at t+1 when t+1 lies in the same document and is
/// trained, and -1 otherwise: the shift never crosses a document boundary, and masked (-100) labels
/// produce no target at all, so they cannot contribute to the loss.
struct PackedRow {
  /// Model rows of the tokens.
  var tokens: [Int32] = []
  /// Position ids (restart at 0 at each document).
  var positions: [Int32] = []
  /// Cumulative document offsets inside the row: 0, …, tokens.count.
  var documents: [Int] = [0]
  /// Shifted targets (model rows), -1 where nothing is predicted.
  var targets: [Int32] = []
  /// For each row position, its position in the source sample (used to place logits back).
  var origin: [Int] = []
  /// Number of targets != -1.
  var predictions: Int = 0

  var count: Int { tokens.count }

  var longestDocument: Int {
    var longest = 0
    for d in 0..<(documents.count - 1) { longest = max(longest, documents[d + 1] - documents[d]) }
    return longest
  }

  /// Appends one sample. `sampleIndex` is only used in errors.
  mutating func append(
    _ sample: Sample, sampleIndex: Int, vocabulary: Vocabulary, padID: UInt32?
  ) throws(TrainError) {
    let bounds = sample.boundaries
    let n = sample.ids.count
    if n == 0 && bounds.allSatisfy({ $0 == 0 }) { return }  // an empty sample adds nothing
    guard sample.trained.count == n, let first = bounds.first, first == 0, bounds.count >= 2,
      Int(bounds[bounds.count - 1]) <= n
    else {
      throw .invalidBoundaries(sample: sampleIndex, boundaries: bounds, count: n)
    }
    for d in 1..<bounds.count where bounds[d] <= bounds[d - 1] {
      throw .invalidBoundaries(sample: sampleIndex, boundaries: bounds, count: n)
    }
    func row(_ i: Int) throws(TrainError) -> Int32 {
      guard let r = vocabulary.row(of: sample.ids[i]) else {
        if vocabulary.isCompact, Int(sample.ids[i]) < vocabulary.originalSize {
          throw .idNotInCompactVocabulary(position: i, id: sample.ids[i])
        }
        throw .idOutOfVocabulary(
          sample: sampleIndex, position: i, id: sample.ids[i], vocabularySize: vocabulary.originalSize)
      }
      return Int32(r)
    }
    for d in 0..<(bounds.count - 1) {
      let start = Int(bounds[d])
      var end = Int(bounds[d + 1])
      if let pad = padID {
        while end > start && sample.ids[end - 1] == pad && sample.trained[end - 1] == 0 { end -= 1 }
      }
      if end == start { continue }
      for i in start..<end {
        tokens.append(try row(i))
        positions.append(Int32(i - start))
        origin.append(i)
        if i + 1 < end && sample.trained[i + 1] != 0 {
          targets.append(try row(i + 1))
          predictions &+= 1
        } else {
          targets.append(-1)
        }
      }
      documents.append(tokens.count)
    }
  }
}
