import PrepCore
import PrepTrain
import Testing

@Suite struct VocabularyTests {
  @Test func compactVocabularyIsTheSortedIdsPresent() throws {
    let trainer = try Trainer(config: Tiny.config(), samples: [Tiny.packed, Tiny.single])
    let expected = Array(Set(Tiny.packed.ids + Tiny.single.ids)).sorted()
    let vocab = trainer.vocabulary
    #expect(vocab.isCompact)
    #expect(vocab.ids == expected)
    #expect(vocab.size == expected.count)
    #expect(vocab.originalSize == 151_936)
    for (row, id) in expected.enumerated() {
      #expect(vocab.row(of: id) == row)
      #expect(vocab.tokenID(ofRow: row) == id)
    }
    #expect(vocab.row(of: 5) == nil)
    #expect(trainer.parameterShape(named: "model.embed_tokens.weight") == [expected.count, 16])
    #expect(trainer.parameterShape(named: "lm_head.weight") == [expected.count, 16])
    let unseen = Sample(ids: [872, 5], trained: [1, 1])
    #expect(throws: TrainError.idNotInCompactVocabulary(position: 1, id: 5)) { try trainer.logits(for: unseen) }
  }

  @Test func fullVocabularyKeepsTokenizerIds() throws {
    var config = Tiny.config()
    config.compactVocabulary = false
    config.vocabularySize = 2_000
    let sample = Sample(ids: [3, 1999, 17, 3], trained: [1, 1, 1, 1])
    let trainer = try Trainer(config: config, samples: [sample])
    #expect(!trainer.vocabulary.isCompact)
    #expect(trainer.vocabulary.size == 2_000)
    #expect(trainer.parameterShape(named: "lm_head.weight") == [2_000, 16])
    let logits = try trainer.logits(for: Sample(ids: [5, 6], trained: [0, 0]))
    #expect(logits.count == 2 * 2_000)
    #expect(throws: TrainError.idOutOfVocabulary(sample: 0, position: 1, id: 2_000, vocabularySize: 2_000)) {
      try Trainer(config: config, samples: [Sample(ids: [1, 2_000], trained: [1, 1])])
    }
  }

  @Test func aSampleSourceIsReadToTheEnd() throws {
    struct Source: SampleSource {
      var left: [Sample]
      mutating func nextSample() throws -> Sample? { left.isEmpty ? nil : left.removeFirst() }
    }
    var source = Source(left: [Tiny.packed, Sample(ids: [], trained: []), Tiny.single])
    var config = Tiny.config()
    config.shuffle = false
    let fromSource = try Trainer(config: config, source: &source)
    let fromArray = try Trainer(config: config, samples: [Tiny.packed, Tiny.single])
    #expect(fromSource.vocabulary == fromArray.vocabulary)
    let (a, b) = (fromSource.step(), fromArray.step())
    #expect(a.loss == b.loss)
    #expect(a.gradientNorm == b.gradientNorm)
    #expect(a.tokens == b.tokens)
  }

  @Test func badInputsAreNamed() throws {
    var config = Tiny.config()
    config.kvHeads = 3
    #expect(throws: TrainError.self) { try Trainer(config: config, samples: [Tiny.single]) }
    do {
      _ = try Trainer(config: config, samples: [Tiny.single])
    } catch {
      #expect(error.description.contains("kvHeads"))
    }
    #expect(throws: TrainError.noSamples) { try Trainer(config: Tiny.config(), samples: []) }
    #expect(throws: TrainError.noTrainedTokens) {
      try Trainer(config: Tiny.config(), samples: [Sample(ids: [1, 2, 3], trained: [1, 0, 0])])
    }
    let broken = Sample(ids: [1, 2, 3], trained: [1, 1, 1], boundaries: [0, 2, 2, 3])
    #expect(throws: TrainError.invalidBoundaries(sample: 0, boundaries: [0, 2, 2, 3], count: 3)) {
      try Trainer(config: Tiny.config(), samples: [broken])
    }
  }
}
