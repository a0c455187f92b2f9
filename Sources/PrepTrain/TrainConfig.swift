/// Everything that determines a training run: the model's dimensions, the optimizer, the batch
/// size, the seed and the OpenBLAS thread count. The same config and samples give bit-identical runs.
public struct TrainConfig: Sendable, Equatable {
  // MARK: Model

  /// Width of the residual stream (`hidden_size`).
  public var hiddenSize: Int = 128
  /// Number of decoder layers (`num_hidden_layers`).
  public var layers: Int = 2
  /// Number of query heads (`num_attention_heads`); `hiddenSize` must be a multiple of it.
  public var heads: Int = 4
  /// Number of key/value heads (`num_key_value_heads`); `heads` must be a multiple of it.
  public var kvHeads: Int = 2
  /// Width of the SwiGLU MLP (`intermediate_size`).
  public var intermediateSize: Int = 512
  /// RoPE base (`rope_theta`): 10,000 like Qwen1.5, 1,000,000 like Qwen2.
  public var ropeTheta: Double = 10_000
  /// RMSNorm epsilon (`rms_norm_eps`).
  public var rmsNormEpsilon: Float = 1e-6
  /// Whether the LM head shares the token embedding matrix (`tie_word_embeddings`).
  public var tieEmbeddings: Bool = false
  /// Size of the tokenizer's vocabulary: the full Qwen vocabulary by default. Every id must be below it.
  public var vocabularySize: Int = 151_936
  /// Train on a compact vocabulary made of the ids present in the samples (dense 0..<V'), instead of
  /// the full `vocabularySize`; the id map is saved next to the weights. See docs/trainer.md.
  public var compactVocabulary: Bool = true
  /// The padding id, if any: a trailing run of untrained positions holding it at the end of a document
  /// is padding (it neither attends nor trains). Positions after the last boundary are always padding.
  public var padID: UInt32? = nil
  /// Standard deviation of the normal initialisation of embeddings and projection weights.
  public var initStd: Float = 0.02

  // MARK: Optimisation

  /// Number of optimizer steps of a full run; the learning-rate schedule spans them.
  public var steps: Int = 200
  /// Peak learning rate, reached at the end of the warm-up.
  public var learningRate: Float = 1e-3
  /// The cosine decay ends at `learningRate · minLearningRateRatio`.
  public var minLearningRateRatio: Float = 0.1
  /// Steps of linear warm-up from `learningRate / warmupSteps` to `learningRate`.
  public var warmupSteps: Int = 10
  /// AdamW decoupled weight decay, applied to embeddings and projection weights, never to norms or biases.
  public var weightDecay: Float = 0.1
  /// AdamW β₁.
  public var beta1: Float = 0.9
  /// AdamW β₂.
  public var beta2: Float = 0.95
  /// AdamW ε.
  public var adamEpsilon: Float = 1e-8
  /// Clip the global gradient norm to this value (0 turns clipping off).
  public var gradientClip: Float = 1.0
  /// Tokens per step: whole samples are taken in order until adding the next would exceed this
  /// (a step always holds at least one sample) and are packed into one row.
  public var batchTokens: Int = 4096
  /// Shuffle the sample order at each epoch (seeded).
  public var shuffle: Bool = true

  // MARK: Reproducibility

  /// Seed of the initialisation and the shuffling.
  public var seed: UInt64 = 0
  /// OpenBLAS threads (pinned with `openblas_set_num_threads`); a fixed count keeps runs bit-identical.
  public var threads: Int = 1

  /// The defaults: a 2-layer, 128-wide model that trains in seconds on 2 cores.
  public init() {}

  /// Width of one attention head.
  public var headDim: Int { heads > 0 ? hiddenSize / heads : 0 }

