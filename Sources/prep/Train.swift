import ArgumentParser
import PrepCore
import PrepPipeline
import PrepShard
import PrepTrain

/// `prep train`: the minimal trainer on prep's shards, so that a wrong mask or broken packing shows as a training fault.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train a toy Qwen2-shaped model (OpenBLAS) on a dataset's shards and report the loss.",
    discussion: """
      The model is small (the default 200 steps take about a minute on 2 cores); its vocabulary is compact by \
      default: only the ids present in the shards (--full-vocabulary keeps every id below the vocabulary size the \
      dataset records, 151,669 for Qwen3). Loss is cross-entropy on trained positions \
      only; packed blocks keep attention and positions inside each document. See docs/trainer.md.
      """)

  @Argument(help: "A dataset directory written by prep run.")
  var directory: String

  @Option(name: .long, help: "Optimizer steps.") var steps: Int = 200
  @Option(name: .long, help: "Tokens per step (whole samples are packed into one row up to this).")
  var batchTokens: Int = 4096
  @Option(name: .long, help: "Peak learning rate.") var lr: Float = 1e-3
  @Option(name: .long, help: "Warm-up steps (then cosine decay).") var warmup: Int = 10
  @Option(name: .long, help: "Decoder layers.") var layers: Int = 2
  @Option(name: .long, help: "Hidden size.") var hidden: Int = 128
  @Option(name: .long, help: "Attention heads.") var heads: Int = 4
  @Option(name: .long, help: "Key/value heads (grouped-query attention).") var kvHeads: Int = 2
  @Option(name: .long, help: "Seed of initialization and sample order.") var seed: UInt64 = 0
  @Option(name: .long, help: "OpenBLAS threads (pinned, so runs repeat exactly).") var threads: Int = 1
  @Flag(name: .long, help: "Use the full vocabulary instead of the ids present in the shards.")
  var fullVocabulary = false
  @Option(name: .long, help: "Save weights (safetensors) and a Qwen2 config.json into this directory.")
  var save: String?
  @Option(name: .long, help: "Print every Nth step (the first and last are always printed).")
  var every: Int = 1

  func validate() throws {
    if steps < 1 { throw ValidationError("--steps must be at least 1, not \(steps)") }
    // (A value past Float's range, such as 1e39, reads as inf.)
    if !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be a positive finite number, not \(lr)") }
  }

  func run() throws {
    let dataset = try openDataset(directory)
    // Make the save directory first: a path that cannot take it fails now, not after the training.
    if let save {
      do throws(ShardError) { try makeDirectories(save) } catch { fail(error.description, code: 1) }
    }
    var samples: [Sample] = []
    var iterator = dataset.makeSampleIterator()
    while let s = try iterator.next() { samples.append(s) }
    var config = TrainConfig()
    config.steps = steps
    config.batchTokens = batchTokens
    config.learningRate = lr
    config.warmupSteps = warmup
    config.layers = layers
    config.hiddenSize = hidden
    config.heads = heads
    config.kvHeads = kvHeads
    config.intermediateSize = 4 * hidden
    config.seed = seed
    config.threads = threads
    config.compactVocabulary = !fullVocabulary
    config.vocabularySize = dataset.index.vocabularySize
    if let pad = dataset.index.stats.lookup("pad_id")?.intValue { config.padID = UInt32(pad) }
    let trainer: Trainer
    do { trainer = try Trainer(config: config, samples: samples) } catch { fail(error.description, code: 1) }
    print(
      "training on \(group(samples.count)) samples from \(directory): \(layers) layers, hidden \(hidden), "
        + "vocabulary \(group(trainer.vocabulary.size))\(trainer.vocabulary.isCompact ? " (compact)" : ""), "
        + "\(steps) steps of \(group(batchTokens)) tokens")
    let summary = trainer.run { r in
      if r.step == 1 || r.step == steps || r.step % max(1, every) == 0 {
        print(
          "step \(r.step)  loss \(fixed(r.loss, 4))  lr \(scientific(Double(r.learningRate)))  "
            + "\(group(Int(r.tokensPerSecond))) tok/s")
      }
    }
    print(
      "loss \(fixed(summary.firstLoss, 4)) -> \(fixed(summary.lastLoss, 4)) in \(summary.steps) steps, "
        + "\(group(summary.tokensSeen)) tokens (\(group(summary.trainedTokensSeen)) trained), "
        + "\(fixed(summary.seconds, 1)) s, sgemm \(fixed(summary.sgemmGFLOPS, 1)) GFLOP/s")
    if !summary.lastLoss.isFinite || !trainer.parametersAreFinite {
      let what =
        summary.lastLoss.isFinite
        ? "weights are no longer finite numbers" : "the loss is \(fixed(summary.lastLoss, 4))"
      fail(
        "training diverged: \(what) after \(summary.steps) steps (a lower --lr may help)"
          + (save != nil ? "; nothing saved" : ""), code: 1)
    }
    if let save {
      do { try trainer.save(to: save) } catch { fail(error.description, code: 1) }
      print("saved model.safetensors, config.json and vocab_map.json to \(save)")
    }
  }
}

/// `0.001` → `1.0e-03`.
func scientific(_ x: Double) -> String {
  guard x != 0 else { return "0" }
  guard x.isFinite else { return "\(x)" }
  var e = 0
  var m = abs(x)
  while m >= 10 { m /= 10; e += 1 }
  while m < 1 { m *= 10; e -= 1 }
  if (m * 10).rounded() >= 100 {  // 9.96 prints as 1.0e+01, not 10.0e+00
    m /= 10
    e += 1
  }
  let sign = x < 0 ? "-" : ""
  let es = e < 0 ? "-" + (abs(e) < 10 ? "0" : "") + String(abs(e)) : "+" + (e < 10 ? "0" : "") + String(e)
  return sign + fixed(m, 1) + "e" + es
}
