import Dispatch
import PrepCore
import PrepJSON
import PrepShard
import PrepTestSupport
import Synchronization
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

let smallLayout = ShardConfiguration(frameTokens: 3_000, shardTokens: 40_000)

@Test func randomSamplesRoundTripThroughWriterAndReader() throws {
  let samples = randomSamples(count: 400, seed: 1)
  let dir = TestPaths.temporaryDirectory("shard-roundtrip")
  defer { removeDirectory(dir) }
  let index = try writeDataset(samples, to: dir, configuration: smallLayout)
  #expect(index.shards.count > 2)
  #expect(index.totals.samples == samples.count)
  #expect(index.totals.tokens == samples.reduce(0) { $0 + $1.count })
  #expect(index.totals.trainedTokens == samples.reduce(0) { $0 + $1.trainedCount })
  #expect(index.totals.documents == samples.reduce(0) { $0 + $1.boundaries.count - 1 })

  let dataset = try Dataset(directory: dir, verifyChecksums: true)
  #expect(dataset.count == samples.count)
  #expect(dataset.index == index)
  #expect(try readAll(dataset) == samples)
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
}

@Test func randomAccessEqualsSequentialReading() throws {
  let samples = randomSamples(count: 300, seed: 2)
  let dir = TestPaths.temporaryDirectory("shard-random-access")
  defer { removeDirectory(dir) }
  try writeDataset(samples, to: dir, configuration: smallLayout)
  let dataset = try Dataset(directory: dir)
  var rng = SeededRandom(seed: 99)
  let order = (0..<samples.count).shuffled(using: &rng)
  for i in order { #expect(try dataset.sample(at: i) == samples[i]) }
  #expect(throws: ShardError.sampleOutOfRange(index: samples.count, count: samples.count)) {
    try dataset.sample(at: samples.count)
  }
  #expect(throws: ShardError.sampleOutOfRange(index: -1, count: samples.count)) { try dataset.sample(at: -1) }
}

@Test func masksAreNormalisedToZeroAndOne() throws {
  let dir = TestPaths.temporaryDirectory("shard-mask")
  defer { removeDirectory(dir) }
  let s = Sample(ids: [1, 2, 3, 4], trained: [0, 7, 1, 0])
  try writeDataset([s], to: dir, configuration: smallLayout)
  #expect(try Dataset(directory: dir).sample(at: 0).trained == [0, 1, 1, 0])
}

@Test func shardAndFrameCutsDependOnlyOnDataAndConfiguration() throws {
  let samples = randomSamples(count: 250, seed: 3)
  let a = TestPaths.temporaryDirectory("shard-det-a")
  defer { removeDirectory(a) }
  let b = TestPaths.temporaryDirectory("shard-det-b")
  defer { removeDirectory(b) }
  try writeDataset(samples, to: a, configuration: smallLayout)
  try writeDataset(samples, to: b, configuration: smallLayout)
  let contentsA = try directoryContents(a)
  #expect(contentsA.count >= 3)
  #expect(contentsA == (try directoryContents(b)))

  // Every shard but the last holds at least shardTokens tokens, and loses that property without its last frame.
  let index = try DatasetIndex.read(directory: a)
  for shard in index.shards.dropLast() { #expect(shard.counts.tokens >= smallLayout.shardTokens) }

  // A sample limit gives shards of exactly that many samples.
  let c = TestPaths.temporaryDirectory("shard-det-c")
  defer { removeDirectory(c) }
  let bySamples = try writeDataset(
    samples, to: c, configuration: ShardConfiguration(frameTokens: 3_000, shardTokens: 1 << 30, shardSamples: 60))
  #expect(bySamples.shards.map(\.counts.samples) == [60, 60, 60, 60, 10])
}

@Test func framesCompressedOnOtherThreadsInAnyOrderGiveTheSameBytes() throws {
  let samples = randomSamples(count: 250, seed: 4)
  let reference = TestPaths.temporaryDirectory("shard-par-ref")
  defer { removeDirectory(reference) }
  try writeDataset(samples, to: reference, configuration: smallLayout)

  var batcher = FrameBatcher(configuration: smallLayout)
  var groups = [FrameGroup]()
  for s in samples { if let g = batcher.append(s) { groups.append(g) } }
  if let g = batcher.flush() { groups.append(g) }
  #expect(groups.count > 10)

  let dir = TestPaths.temporaryDirectory("shard-par")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir, configuration: smallLayout)
  let encoder = writer.encoder
  // Compress on several threads, in reverse order of completion slots.
  let results = FrameSlots(count: groups.count)
  let frozen = groups
  DispatchQueue.concurrentPerform(iterations: frozen.count) { k in
    let i = frozen.count - 1 - k
    results.set(i, Result { () throws(ShardError) in try encoder.encode(frozen[i]) })
  }
  for i in 0..<groups.count { try writer.append(frame: try results.get(i).get()) }
  try writer.finish(testMetadata)
  #expect(try directoryContents(dir) == (try directoryContents(reference)))
}

