import PrepCore
import PrepJSON
import PrepShard
import PrepTestSupport
import PrepZstd
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The samples of `fixtures/shard/sample-dataset`: single documents with masked prompts, packed
/// blocks, all-trained and all-masked samples, ids across the LEB128 size classes up to 151,935.
func fixtureSamples() -> [Sample] {
  var out = [
    Sample(
      ids: [151_644, 872, 198, 9707, 151_645, 198, 151_644, 77091, 198, 2610, 151_645],
      trained: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]),
    Sample(ids: [1, 2, 3, 151_643, 4, 5, 151_643, 6], trained: [1, 1, 1, 1, 1, 1, 1, 1], boundaries: [0, 4, 7, 8]),
    Sample(ids: [151_935], trained: [1]),
    Sample(ids: [0, 127, 128, 16_383, 16_384, 2_097_151 % 151_936], trained: [0, 0, 0, 0, 0, 0]),
  ]
  out += randomSamples(count: 20, seed: 2026, maxLength: 70)
  return out
}

let fixtureLayout = ShardConfiguration(frameTokens: 150, shardTokens: 500)
let fixtureMetadata = IndexMetadata(
  prepVersion: "fixture", tokenizerFingerprint: "fixture-tokenizer", vocabularySize: 151_936,
  pipeline: .object(JSONObject(keys: ["generator"], values: [.string("Tests/PrepShardTests/FixtureTests.swift")])),
  stats: .object(JSONObject(keys: ["rejects", "truncated"], values: [.object(JSONObject()), .number("0")])))

/// What the Python reader must produce for each sample: one JSON object per line.
func fixtureJSONL(_ samples: [Sample]) -> String {
  func list<T>(_ xs: [T]) -> String { "[" + xs.map { "\($0)" }.joined(separator: ", ") + "]" }
  var out = ""
  for s in samples {
    out += "{\"input_ids\": \(list(s.ids)), \"labels\": \(list(s.labels)), "
    out += "\"position_ids\": \(list(s.positionIDs)), \"cu_seqlens\": \(list(s.boundaries))}\n"
  }
  return out
}

/// Checks that the committed fixture is exactly what the writer produces today. To regenerate it
/// (after a deliberate format change): `PREP_WRITE_FIXTURES=1 swift test --filter committedFixture`.
@Test func committedFixtureIsWhatTheWriterProduces() throws {
  let samples = fixtureSamples()
  let fixture = TestPaths.fixture("shard/sample-dataset")
  let jsonlPath = TestPaths.fixture("shard/sample-dataset.jsonl")
  if ProcessInfo.processInfo.environment["PREP_WRITE_FIXTURES"] == "1" {
    let writer = try ShardWriter(directory: fixture, configuration: fixtureLayout, force: true)
    for s in samples { try writer.append(s) }
    try writer.finish(fixtureMetadata)
    try writeBytes(Array(fixtureJSONL(samples).utf8), to: jsonlPath)
  }
  let dataset = try Dataset(directory: fixture, verifyChecksums: true)
  #expect(try readAll(dataset) == samples)
  #expect(dataset.index.shards.count >= 2)
  #expect(String(decoding: try readBytes(jsonlPath), as: UTF8.self) == fixtureJSONL(samples))
  // Byte for byte, when the linked zstd is the one that wrote the fixture.
  if dataset.index.zstdVersion == Zstd.version {
    let dir = TestPaths.temporaryDirectory("shard-fixture")
    defer { removeDirectory(dir) }
    let writer = try ShardWriter(directory: dir, configuration: fixtureLayout)
    for s in samples { try writer.append(s) }
    try writer.finish(fixtureMetadata)
    #expect(try directoryContents(dir) == (try directoryContents(fixture)))
  }
}
