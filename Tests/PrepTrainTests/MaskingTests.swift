import PrepCore
import PrepTrain
import Testing

/// Labels, the shift and padding: masked positions contribute exactly nothing.
@Suite struct MaskingTests {
  private func make(_ samples: [Sample], padID: UInt32? = nil) throws -> Trainer {
    var config = Tiny.config()
    config.initStd = 0.3
    config.padID = padID
    return try Trainer(config: config, samples: samples)
  }

  @Test func untrainedFinalPositionChangesNothing() throws {
    // The last position of `single` is untrained; nothing predicts it and nothing attends to it.
    var other = Tiny.single
    other.ids[other.count - 1] = 872  // an id present in the vocabulary
    let trainer = try make([Tiny.single, other])
    let a = try trainer.lossAndGradients(for: [Tiny.single])
    let b = try trainer.lossAndGradients(for: [other])
    #expect(a.loss == b.loss)
    #expect(a.trainedTokens == b.trainedTokens)
    for name in trainer.parameterNames { #expect(a.gradients[name] == b.gradients[name], "\(name)") }
  }

  @Test func theShiftNeverCrossesADocumentBoundary() throws {
    // Training the first token of the second document would need a prediction from the first one.
    var flagged = Tiny.packed
    flagged.trained[7] = 1
    flagged.trained[0] = 1
    let trainer = try make([Tiny.packed])
    let a = try trainer.lossAndGradients(for: [Tiny.packed])
    let b = try trainer.lossAndGradients(for: [flagged])
    #expect(a.trainedTokens == b.trainedTokens)
    #expect(a.loss == b.loss)
    for name in trainer.parameterNames { #expect(a.gradients[name] == b.gradients[name], "\(name)") }
  }

  @Test func maskedLabelsAreNotPredicted() throws {
    // Unmasking one more label adds exactly one target and changes the loss.
    var more = Tiny.packed
    more.trained[2] = 1
    let trainer = try make([Tiny.packed])
    let a = try trainer.lossAndGradients(for: [Tiny.packed])
    let b = try trainer.lossAndGradients(for: [more])
    #expect(b.trainedTokens == a.trainedTokens + 1)
    #expect(a.loss != b.loss)
  }

  @Test func paddingNeitherAttendsNorTrains() throws {
    let pad: UInt32 = 151_643
    let base = Sample(ids: [872, 9707, 11, 1879, 198], trained: [0, 1, 1, 1, 1])
    let padded = Sample(ids: base.ids + [pad, pad, pad], trained: base.trained + [0, 0, 0], boundaries: [0, 8])
    let beyondLast = Sample(ids: base.ids + [77, 78, 79], trained: base.trained + [1, 1, 1], boundaries: [0, 5])
    let trainer = try make([base, padded, beyondLast], padID: pad)
    let a = try trainer.lossAndGradients(for: [base])
    for other in [padded, beyondLast] {
      let b = try trainer.lossAndGradients(for: [other])
      #expect(a.trainedTokens == b.trainedTokens)
      #expect(abs(a.loss - b.loss) <= 1e-6 * abs(a.loss))
    }
    // Padding rows of the logits are zero; the others match the unpadded sample.
    let logits = try trainer.logits(for: padded)
    let plain = try trainer.logits(for: base)
    let v = trainer.vocabulary.size
    #expect(logits.count == padded.count * v)
    #expect(logits[(5 * v)...].allSatisfy { $0 == 0 })
    for i in 0..<(5 * v) { #expect(abs(logits[i] - plain[i]) <= 1e-5) }
    // A trained pad is a real token, not padding.
    var trainedPad = padded
    trainedPad.trained[5] = 1
    #expect(try trainer.lossAndGradients(for: [trainedPad]).trainedTokens == a.trainedTokens + 1)
  }

  @Test func attentionStaysInsideEachDocument() throws {
    var changedSecond = Tiny.packed
    changedSecond.ids[8] = 872
    changedSecond.ids[10] = 9707
    var changedFirst = Tiny.packed
    changedFirst.ids[3] = 198
    changedFirst.ids[5] = 2610
    let trainer = try make([Tiny.packed, changedSecond, changedFirst])
    let v = trainer.vocabulary.size
    let base = try trainer.logits(for: Tiny.packed)
    let second = try trainer.logits(for: changedSecond)
    let first = try trainer.logits(for: changedFirst)
    // Bit for bit: the untouched document's logits do not move.
    #expect(Array(base[0..<(7 * v)]) == Array(second[0..<(7 * v)]))
    #expect(Array(base[(7 * v)...]) == Array(first[(7 * v)...]))
    // And the touched ones do.
    #expect(Array(base[(7 * v)...]) != Array(second[(7 * v)...]))
    #expect(Array(base[0..<(7 * v)]) != Array(first[0..<(7 * v)]))
    // Position ids restart: the second document alone gives the same logits (up to rounding).
    let alone = Sample(
      ids: Array(Tiny.packed.ids[7...]), trained: Array(Tiny.packed.trained[7...]))
    let aloneLogits = try trainer.logits(for: alone)
    for i in 0..<aloneLogits.count { #expect(abs(aloneLogits[i] - base[7 * v + i]) <= 1e-5) }
  }
}
