import PrepCore
import PrepShard
import PrepTestSupport
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The frames of `samples` with `configuration`, in order.
private func frames(_ samples: [Sample], _ configuration: ShardConfiguration) throws -> [EncodedFrame] {
  var batcher = FrameBatcher(configuration: configuration)
  var groups = [FrameGroup]()
  for s in samples { if let g = batcher.append(s) { groups.append(g) } }
  if let g = batcher.flush() { groups.append(g) }
  let encoder = FrameEncoder(level: configuration.level, minMatch: configuration.minMatch)
  return try groups.map { g throws(ShardError) in try encoder.encode(g) }
}

/// A writer checkpointed after frame k, then "killed" after writing more (a finished shard and a partial one
/// included), resumes from the checkpoint and, given the frames from k on, writes the bytes of a writer that was
/// never interrupted, whatever k is.
@Test(arguments: [0, 1, 5, 9, 17])
func aResumedWriterWritesTheBytesOfAnUninterruptedOne(_ k: Int) throws {
  let layout = ShardConfiguration(frameTokens: 2_000, shardTokens: 9_000)
  let all = try frames(randomSamples(count: 300, seed: 11), layout)
  #expect(all.count > 25)
  let reference = TestPaths.temporaryDirectory("resume-ref")
  defer { removeDirectory(reference) }
  let straight = try ShardWriter(directory: reference, configuration: layout)
  for f in all { try straight.append(frame: f) }
  try straight.finish(testMetadata)

  let dir = TestPaths.temporaryDirectory("resume")
  defer { removeDirectory(dir) }
  let first = try ShardWriter(directory: dir, configuration: layout)
  for f in all[0..<k] { try first.append(frame: f) }
  var w = StateWriter()
  try first.checkpoint(into: &w)
  // Work after the checkpoint that the crash loses: more frames, at least one finished shard.
  for f in all[k..<(k + 8)] { try first.append(frame: f) }
  first.release()
  #expect(first.finishedShards >= 1)

  var r = StateReader(w.bytes)
  let resumed = try ShardWriter(resuming: dir, configuration: layout, state: &r)
  #expect(r.atEnd)
  for f in all[k...] { try resumed.append(frame: f) }
  try resumed.finish(testMetadata)
  #expect(try directoryContents(dir) == (try directoryContents(reference)))
}

/// Resuming refuses a shard that changed since the checkpoint, instead of writing a dataset that would not verify.
@Test func resumingRefusesAShardThatChangedSinceTheCheckpoint() throws {
  let layout = ShardConfiguration(frameTokens: 2_000, shardTokens: 9_000)
  let all = try frames(randomSamples(count: 120, seed: 12), layout)
  let dir = TestPaths.temporaryDirectory("resume-bad")
  defer { removeDirectory(dir) }
  let first = try ShardWriter(directory: dir, configuration: layout)
  for f in all[0..<7] { try first.append(frame: f) }
  var w = StateWriter()
  try first.checkpoint(into: &w)
  first.release()
  let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
  let temp = try #require(names.first { $0.hasSuffix(".tmp") })
  // Damage one byte of the shard being written.
  var bytes = try readBytes(dir + "/" + temp)
  bytes[bytes.count / 2] ^= 0x40
  try writeBytes(bytes, to: dir + "/" + temp)
  var r = StateReader(w.bytes)
  #expect {
    _ = try ShardWriter(resuming: dir, configuration: layout, state: &r)
  } throws: { error in
    "\(error)".contains("does not hold the bytes the checkpoint recorded")
  }
  // And a finished shard that is gone.
  let finished = try #require(names.first { $0.hasPrefix("shard-") })
  try FileManager.default.removeItem(atPath: dir + "/" + finished)
  var again = StateReader(w.bytes)
  #expect(throws: ShardError.self) { _ = try ShardWriter(resuming: dir, configuration: layout, state: &again) }
}

/// The batcher's state round-trips: a restored batcher cuts the same frames as one that never stopped.
@Test func aRestoredBatcherCutsTheSameFrames() throws {
  let layout = ShardConfiguration(frameTokens: 2_500, shardTokens: 7_000, shardSamples: 23)
  let samples = randomSamples(count: 200, seed: 13)
  var straight = FrameBatcher(configuration: layout)
  var expected = [FrameGroup]()
  for s in samples { if let g = straight.append(s) { expected.append(g) } }
  if let g = straight.flush() { expected.append(g) }
  for cut in [1, 40, 111, 199] {
    var a = FrameBatcher(configuration: layout)
    var got = [FrameGroup]()
    for s in samples[0..<cut] { if let g = a.append(s) { got.append(g) } }
    var w = StateWriter()
    a.encodeState(into: &w)
    var b = FrameBatcher(configuration: layout)
    var r = StateReader(w.bytes)
    try b.restoreState(from: &r)
    #expect(r.atEnd)
    for s in samples[cut...] { if let g = b.append(s) { got.append(g) } }
    if let g = b.flush() { got.append(g) }
    #expect(got == expected, "cut at \(cut)")
  }
}

/// A checkpoint file that is torn or damaged is refused, never half-used.
@Test func aDamagedCheckpointFileIsRefused() throws {
  let dir = TestPaths.temporaryDirectory("ckpt")
  defer { removeDirectory(dir) }
  #expect(try ResumeCheckpoint.read(directory: dir) == nil)
  let payload = Array("state of a run".utf8)
  try ResumeCheckpoint.write(payload, directory: dir)
  #expect(try ResumeCheckpoint.read(directory: dir) == payload)
  let path = dir + "/" + ResumeCheckpoint.fileName
  let good = try readBytes(path)
  for position in [0, 9, good.count / 2, good.count - 1] {
    var bad = good
    bad[position] ^= 0x01
    try writeBytes(bad, to: path)
    #expect(throws: ShardError.self) { _ = try ResumeCheckpoint.read(directory: dir) }
  }
  try writeBytes(Array(good.prefix(good.count - 5)), to: path)
  #expect(throws: ShardError.self) { _ = try ResumeCheckpoint.read(directory: dir) }
  try ResumeCheckpoint.remove(directory: dir)
  #expect(!ResumeCheckpoint.exists(directory: dir))
}
