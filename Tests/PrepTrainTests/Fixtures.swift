import PrepCore
import PrepTrain

/// Small configs and samples shared by the tests.
enum Tiny {
  /// A model small enough for hundreds of forward/backward passes in a debug build.
  static func config(seed: UInt64 = 7, tied: Bool = false) -> TrainConfig {
    var c = TrainConfig()
    c.hiddenSize = 16
    c.layers = 2
    c.heads = 4
    c.kvHeads = 2
    c.intermediateSize = 32
    c.ropeTheta = 10_000
    c.tieEmbeddings = tied
    c.seed = seed
    c.steps = 50
    c.warmupSteps = 5
    c.batchTokens = 64
    c.threads = 1
    return c
  }

  /// A packed block of two documents with masked prompts: ids are Qwen-sized to exercise the compact map.
  static let packed = Sample(
    ids: [151_644, 872, 198, 9707, 11, 1879, 151_645, 151_644, 77091, 198, 2610, 525, 151_645],
    trained: [0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1],
    boundaries: [0, 7, 13])

  /// A single-document sample, all trained except the first two positions and the last one.
  static let single = Sample(
    ids: [151_644, 872, 9707, 11, 1879, 2610, 525, 198, 151_643],
    trained: [0, 0, 1, 1, 1, 1, 1, 1, 0])
}
