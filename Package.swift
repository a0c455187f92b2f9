// swift-tools-version: 6.2
// prep: raw corpora -> training-ready token shards for Qwen-family models.
// Modules follow the data flow of docs/architecture.md: a pure core, the tokenizer, readers,
// templates, packing, shards, the pipeline engine, the trainer, and a thin `prep` executable.
import PackageDescription

let strict: [SwiftSetting] = [.strictMemorySafety()]

let package = Package(
  name: "prep",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "prep", targets: ["prep"]),
    // For the nested benchmark package Benchmarks/tokenizer.
    .library(name: "PrepTokenizer", targets: ["PrepTokenizer"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // C libraries from Debian, each reached by exactly one Swift module.
    .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // libbz2 has no pkg-config file on Debian 12: its header and library are on the default paths.
    .systemLibrary(name: "CBzip2", providers: [.apt(["libbz2-dev"])]),
    .systemLibrary(name: "CLzma", pkgConfig: "liblzma", providers: [.apt(["liblzma-dev"])]),

    // SHA-256 blocks on the CPU's SHA instructions (x86 SHA-NI), written for prep; PrepCore falls back to Swift.
    .target(name: "CSHA256"),
    // Acquire and release operations on plain 64-bit words (the tokenizer's shared pre-token cache).
    .target(name: "CAtomicWords"),
    // Class bitmaps of 64 ASCII bytes at a time (SSE2 where there is), for the tokenizer's scanner.
    .target(name: "CByteClasses"),
    // Early writeback of shard bytes (Linux sync_file_range), so that the fsync closing a shard waits less.
    .target(name: "CFileSync"),
    // Allocator settings for the prep process: freed memory kept for reuse (glibc mallopt).
    .target(name: "CMalloc"),
    // Pure core: samples, source locations, checksums. No I/O.
    .target(name: "PrepCore", dependencies: ["CSHA256"]),
    // Byte-level BPE exactly as HF tokenizers runs Qwen's tokenizer.json.
    .target(name: "PrepTokenizer", dependencies: ["PrepCore", "CAtomicWords", "CByteClasses"]),
    // A fast JSON reader over UTF-8 bytes (records, tokenizer files) and Python-style rendering.
    .target(name: "PrepJSON", dependencies: ["PrepCore"]),
    // The one wrapper around libzstd.
    .target(name: "PrepZstd", dependencies: ["CZstd"], swiftSettings: strict),
    // Streaming decompression of input files in bounded memory: zstd (through PrepZstd), gzip, bzip2, xz.
    .target(name: "PrepDecompress", dependencies: ["PrepZstd", "CZlib", "CBzip2", "CLzma"]),
    // Streaming readers: JSONL, JSON arrays, XML dumps, plain or compressed -> chunks of records.
    .target(name: "PrepInput", dependencies: ["PrepCore", "PrepJSON", "PrepDecompress", "CLibXML2"]),
    // Instruction conversion, ChatML rendering and label masks.
    .target(name: "PrepTemplate", dependencies: ["PrepCore", "PrepJSON", "PrepTokenizer"]),
    // Packing samples into blocks.
    .target(name: "PrepPack", dependencies: ["PrepCore"]),
    // The shard format: writer, reader, index.json, verification.
    .target(name: "PrepShard", dependencies: ["PrepCore", "PrepJSON", "PrepZstd", "CFileSync"]),
    // Pipeline files, the parallel engine, statistics.
    .target(
      name: "PrepPipeline",
      dependencies: [
        "PrepCore", "PrepJSON", "PrepTokenizer", "PrepInput", "PrepTemplate", "PrepPack", "PrepShard",
        .product(name: "Yams", package: "Yams"),
      ]),
    // The minimal trainer: a toy Qwen2-shaped model on OpenBLAS.
    .target(name: "PrepTrain", dependencies: ["PrepCore", "PrepJSON"]),
    // The command line: parse, call the library, map errors to exit codes.
    .executableTarget(
      name: "prep",
      dependencies: [
        "PrepCore", "PrepTokenizer", "PrepJSON", "PrepInput", "PrepShard", "PrepPipeline", "PrepTrain", "CMalloc",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Test helpers: locating fixtures, the tokenizer cache and the built binary.
    .target(name: "PrepTestSupport", dependencies: ["PrepCore"], path: "Tests/PrepTestSupport"),
    .testTarget(name: "PrepCoreTests", dependencies: ["PrepCore", "CMalloc", "PrepTestSupport"]),
    .testTarget(name: "PrepTokenizerTests", dependencies: ["PrepTokenizer", "PrepJSON", "PrepTestSupport"]),
    .testTarget(name: "PrepJSONTests", dependencies: ["PrepJSON", "PrepCore", "PrepTestSupport"]),
    .testTarget(
      name: "PrepInputTests", dependencies: ["PrepInput", "PrepZstd", "PrepDecompress", "PrepTestSupport"]),
    .testTarget(name: "PrepShardTests", dependencies: ["PrepShard", "PrepZstd", "PrepTestSupport"]),
    .testTarget(
      name: "PrepTemplateTests", dependencies: ["PrepTemplate", "PrepTokenizer", "PrepTestSupport"],
      exclude: ["Golden"]),  // read by path: oracle.json and the script that makes it
    .testTarget(name: "PrepPackTests", dependencies: ["PrepPack", "PrepTestSupport"]),
    .testTarget(
      name: "PrepPipelineTests", dependencies: ["PrepPipeline", "PrepInput", "PrepTemplate", "PrepTestSupport"]),
    .testTarget(name: "PrepTrainTests", dependencies: ["PrepTrain", "PrepTestSupport"]),
    .testTarget(name: "EndToEndTests", dependencies: ["PrepTestSupport"]),
  ]
)
