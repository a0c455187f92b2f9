// swift-tools-version: 6.2
// The trainer's sgemm throughput benchmark: the training step's sgemm GFLOP/s next to OpenBLAS's
// peak on a large square sgemm, measured in the same run. Build and run in release:
//   swift run -c release --package-path Benchmarks/train train-bench [--steps N] [--threads N] ...
// The root package exports no library products, so the modules are reached through symlinks
// (Sources/CSHA256, Sources/PrepCore, Sources/PrepJSON, Sources/PrepTrain point at the root package's sources; PrepTrain opens
// OpenBLAS with dlopen, so nothing links it).
import PackageDescription

let package = Package(
  name: "train-bench",
  targets: [
    .target(name: "CSHA256"),
    .target(name: "PrepCore", dependencies: ["CSHA256"]),
    .target(name: "PrepJSON", dependencies: ["PrepCore"]),
    .target(name: "PrepTrain", dependencies: ["PrepCore", "PrepJSON"]),
    .executableTarget(name: "train-bench", dependencies: ["PrepCore", "PrepTrain"]),
    // Writes a trained toy model plus its logits and loss on a packed probe for reference_check.py.
    .executableTarget(name: "train-reference", dependencies: ["PrepCore", "PrepTrain"]),
  ]
)
