import PrepCore
import PrepShard
import PrepTestSupport
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

private func names(_ dir: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
}

@Test func anExistingDatasetIsRefusedWithoutForceAndReplacedWithIt() throws {
  let dir = TestPaths.temporaryDirectory("shard-existing")
  defer { removeDirectory(dir) }
  let first = try writeDataset(randomSamples(count: 200, seed: 5), to: dir, configuration: smallLayout)
  #expect(first.shards.count >= 2)
  #expect(throws: ShardError.existingDataset(directory: dir, file: "index.json")) {
    _ = try ShardWriter(directory: dir, configuration: smallLayout)
  }
  // Shards without an index (a run killed mid-way) are refused too, and left as they are.
  try FileManager.default.removeItem(atPath: dir + "/index.json")
  try writeBytes([1], to: dir + "/.index.json.tmp")
  let before = try directoryContents(dir)
  #expect(throws: ShardError.existingDataset(directory: dir, file: ".index.json.tmp")) {
    _ = try ShardWriter(directory: dir, configuration: smallLayout)
  }
  #expect(try directoryContents(dir) == before)
  // An unrelated file does not count, and survives --force.
  try writeBytes(Array("notes".utf8), to: dir + "/README.txt")
  let samples = randomSamples(count: 3, seed: 6)
  let second = try writeDataset(samples, to: dir, configuration: smallLayout, force: true)
  #expect(second.shards.count == 1)
  #expect(try names(dir) == ["README.txt", "index.json", "shard-00000.bin"])
  #expect(first.shards.count > 1)  // the old shard-00001.bin and later were removed
  #expect(try readAll(Dataset(directory: dir)) == samples)
}

/// `finish` in two steps: after `prepareIndex` every shard is finished but nothing looks complete (no index.json);
/// `publishIndex` writes the same index `finish` would, in one atomic write.
@Test func aPreparedIndexIsWrittenOnlyWhenPublished() throws {
  let samples = randomSamples(count: 40, seed: 31)
  let configuration = ShardConfiguration(frameTokens: 1 << 12, shardTokens: 1 << 14)
  let once = TestPaths.temporaryDirectory("finish-once")
  let whole = try writeDataset(samples, to: once, configuration: configuration)
  let twice = TestPaths.temporaryDirectory("finish-twice")
  let writer = try ShardWriter(directory: twice, configuration: configuration)
  for s in samples { try writer.append(s) }
  let prepared = try writer.prepareIndex(testMetadata)
  #expect(!FileManager.default.fileExists(atPath: twice + "/index.json"))
  #expect(prepared.index.shards.map(\.file) == whole.shards.map(\.file))
  let published = try writer.publishIndex(prepared)
  #expect(published.shards.map(\.sha256) == whole.shards.map(\.sha256))
  #expect(try directoryContents(twice) == directoryContents(once))
}

@Test func anErrorMidWriteLeavesNoIndexAndNoShard() throws {
  let dir = TestPaths.temporaryDirectory("shard-crash")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir, configuration: smallLayout)
  let samples = randomSamples(count: 200, seed: 7)
  for s in samples { try writer.append(s) }
  // Finished shards and a temporary file exist now.
  let during = try names(dir)
  #expect(during.contains("shard-00000.bin"))
  #expect(during.contains { $0.hasPrefix(".shard-") && $0.hasSuffix(".tmp") })
  var bad = samples[0]
  bad.boundaries = [0, 5, 3, UInt32(bad.count)]
  #expect(throws: ShardError.self) {
    // Enough samples to close the current frame and reach the bad one.
    for _ in 0..<20 { try writer.append(bad) }
  }
  #expect(try names(dir).isEmpty)
  #expect(throws: ShardError.writerClosed(directory: dir)) { try writer.finish(testMetadata) }
}

@Test func aDroppedWriterRemovesWhatItWrote() throws {
  let dir = TestPaths.temporaryDirectory("shard-dropped")
  defer { removeDirectory(dir) }
  do {
    let writer = try ShardWriter(directory: dir, configuration: smallLayout)
    for s in randomSamples(count: 200, seed: 8) { try writer.append(s) }
    #expect(!(try names(dir)).isEmpty)
  }
  #expect(try names(dir).isEmpty)
}

@Test func anIDOutsideTheVocabularyFailsFinishAndLeavesNothing() throws {
  let dir = TestPaths.temporaryDirectory("shard-oov-write")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir, configuration: smallLayout)
  for s in randomSamples(count: 50, seed: 9) { try writer.append(s) }
  try writer.append(Sample(ids: [151_936], trained: [1]))
  #expect(throws: ShardError.self) { try writer.finish(testMetadata) }
  #expect(try names(dir).isEmpty)
}

@Test(arguments: [
  (Sample(ids: [], trained: []), "at least one token"),
  (Sample(ids: [1, 2], trained: [1, 1], boundaries: [1, 2]), "start at 0"),
  (Sample(ids: [1, 2, 3], trained: [1, 1, 1], boundaries: [0, 2, 2, 3]), "strictly increase"),
  (Sample(ids: [1, 2, 3], trained: [1, 1, 1], boundaries: [0, 2]), "end at the sample length"),
  (Sample(ids: [1, 2, 3], trained: [1, 1, 1], boundaries: [0]), "start at 0"),
])
func malformedSamplesAreRefusedWithTheirPosition(_ sample: Sample, _ reason: String) throws {
  let dir = TestPaths.temporaryDirectory("shard-malformed")
  defer { removeDirectory(dir) }
  let writer = try ShardWriter(directory: dir, configuration: ShardConfiguration(frameTokens: 1))
  try writer.append(Sample(ids: [1], trained: [1]))
  do {
    try writer.append(sample)
    Issue.record("accepted a malformed sample")
  } catch {
    guard case .invalidSample(let index, let message) = error else {
      Issue.record("unexpected error \(error)")
      return
    }
    #expect(index == 1)
    #expect(message.contains(reason), "\(message)")
  }
  #expect(try names(dir).isEmpty)
}

@Test func mismatchedTrainedFlagsAreRefused() throws {
  var s = Sample(ids: [1, 2], trained: [1, 1])
  s.trained = [1]
  #expect(throws: ShardError.invalidSample(index: 0, reason: "2 ids but 1 trained flags")) {
    try FrameEncoder().encode(FrameGroup(samples: [s], firstSampleIndex: 0, endsShard: true))
  }
}
