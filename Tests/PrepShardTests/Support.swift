import PrepCore
import PrepJSON
import PrepShard
import PrepTestSupport

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// PrepCore's SplitMix64: seeded, so every test sees the same samples on every run.
typealias SeededRandom = SplitMix64

/// The largest id of the Qwen vocabulary used in tests (151,936 ids).
let maxTestID: UInt32 = 151_935

/// A random sample: length 1...maxLength, ids skewed towards small values (with LEB128 edge values),
/// a mask of random runs, and sometimes several documents.
func randomSample(_ rng: inout SeededRandom, maxLength: Int = 600) -> Sample {
  let n = Int.random(in: 1...maxLength, using: &rng)
  let edges: [UInt32] = [0, 1, 127, 128, 16_383, 16_384, 151_643, maxTestID]
  var ids = [UInt32]()
  ids.reserveCapacity(n)
  for _ in 0..<n {
    switch Int.random(in: 0..<10, using: &rng) {
    case 0: ids.append(edges[Int.random(in: 0..<edges.count, using: &rng)])
    case 1...5: ids.append(UInt32.random(in: 0..<2000, using: &rng))
    default: ids.append(UInt32.random(in: 0...maxTestID, using: &rng))
    }
  }
  var trained = [UInt8]()
  var bit = UInt8.random(in: 0...1, using: &rng)
  while trained.count < n {
    let run = Int.random(in: 1...max(1, n / 3), using: &rng)
    trained.append(contentsOf: repeatElement(bit, count: min(run, n - trained.count)))
    bit ^= 1
  }
  var boundaries: [UInt32] = [0]
  if n > 1 && Bool.random(using: &rng) {
    let cuts = Int.random(in: 1...min(8, n - 1), using: &rng)
    var set = Set<UInt32>()
    while set.count < cuts { set.insert(UInt32.random(in: 1..<UInt32(n), using: &rng)) }
    boundaries.append(contentsOf: set.sorted())
  }
  boundaries.append(UInt32(n))
  return Sample(ids: ids, trained: trained, boundaries: boundaries)
}

func randomSamples(count: Int, seed: UInt64, maxLength: Int = 600) -> [Sample] {
  var rng = SeededRandom(seed: seed)
  return (0..<count).map { _ in randomSample(&rng, maxLength: maxLength) }
}

let testMetadata = IndexMetadata(
  prepVersion: "test", tokenizerFingerprint: "sha256:test-tokenizer", vocabularySize: 151_936,
  pipeline: .object(JSONObject(keys: ["name", "block"], values: [.string("test"), .number("2048")])),
  stats: .object(JSONObject(keys: ["rejects"], values: [.object(JSONObject())])))

/// Writes `samples` into `directory` and returns the index.
@discardableResult
func writeDataset(
  _ samples: [Sample], to directory: String, configuration: ShardConfiguration, force: Bool = false
) throws -> DatasetIndex {
  let writer = try ShardWriter(directory: directory, configuration: configuration, force: force)
  for s in samples { try writer.append(s) }
  return try writer.finish(testMetadata)
}

/// Every file of a directory, by name, with its bytes.
func directoryContents(_ directory: String) throws -> [String: [UInt8]] {
  var out = [String: [UInt8]]()
  for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
    out[name] = Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
  }
  return out
}

func readBytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

func writeBytes(_ bytes: [UInt8], to path: String) throws {
  try Data(bytes).write(to: URL(fileURLWithPath: path))
}

func readAll(_ dataset: Dataset) throws -> [Sample] {
  var it = dataset.makeSampleIterator()
  var out = [Sample]()
  while let s = try it.next() { out.append(s) }
  return out
}

/// Removes a test's temporary directory.
func removeDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }
