import PrepCore
import PrepTrain
import Testing

/// Central finite differences against the hand-written backward pass, for every parameter tensor.
@Suite struct GradientCheckTests {
  @Test(arguments: [(false, 10_000.0), (true, 1_000_000.0)])
  func everyTensorMatchesFiniteDifferences(tied: Bool, theta: Double) throws {
    var config = Tiny.config(seed: 3, tied: tied)
    config.ropeTheta = theta
    config.initStd = 0.3  // large enough that attention and SwiGLU are far from linear
    let batch = [Tiny.packed, Tiny.single]
    let trainer = try Trainer(config: config, samples: batch)
    // Move norms and biases off their 1 / 0 initial values so their gradients are generic.
    var rng = TestRandom(seed: 11)
    for name in trainer.parameterNames where name.hasSuffix("norm.weight") || name.hasSuffix(".bias") {
      let values = try #require(trainer.parameter(named: name))
      try trainer.setParameter(named: name, to: values.map { $0 + Float(rng.uniform() - 0.5) * 0.4 })
    }
    let analytic = try trainer.lossAndGradients(for: batch)
    #expect(analytic.trainedTokens == 4 + 3 + 6)  // targets: doc 1 has 4, doc 2 has 3, the single sample 6
    #expect(Set(analytic.gradients.keys) == Set(trainer.parameterNames))
    #expect(trainer.parameterNames.contains("lm_head.weight") == !tied)

    for name in trainer.parameterNames {
      let values = try #require(trainer.parameter(named: name))
      let grad = try #require(analytic.gradients[name])
      // The largest-gradient entry plus three random ones.
      var picks = [grad.indices.max { abs(grad[$0]) < abs(grad[$1]) } ?? 0]
      for _ in 0..<3 { picks.append(rng.below(values.count)) }
      var diff = 0.0
      var norm = 0.0
      for index in picks {
        let h: Float = 4e-3
        var plus = values
        plus[index] += h
        try trainer.setParameter(named: name, to: plus)
        let up = try trainer.loss(for: batch)
        var minus = values
        minus[index] -= h
        try trainer.setParameter(named: name, to: minus)
        let down = try trainer.loss(for: batch)
        try trainer.setParameter(named: name, to: values)
        let numeric = (up - down) / Double(plus[index] - minus[index])
        diff += (numeric - Double(grad[index])) * (numeric - Double(grad[index]))
        norm += Double(grad[index]) * Double(grad[index])
      }
      let relative = diff.squareRoot() / max(norm.squareRoot(), 1e-3)
      #expect(relative < 1e-2, "\(name): relative error \(relative), |grad| \(norm.squareRoot())")
      #expect(norm > 0 || name.contains("embed"), "\(name) has an all-zero sampled gradient")
    }
  }
}

/// A tiny seeded generator for picking entries (independent of the trainer's): PrepCore's SplitMix64.
typealias TestRandom = SplitMix64

extension SplitMix64 {
  mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
