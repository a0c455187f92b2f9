import PrepCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a trainer can read its samples from, one at a time (a shard reader, for example).
public protocol SampleSource {
  /// The next sample, or nil at the end.
  mutating func nextSample() throws -> Sample?
}

/// What one optimizer step did.
public struct StepReport: Sendable, Equatable {
  /// 1-based index of the step.
  public var step: Int
  /// Mean cross-entropy (natural log) over the step's trained tokens, before the update; 0 if none.
  public var loss: Double
  /// Positions processed in the step (padding excluded).
  public var tokens: Int
  /// Positions whose next token was predicted and counted in the loss.
  public var trainedTokens: Int
  /// `tokens` per second of wall time of the step.
  public var tokensPerSecond: Double
  /// The learning rate the update used.
  public var learningRate: Float
  /// Global gradient norm before clipping.
  public var gradientNorm: Double
  /// Wall time of the step, in seconds.
  public var seconds: Double
}

/// The loss and the gradient of every parameter tensor for one packed batch.
public struct LossAndGradients: Sendable {
  /// Mean cross-entropy over the trained tokens (natural log); 0 when there is none.
  public var loss: Double
  /// Number of trained tokens the mean is over.
  public var trainedTokens: Int
  /// dLoss/dParameter by tensor name (the names of `Trainer.parameterNames`).
  public var gradients: [String: [Float]]
}

/// Trains the toy Qwen2-shaped decoder on samples: batching, the forward and backward pass, AdamW
/// with warm-up and cosine decay, clipping, and saving as safetensors.
///
/// A `final class` because it owns the model's buffers and the optimizer state. Not thread-safe.
public final class Trainer {
  /// Summary of `run`.
  public struct Summary: Sendable, Equatable {
    /// Steps run.
    public var steps: Int
    /// Loss of the first step run.
    public var firstLoss: Double
    /// Loss of the last step run.
    public var lastLoss: Double
    /// Positions processed.
    public var tokensSeen: Int
    /// Trained tokens counted in the losses.
    public var trainedTokensSeen: Int
    /// Wall time of the run, in seconds.
    public var seconds: Double
    /// Floating-point operations of every sgemm call of the run (2·m·n·k each).
    public var sgemmFLOPs: Double
    /// Time spent inside sgemm calls, in seconds.
    public var sgemmSeconds: Double