  /// Throws `TrainError.invalidConfig` naming the first field whose value cannot work.
  public func validate() throws(TrainError) {
    func fail(_ field: String, _ value: Any, _ reason: String) -> TrainError {
      .invalidConfig(field: field, value: "\(value)", reason: reason)
    }
    if hiddenSize <= 0 { throw fail("hiddenSize", hiddenSize, "must be positive") }
    if layers < 0 { throw fail("layers", layers, "must not be negative") }
    if heads <= 0 || hiddenSize % heads != 0 {
      throw fail("heads", heads, "must be positive and divide hiddenSize (\(hiddenSize))")
    }
    if headDim % 2 != 0 { throw fail("heads", heads, "hiddenSize / heads must be even for RoPE") }
    if kvHeads <= 0 || heads % kvHeads != 0 {
      throw fail("kvHeads", kvHeads, "must be positive and divide heads (\(heads))")
    }
    if intermediateSize <= 0 { throw fail("intermediateSize", intermediateSize, "must be positive") }
    if !(ropeTheta > 1) { throw fail("ropeTheta", ropeTheta, "must be greater than 1") }
    if !(rmsNormEpsilon > 0) { throw fail("rmsNormEpsilon", rmsNormEpsilon, "must be positive") }
    if vocabularySize <= 0 || vocabularySize > Int(Int32.max) {
      throw fail("vocabularySize", vocabularySize, "must be in 1...\(Int32.max)")
    }
    if steps < 0 { throw fail("steps", steps, "must not be negative") }
    if !(learningRate >= 0) { throw fail("learningRate", learningRate, "must not be negative") }
    if !(minLearningRateRatio >= 0 && minLearningRateRatio <= 1) {
      throw fail("minLearningRateRatio", minLearningRateRatio, "must be in 0...1")
    }
    if warmupSteps < 0 { throw fail("warmupSteps", warmupSteps, "must not be negative") }
    if !(weightDecay >= 0) { throw fail("weightDecay", weightDecay, "must not be negative") }
    if !(beta1 >= 0 && beta1 < 1) { throw fail("beta1", beta1, "must be in [0, 1)") }
    if !(beta2 >= 0 && beta2 < 1) { throw fail("beta2", beta2, "must be in [0, 1)") }
    if !(adamEpsilon > 0) { throw fail("adamEpsilon", adamEpsilon, "must be positive") }
    if !(gradientClip >= 0) { throw fail("gradientClip", gradientClip, "must not be negative") }
    if batchTokens <= 0 { throw fail("batchTokens", batchTokens, "must be positive") }
    if threads <= 0 { throw fail("threads", threads, "must be positive") }
    if !(initStd >= 0) { throw fail("initStd", initStd, "must not be negative") }
  }
}

/// What went wrong in the trainer, with what a user needs to fix it.
public enum TrainError: Error, CustomStringConvertible, Equatable {
  /// A config field has a value the trainer cannot use.
  case invalidConfig(field: String, value: String, reason: String)
  /// There was no sample to train on.
  case noSamples
  /// No sample has a trained position that can be predicted (after the shift, inside a document).
  case noTrainedTokens
  /// A sample's boundaries are not 0, strictly increasing, at most the sample length.
  case invalidBoundaries(sample: Int, boundaries: [UInt32], count: Int)
  /// A token id is not below the configured vocabulary size.
  case idOutOfVocabulary(sample: Int, position: Int, id: UInt32, vocabularySize: Int)
  /// A token id was not seen in the training samples, so the compact vocabulary has no row for it.
  case idNotInCompactVocabulary(position: Int, id: UInt32)
  /// No parameter tensor has this name.
  case unknownParameter(name: String)
  /// A parameter tensor was given the wrong number of values.
  case parameterSizeMismatch(name: String, expected: Int, got: Int)
  /// Writing the saved model failed.
  case writeFailed(path: String, reason: String)
  /// OpenBLAS could not be opened (`dlopen`) or lacks a function the trainer calls.
  case blasUnavailable(reason: String)

  /// A one-line explanation.
  public var description: String {
    switch self {
    case .invalidConfig(let field, let value, let reason):
      return "train config: \(field) = \(value): \(reason)"
    case .noSamples:
      return "train: no samples to train on"
    case .noTrainedTokens:
      return "train: no sample has a trained position to predict (every label is -100 after the shift)"
    case .invalidBoundaries(let sample, let boundaries, let count):
      let shown = boundaries.prefix(8).map(String.init).joined(separator: ", ")
      return "train: sample \(sample): boundaries [\(shown)\(boundaries.count > 8 ? ", …" : "")] must start at 0, "
        + "increase strictly and end at most at the sample length \(count)"
    case .idOutOfVocabulary(let sample, let position, let id, let size):
      return "train: sample \(sample), position \(position): token id \(id) is not below vocabularySize \(size)"
    case .idNotInCompactVocabulary(let position, let id):
      return "train: position \(position): token id \(id) does not occur in the training samples, "
        + "so the compact vocabulary has no row for it"
    case .unknownParameter(let name):
      return "train: no parameter tensor named \(name)"
    case .parameterSizeMismatch(let name, let expected, let got):
      return "train: parameter \(name) holds \(expected) values, got \(got)"
    case .writeFailed(let path, let reason):
      return "train: cannot write \(path): \(reason)"
    case .blasUnavailable(let reason):
      return "train: OpenBLAS is not usable (\(reason)); install it with `apt-get install libopenblas0`"
    }
  }
}
