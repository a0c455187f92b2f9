// swift-tools-version: 6.2
// Benchmark of PrepTokenizer on a JSONL corpus; not part of `swift test`.
//   swift build -c release --package-path Benchmarks/tokenizer
//   Benchmarks/tokenizer/.build/release/tokenizer-bench /work/corpus/monkey_dev.jsonl [--threads N]
import PackageDescription

let package = Package(
  name: "tokenizer-bench",
  platforms: [.macOS(.v15)],
  dependencies: [.package(name: "prep", path: "../..")],
  targets: [
    .executableTarget(
      name: "tokenizer-bench",
      dependencies: [.product(name: "PrepTokenizer", package: "prep")])
  ]
)