    /// sgemm throughput reached by the training steps: `sgemmFLOPs / sgemmSeconds / 1e9`.
    public var sgemmGFLOPS: Double { sgemmSeconds > 0 ? sgemmFLOPs / sgemmSeconds / 1e9 : 0 }
    /// Share of the run's wall time spent in sgemm.
    public var sgemmShare: Double { seconds > 0 ? sgemmSeconds / seconds : 0 }
    /// Positions per second over the run.
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokensSeen) / seconds : 0 }
  }

  /// The configuration the trainer was made with.
  public let config: TrainConfig
  /// The map between tokenizer ids and model rows.
  public let vocabulary: Vocabulary
  /// Steps done so far.
  public private(set) var stepsDone: Int = 0

  let model: Model
  private let samples: [Sample]
  private var order: [Int]
  private var cursor = 0
  private var shuffler: Xoshiro256
  private let moment1: FloatStorage
  private let moment2: FloatStorage
  private var updates = 0
  /// The longest document in the training samples (for `max_position_embeddings`).
  let longestDocument: Int

  /// A trainer over `samples` (kept in memory). Validates the config and every sample and builds the
  /// compact vocabulary if asked; pins OpenBLAS to `config.threads`.
  public init(config: TrainConfig, samples: [Sample]) throws(TrainError) {
    try config.validate()
    try BLAS.load()
    if samples.isEmpty { throw .noSamples }
    let full = Vocabulary(fullSize: config.vocabularySize)
    var predictions = 0
    var longest = 0
    for (index, sample) in samples.enumerated() {
      var row = PackedRow()
      try row.append(sample, sampleIndex: index, vocabulary: full, padID: config.padID)
      predictions += row.predictions
      longest = max(longest, row.longestDocument)
    }
    if predictions == 0 { throw .noTrainedTokens }
    self.config = config
    self.samples = samples
    longestDocument = longest
    vocabulary =
      config.compactVocabulary ? Vocabulary(compactFrom: samples, originalSize: config.vocabularySize) : full
    BLAS.setThreads(config.threads)
    model = Model(config: config, vocabularyRows: vocabulary.size)
    moment1 = FloatStorage(count: model.layout.total)
    moment2 = FloatStorage(count: model.layout.total)
    order = Array(samples.indices)
    shuffler = Xoshiro256(seed: config.seed ^ 0x5348_5546_464C_4521)
    if config.shuffle { shuffleOrder() }
  }

  /// A trainer over every sample `source` yields (read to the end first: the compact vocabulary
  /// needs all ids, and epochs revisit the samples).
  public convenience init<Source: SampleSource>(config: TrainConfig, source: inout Source) throws {
    var all = [Sample]()
    while let sample = try source.nextSample() { all.append(sample) }
    try self.init(config: config, samples: all)
  }

  private func shuffleOrder() {
    var i = order.count - 1
    while i > 0 {
      let j = shuffler.next(below: i + 1)
      order.swapAt(i, j)
      i -= 1
    }
  }

  private func nextBatch() -> PackedRow {
    var row = PackedRow()
    var taken = 0
    while taken < samples.count {
      let index = order[cursor]
      let sample = samples[index]
      if taken > 0 && row.count + sample.count > config.batchTokens { break }
      // Validated in init, so appending cannot fail; a failure would only drop this sample.
      try? row.append(sample, sampleIndex: index, vocabulary: vocabulary, padID: config.padID)
      taken += 1
      cursor += 1
      if cursor == order.count {
        cursor = 0
        if config.shuffle { shuffleOrder() }
      }
    }
    return row
  }

  /// The learning rate of the 0-based step `step`: linear warm-up to `learningRate`, then cosine
  /// decay to `learningRate · minLearningRateRatio` at `config.steps`.
  public func learningRate(atStep step: Int) -> Float {
    let peak = Double(config.learningRate)
    if step < config.warmupSteps {
      return Float(peak * Double(step + 1) / Double(config.warmupSteps))
    }
    let decaySteps = max(1, config.steps - config.warmupSteps)
    let progress = min(1.0, Double(step - config.warmupSteps) / Double(decaySteps))
    let floor = peak * Double(config.minLearningRateRatio)
    return Float(floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * progress)))
  }

  /// One optimizer step on the next `batchTokens` worth of samples.
  public func step() -> StepReport {
    BLAS.setThreads(config.threads)
    let clock = ContinuousClock()
    let start = clock.now
    let row = nextBatch()
    let (lossSum, count) = model.lossAndGradients(row)
    let lr = learningRate(atStep: stepsDone)
    var norm = 0.0
    if count > 0 {
      norm = gradientNorm()
      var scale: Float = 1
      if config.gradientClip > 0 && norm > Double(config.gradientClip) {
        scale = Float(Double(config.gradientClip) / (norm + 1e-6))
      }
      adamW(learningRate: lr, gradientScale: scale)
    }
    stepsDone += 1
    let elapsed = start.duration(to: clock.now)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    return StepReport(
      step: stepsDone, loss: count > 0 ? lossSum / Double(count) : 0, tokens: row.count, trainedTokens: count,
      tokensPerSecond: seconds > 0 ? Double(row.count) / seconds : 0, learningRate: lr, gradientNorm: norm,
      seconds: seconds)
  }

  /// Runs `steps` steps (default: the rest of `config.steps`), calling `report` after each.
  public func run(steps: Int? = nil, report: (StepReport) -> Void = { _ in }) -> Summary {
    let count = steps ?? max(0, config.steps - stepsDone)
    model.meter.reset()
    let clock = ContinuousClock()
    let start = clock.now
    var summary = Summary(
      steps: 0, firstLoss: 0, lastLoss: 0, tokensSeen: 0, trainedTokensSeen: 0, seconds: 0, sgemmFLOPs: 0,
      sgemmSeconds: 0)
    for i in 0..<count {
      let r = step()
      if i == 0 { summary.firstLoss = r.loss }
      summary.lastLoss = r.loss
      summary.steps += 1
      summary.tokensSeen += r.tokens
      summary.trainedTokensSeen += r.trainedTokens
      report(r)
    }
    let elapsed = start.duration(to: clock.now)
    summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    summary.sgemmFLOPs = model.meter.flops
    summary.sgemmSeconds = model.meter.seconds
    return summary
  }

  private func gradientNorm() -> Double {
    let g = model.grads.pointer
    var sum = 0.0
    for i in 0..<model.layout.total { sum += Double(g[i]) * Double(g[i]) }
    return sum.squareRoot()
  }

  /// AdamW (decoupled weight decay, bias-corrected moments) on the flat parameter buffer.
  private func adamW(learningRate lr: Float, gradientScale: Float) {
    updates += 1
    let b1 = config.beta1
    let b2 = config.beta2
    let correction1 = Float(1 - pow(Double(b1), Double(updates)))
    let correction2 = Float(1 - pow(Double(b2), Double(updates)))
    let p = model.params.pointer
    let g = model.grads.pointer
    let m = moment1.pointer
    let v = moment2.pointer
    for slot in model.layout.slots {
      let decay: Float = slot.decays ? 1 - lr * config.weightDecay : 1
      for i in slot.offset..<(slot.offset + slot.count) {
        let grad = g[i] * gradientScale
        m[i] = b1 * m[i] + (1 - b1) * grad
        v[i] = b2 * v[i] + (1 - b2) * grad * grad
        let mHat = m[i] / correction1
        let vHat = v[i] / correction2
        p[i] = p[i] * decay - lr * mHat / (vHat.squareRoot() + config.adamEpsilon)
      }
    }
  }

  // MARK: Pieces for tests and tools

  private func packed(_ batch: [Sample]) throws(TrainError) -> PackedRow {
    var row = PackedRow()
    for (index, sample) in batch.enumerated() {
      try row.append(sample, sampleIndex: index, vocabulary: vocabulary, padID: config.padID)
    }
    return row
  }

  /// Forward pass only: the logits of every position of `sample`, row-major `sample.count × vocabulary.size`
  /// (model rows: map with `vocabulary`). Padding positions get rows of zeros.
  public func logits(for sample: Sample) throws(TrainError) -> [Float] {
    BLAS.setThreads(config.threads)
    let row = try packed([sample])
    let v = vocabulary.size
    var out = [Float](repeating: 0, count: sample.count * v)
    if row.count == 0 { return out }
    let rowLogits = model.logits(row)
    for r in 0..<row.count {
      let target = row.origin[r] * v
      for j in 0..<v { out[target + j] = rowLogits[r * v + j] }
    }
    return out
  }

  /// The mean loss and all gradients for `batch` packed into one row, exactly as a step computes them
  /// (no update is made).
  public func lossAndGradients(for batch: [Sample]) throws(TrainError) -> LossAndGradients {
    BLAS.setThreads(config.threads)
    let row = try packed(batch)
    let (lossSum, count) = model.lossAndGradients(row)
    var gradients = [String: [Float]]()
    let g = model.grads.pointer
    for slot in model.layout.slots {
      gradients[slot.name] = Array(UnsafeBufferPointer(start: g + slot.offset, count: slot.count))
    }
    return LossAndGradients(loss: count > 0 ? lossSum / Double(count) : 0, trainedTokens: count, gradients: gradients)
  }

  /// The mean loss for `batch` packed into one row (no update is made).
  public func loss(for batch: [Sample]) throws(TrainError) -> Double {
    BLAS.setThreads(config.threads)
    let row = try packed(batch)
    let (lossSum, count) = model.lossAndGradients(row)
    return count > 0 ? lossSum / Double(count) : 0
  }

  /// Whether every weight is a finite number (a diverged step can overflow them after the last loss was taken).
  public var parametersAreFinite: Bool {
    let p = model.params.pointer
    for i in 0..<model.layout.total where !p[i].isFinite { return false }
    return true
  }

  /// Names of the parameter tensors, in storage order (transformers' `Qwen2ForCausalLM` names).
  public var parameterNames: [String] { model.layout.slots.map(\.name) }

  /// The shape of a parameter tensor, or nil if there is none of that name.
  public func parameterShape(named name: String) -> [Int]? { model.layout.slot(named: name)?.shape }

  /// A copy of a parameter tensor's values (row-major), or nil if there is none of that name.
  public func parameter(named name: String) -> [Float]? {
    guard let slot = model.layout.slot(named: name) else { return nil }
    return Array(UnsafeBufferPointer(start: model.params.pointer + slot.offset, count: slot.count))
  }

  /// Overwrites a parameter tensor (row-major values).
  public func setParameter(named name: String, to values: [Float]) throws(TrainError) {
    guard let slot = model.layout.slot(named: name) else { throw .unknownParameter(name: name) }
    guard values.count == slot.count else {
      throw .parameterSizeMismatch(name: name, expected: slot.count, got: values.count)
    }
    let p = model.params.pointer + slot.offset
    for i in 0..<slot.count { p[i] = values[i] }
  }
}
