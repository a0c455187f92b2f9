// Trains a small model for a few steps, saves it, and writes what reference_check.py compares
// against an independent numpy implementation of transformers' Qwen2:
//   DIR/model.safetensors, config.json, vocab_map.json   (Trainer.save)
//   DIR/probe.json   the packed probe sample (ids, trained, boundaries) and the trainer's loss on it
//   DIR/logits.f32   the trainer's logits for the probe, row-major count × vocab, little-endian float32
// usage: train-reference DIR [--tied]
import PrepCore
import PrepTrain

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

let args = Array(CommandLine.arguments.dropFirst())
guard let dir = args.first else {
  print("usage: train-reference DIR [--tied]")
  exit(2)
}
var config = TrainConfig()
config.hiddenSize = 64
config.layers = 2
config.heads = 4
config.kvHeads = 2
config.intermediateSize = 256
config.ropeTheta = 1_000_000
config.tieEmbeddings = args.contains("--tied")
config.learningRate = 3e-3
config.steps = 30
config.batchTokens = 256
config.seed = 5
config.initStd = 0.2  // large enough that attention is far from uniform, so RoPE and masking matter

// Documents of different lengths, prompts masked, packed two and three to a sample.
struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
nonisolated(unsafe) var generator = SplitMix(state: 99)
func document(_ length: Int) -> ([UInt32], [UInt8]) {
  let ids = (0..<length).map { _ in UInt32(generator.next() % 300) * 503 }
  let trained = (0..<length).map { i in UInt8(i >= length / 3 ? 1 : 0) }
  return (ids, trained)
}
func packed(_ lengths: [Int]) -> Sample {
  var ids = [UInt32]()
  var trained = [UInt8]()
  var bounds: [UInt32] = [0]
  for length in lengths {
    let (i, t) = document(length)
    ids += i
    trained += t
    bounds.append(UInt32(ids.count))
  }
  return Sample(ids: ids, trained: trained, boundaries: bounds)
}
var samples = (0..<24).map { k in packed(k % 2 == 0 ? [40, 23] : [17, 50, 31]) }
let probe = packed([37, 29, 12])
samples.append(probe)

do {
  let trainer = try Trainer(config: config, samples: samples)
  let summary = trainer.run()
  try trainer.save(to: dir)
  let logits = try trainer.logits(for: probe)
  let loss = try trainer.loss(for: [probe])
  var data = Data()
  for value in logits {
    var bits = value.bitPattern.littleEndian
    withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
  }
  try data.write(to: URL(fileURLWithPath: dir + "/logits.f32"))
  let json = """
    {"ids": [\(probe.ids.map(String.init).joined(separator: ","))],
     "trained": [\(probe.trained.map(String.init).joined(separator: ","))],
     "boundaries": [\(probe.boundaries.map(String.init).joined(separator: ","))],
     "loss": \(loss), "vocab_rows": \(trainer.vocabulary.size)}
    """
  try Data(json.utf8).write(to: URL(fileURLWithPath: dir + "/probe.json"))
  print("trained \(summary.steps) steps: loss \(summary.firstLoss) -> \(summary.lastLoss); probe loss \(loss)")
} catch {
  print("train-reference: \(error)")
  exit(1)
}
