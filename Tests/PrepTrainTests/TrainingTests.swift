import PrepCore
import Testing

@testable import PrepTrain

/// The loop: the loss falls to zero on one batch, runs repeat bit for bit, the schedule is right.
@Suite struct TrainingTests {
  @Test func overfitsOneBatch() throws {
    var config = Tiny.config()
    config.hiddenSize = 32
    config.intermediateSize = 64
    config.steps = 300
    config.warmupSteps = 10
    config.learningRate = 1e-2
    config.weightDecay = 0
    config.batchTokens = 1024
    let trainer = try Trainer(config: config, samples: [Tiny.packed, Tiny.single])
    var losses = [Double]()
    let summary = trainer.run { losses.append($0.loss) }
    #expect(summary.steps == 300)
    #expect(losses.count == 300)
    #expect(summary.firstLoss > 2)  // about log(V') at the start
    #expect(summary.lastLoss < 0.05, "last loss \(summary.lastLoss)")
    #expect(summary.trainedTokensSeen == 300 * 13)
    #expect(summary.tokensSeen == 300 * 22)
    #expect(summary.sgemmFLOPs > 0)
    #expect(trainer.stepsDone == 300)
  }

  @Test func sameSeedSameLosses() throws {
    func losses(seed: UInt64) throws -> [Double] {
      var config = Tiny.config(seed: seed)
      config.batchTokens = 12  // several steps per epoch, so the shuffle matters
      let samples = [Tiny.packed, Tiny.single, Tiny.single, Tiny.packed]
      let trainer = try Trainer(config: config, samples: samples)
      return (0..<8).map { _ in trainer.step().loss }
    }
    let a = try losses(seed: 42)
    let b = try losses(seed: 42)
    let c = try losses(seed: 43)
    #expect(a == b)
    #expect(a != c)
  }

  @Test func batchesHoldWholeSamplesUpToBatchTokens() throws {
    var config = Tiny.config()
    config.shuffle = false
    config.batchTokens = 22  // packed (13) + single (9)
    let trainer = try Trainer(config: config, samples: [Tiny.packed, Tiny.single, Tiny.single])
    #expect(trainer.step().tokens == 22)
    #expect(trainer.step().tokens == 9 + 13)  // single, then the next epoch's packed
    config.batchTokens = 5  // smaller than any sample: one sample per step
    let small = try Trainer(config: config, samples: [Tiny.packed, Tiny.single])
    #expect(small.step().tokens == 13)
    #expect(small.step().tokens == 9)
  }

  @Test func warmupThenCosineDecay() throws {
    var config = Tiny.config()
    config.learningRate = 1e-3
    config.minLearningRateRatio = 0.1
    config.warmupSteps = 10
    config.steps = 110
    let trainer = try Trainer(config: config, samples: [Tiny.single])
    #expect(abs(trainer.learningRate(atStep: 0) - 1e-4) < 1e-9)
    #expect(abs(trainer.learningRate(atStep: 9) - 1e-3) < 1e-9)
    #expect(abs(trainer.learningRate(atStep: 60) - 5.5e-4) < 1e-8)  // half-way down the cosine
    #expect(abs(trainer.learningRate(atStep: 110) - 1e-4) < 1e-9)
    for s in 10..<110 { #expect(trainer.learningRate(atStep: s + 1) <= trainer.learningRate(atStep: s)) }
  }

  @Test func clippingAndDecayKeepTheUpdateBounded() throws {
    var config = Tiny.config()
    config.gradientClip = 1e-3
    config.learningRate = 1e-2
    config.warmupSteps = 0
    let trainer = try Trainer(config: config, samples: [Tiny.packed])
    let before = try #require(trainer.parameter(named: "model.norm.weight"))
    let report = trainer.step()
    #expect(report.gradientNorm > 1e-3)
    let after = try #require(trainer.parameter(named: "model.norm.weight"))
    // Adam's first step moves each entry by at most lr (plus rounding), and norms get no decay.
    for (x, y) in zip(before, after) { #expect(abs(x - y) <= 1e-2 * 1.001) }
    #expect(before != after)
  }
}

@Test func aMissingOpenBLASIsAClearError() {
  let result = OpenBLAS.open(names: ["libprep-no-such-blas.so.0"])
  guard case .failure(let error) = result else {
    Issue.record("a library that does not exist was opened")
    return
  }
  #expect(error.description.contains("libprep-no-such-blas.so.0"))
  #expect(error.description.contains("OpenBLAS"))
}

@Test func openBLASOpensAndMultiplies() throws {
  let library = try OpenBLAS.open(names: OpenBLAS.libraryNames).get()
  // [[1, 2, 3], [4, 5, 6]] x [[1, 0], [0, 1], [1, 1]] = [[4, 5], [10, 11]]
  let a: [Float] = [1, 2, 3, 4, 5, 6]
  let b: [Float] = [1, 0, 0, 1, 1, 1]
  var c = [Float](repeating: 0, count: 4)
  library.sgemm(OpenBLAS.rowMajor, OpenBLAS.noTranspose, OpenBLAS.noTranspose, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
  #expect(c == [4, 5, 10, 11])
  // op(A) = Aᵀ of a 3x2 matrix: [[1, 3, 5], [2, 4, 6]] x the same B = [[6, 8], [8, 10]]
  let at: [Float] = [1, 2, 3, 4, 5, 6]
  library.sgemm(OpenBLAS.rowMajor, OpenBLAS.transpose, OpenBLAS.noTranspose, 2, 2, 3, 1, at, 2, b, 2, 0, &c, 2)
  #expect(c == [6, 8, 8, 10])
}