@Test(arguments: [2, 3, 8])
func theWritersOwnThreadsGiveTheSameBytes(_ threads: Int) throws {
  let samples = randomSamples(count: 250, seed: 4)
  let reference = TestPaths.temporaryDirectory("shard-threads-ref")
  defer { removeDirectory(reference) }
  try writeDataset(samples, to: reference, configuration: smallLayout)
  let dir = TestPaths.temporaryDirectory("shard-threads")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir, configuration: smallLayout, threads: threads)
  try writer.append(contentsOf: samples)
  try writer.finish(testMetadata)
  #expect(try directoryContents(dir) == (try directoryContents(reference)))
}

/// Slots written from concurrent threads (each slot once), read after they all finished.
final class FrameSlots: Sendable {
  private let slots: Mutex<[Result<EncodedFrame, ShardError>?]>
  init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
  func set(_ i: Int, _ r: Result<EncodedFrame, ShardError>) { slots.withLock { $0[i] = r } }
  func get(_ i: Int) -> Result<EncodedFrame, ShardError> {
    slots.withLock { $0[i] ?? .failure(.badConfiguration("slot \(i) empty")) }
  }
}

@Test func pipelineAndStatsSurviveIndexJSON() throws {
  let dir = TestPaths.temporaryDirectory("shard-json")
  defer { removeDirectory(dir) }
  let pipeline = JSONValue.object(
    JSONObject(
      keys: ["a", "nested", "text", "z"],
      values: [
        .number("-3"), .array([.bool(true), .null, .number("0.5"), .number("123456789012")]),
        .string("你好 \"quoted\" \\ / \n tab\t"), .object(JSONObject(keys: ["k"], values: [.array([])])),
      ]))
  let meta = IndexMetadata(
    prepVersion: "1.2.3", tokenizerFingerprint: "fp", vocabularySize: 100, pipeline: pipeline,
    stats: .object(JSONObject(keys: ["rejects", "truncated"], values: [.object(JSONObject()), .number("4")])))
  let writer = try ShardWriter(directory: dir)
  try writer.append(Sample(ids: [1, 2, 99], trained: [1, 1, 1]))
  let written = try writer.finish(meta)
  let read = try DatasetIndex.read(directory: dir)
  #expect(read == written)
  #expect(read.pipeline == pipeline)
  #expect(read.prepVersion == "1.2.3")
  #expect(read.vocabularySize == 100)
  #expect(read.zstdLevel == 2)
  #expect(read.zstdMinMatch == 4)
  #expect(read.labelConvention == "aligned")
}

@Test func emptyDatasetHasAnIndexAndNoShards() throws {
  let dir = TestPaths.temporaryDirectory("shard-empty")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir)
  let index = try writer.finish(testMetadata)
  #expect(index.shards.isEmpty)
  let dataset = try Dataset(directory: dir)
  #expect(dataset.count == 0)
  #expect(try readAll(dataset).isEmpty)
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
}

/// Ids at every LEB128 length boundary, up to UInt32.max (beyond any vocabulary prep ships), come back exactly.
@Test func idsAtEveryVarintLengthRoundTrip() throws {
  let edges: [UInt32] = [
    0, 127, 128, 16_383, 16_384, 0x1F_FFFF, 0x20_0000, 0x0FFF_FFFF, 0x1000_0000, UInt32.max - 1, UInt32.max,
  ]
  let sample = Sample(ids: edges + edges.reversed(), trained: [UInt8](repeating: 1, count: 2 * edges.count))
  let dir = TestPaths.temporaryDirectory("shard-varint")
  defer { removeDirectory(dir) }
  var metadata = testMetadata
  metadata.vocabularySize = Int(UInt32.max) + 1
  let writer = try ShardWriter(directory: dir, configuration: smallLayout)
  try writer.append(sample)
  try writer.finish(metadata)
  #expect(try readAll(Dataset(directory: dir)) == [sample])
}
