// Trains the toy model on synthetic samples and prints the training step's sgemm throughput
// next to OpenBLAS's peak (a 1024³ sgemm on the same thread count), and the ratio (goal ≥ 50%).
import PrepCore
import PrepTrain

struct Options {
  var steps = 20
  var threads = 1
  var hidden = 128
  var layers = 2
  var heads = 4
  var kvHeads = 2
  var batchTokens = 4096
  var samples = 64
  var minLength = 128
  var maxLength = 1024
  var distinctIDs = 8192
  var fullVocabulary = false
  var peakSize = 1024
}

func parse() -> Options {
  var o = Options()
  var args = CommandLine.arguments.dropFirst()
  func value(_ flag: String) -> Int {
    guard let text = args.popFirst(), let v = Int(text) else {
      print("train-bench: \(flag) needs an integer")
      exit(2)
    }
    return v
  }
  while let flag = args.popFirst() {
    switch flag {
    case "--steps": o.steps = value(flag)
    case "--threads": o.threads = value(flag)
    case "--hidden": o.hidden = value(flag)
    case "--layers": o.layers = value(flag)
    case "--heads": o.heads = value(flag)
    case "--kv-heads": o.kvHeads = value(flag)
    case "--batch-tokens": o.batchTokens = value(flag)
    case "--samples": o.samples = value(flag)
    case "--min-length": o.minLength = value(flag)
    case "--max-length": o.maxLength = value(flag)
    case "--distinct-ids": o.distinctIDs = value(flag)
    case "--peak-size": o.peakSize = value(flag)
    case "--full-vocab": o.fullVocabulary = true
    default:
      print(
        "usage: train-bench [--steps N] [--threads N] [--hidden N] [--layers N] [--heads N] [--kv-heads N] "
          + "[--batch-tokens N] [--samples N] [--min-length N] [--max-length N] [--distinct-ids N] "
          + "[--peak-size N] [--full-vocab]")
      exit(2)
    }
  }
  return o
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Synthetic SFT-like samples: variable lengths, a masked prompt of a quarter, ids drawn from a fixed
/// set of `distinct` Qwen-range ids with a skewed (roughly Zipf) frequency.
func syntheticSamples(_ o: Options) -> [Sample] {
  var state: UInt64 = 0x1234_5678
  func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  var samples = [Sample]()
  for _ in 0..<o.samples {
    let length = o.minLength + Int(next() % UInt64(max(1, o.maxLength - o.minLength + 1)))
    var ids = [UInt32]()
    var trained = [UInt8]()
    for i in 0..<length {
      let u = Double(next() >> 11) * 0x1.0p-53
      let rank = Int(pow(Double(o.distinctIDs), u)) - 1  // log-uniform rank: a Zipf-like skew
      ids.append(UInt32((rank * 18_517) % 151_643))
      trained.append(i >= length / 4 ? 1 : 0)
    }
    samples.append(Sample(ids: ids, trained: trained))
  }
  return samples
}

let o = parse()
var config = TrainConfig()
config.hiddenSize = o.hidden
config.layers = o.layers
config.heads = o.heads
config.kvHeads = o.kvHeads
config.intermediateSize = 4 * o.hidden
config.batchTokens = o.batchTokens
config.threads = o.threads
config.steps = o.steps + 1
config.warmupSteps = 2
config.compactVocabulary = !o.fullVocabulary
let samples = syntheticSamples(o)

do {
  let trainer = try Trainer(config: config, samples: samples)
  print(
    "model: hidden \(o.hidden), \(o.layers) layers, \(o.heads) heads / \(o.kvHeads) kv, intermediate \(4 * o.hidden), "
      + "vocabulary \(trainer.vocabulary.size)\(trainer.vocabulary.isCompact ? " (compact)" : ""), "
      + "\(o.threads) OpenBLAS thread(s)")
  print(
    "data: \(samples.count) synthetic samples of \(o.minLength)-\(o.maxLength) tokens, batch \(o.batchTokens) tokens")
  _ = trainer.step()  // warm-up: buffers grow to their size
  let summary = trainer.run(steps: o.steps) { r in
    print(
      "step \(r.step): loss \(String(format3: r.loss)), \(r.tokens) tokens (\(r.trainedTokens) trained), "
        + "\(Int(r.tokensPerSecond)) tok/s, lr \(r.learningRate)")
  }
  let peak = try benchmarkPeakSGEMM(size: o.peakSize, threads: o.threads)
  let ratio = peak > 0 ? summary.sgemmGFLOPS / peak : 0
  print("")
  print(
    "loss \(String(format3: summary.firstLoss)) -> \(String(format3: summary.lastLoss)) over \(summary.steps) steps")
  print("training throughput     \(Int(summary.tokensPerSecond)) tokens/s")
  print("sgemm share of step time \(String(format3: 100 * summary.sgemmShare)) %")
  print("training-step sgemm     \(String(format3: summary.sgemmGFLOPS)) GFLOP/s")
  print("peak sgemm \(o.peakSize)^3       \(String(format3: peak)) GFLOP/s")
  print("ratio                   \(String(format3: 100 * ratio)) % (goal >= 50 %)")
} catch {
  print("train-bench: \(error)")
  exit(1)
}

extension String {
  /// A number with three decimals (no Foundation formatting).
  init(format3 x: Double) {
    let scaled = (x * 1000).rounded()
    let whole = Int(scaled / 1000)
    let frac = Int(abs(scaled).truncatingRemainder(dividingBy: 1000))
    let sign = x < 0 && whole == 0 ? "-" : ""
    let padded = String(frac)
    self = sign + String(whole) + "." + String(repeating: "0", count: 3 - padded.count) + padded
  }
}
