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

private let tinyLayout = ShardConfiguration(frameTokens: 80, shardTokens: 200)

/// A small dataset of two or three shards of a few KB.
private func tinyDataset(_ tag: String) throws -> (String, [Sample]) {
  let dir = TestPaths.temporaryDirectory(tag)
  let samples = randomSamples(count: 10, seed: 11, maxLength: 80)
  try writeDataset(samples, to: dir, configuration: tinyLayout)
  return (dir, samples)
}

@Test func aSoundDatasetHasNoFaults() throws {
  let (dir, _) = try tinyDataset("verify-sound")
  defer { removeDirectory(dir) }
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
  #expect(
    DatasetVerifier.verify(directory: dir, vocabularySize: 151_936, tokenizerFingerprint: "sha256:test-tokenizer")
      .isEmpty)
  #expect(try DatasetIndex.read(directory: dir).shards.count >= 2)
}

@Test func verifyCatchesEverySingleByteFlipInAShard() throws {
  let (dir, _) = try tinyDataset("verify-flip-shard")
  defer { removeDirectory(dir) }
  let path = dir + "/shard-00000.bin"
  let original = try readBytes(path)
  #expect(original.count > 300)
  for mask: UInt8 in [0x01, 0xFF] {
    // Every byte with one mask; every third byte with the other (the test runs in a debug build).
    for i in stride(from: 0, to: original.count, by: mask == 0x01 ? 1 : 3) {
      var damaged = original
      damaged[i] ^= mask
      try writeBytes(damaged, to: path)
      let faults = DatasetVerifier.verify(directory: dir)
      #expect(faults.contains { $0.file == path }, "flip \(mask) at byte \(i) not caught")
    }
  }
  try writeBytes(original, to: path)
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
}

@Test func aFlippedShardNeverReadsAsDifferentSamples() throws {
  // Without the SHA-256 of index.json: the shard's own structure and zstd's frame checksums either
  // reject the damage or the damage does not change a single sample (e.g. a zstd window-size bit).
  let (dir, samples) = try tinyDataset("verify-flip-structure")
  defer { removeDirectory(dir) }
  let path = dir + "/shard-00000.bin"
  let original = try readBytes(path)
  let expected = try ShardReader(path: path).frames.indices.flatMap { try ShardReader(path: path).samples(inFrame: $0) }
  #expect(expected == Array(samples.prefix(expected.count)))
  var rejected = 0
  for i in 0..<original.count {
    var damaged = original
    damaged[i] ^= 0x01
    try writeBytes(damaged, to: path)
    do {
      let reader = try ShardReader(path: path)
      let got = try reader.frames.indices.flatMap { try reader.samples(inFrame: $0) }
      #expect(got == expected, "flip at byte \(i) changed the samples silently")
    } catch {
      rejected += 1
    }
  }
  #expect(rejected > original.count * 9 / 10)
  try writeBytes(original, to: path)
}

@Test func verifyCatchesEverySingleByteFlipInIndexJSON() throws {
  let (dir, _) = try tinyDataset("verify-flip-index")
  defer { removeDirectory(dir) }
  let path = dir + "/index.json"
  let original = try readBytes(path)
  for mask: UInt8 in [0x01, 0x20] {
    for i in stride(from: 0, to: original.count, by: mask == 0x01 ? 1 : 3) {
      var damaged = original
      damaged[i] ^= mask
      try writeBytes(damaged, to: path)
      let faults = DatasetVerifier.verify(directory: dir)
      #expect(faults.contains { $0.file == path }, "flip \(mask) at byte \(i) not caught")
    }
  }
  try writeBytes(original, to: path)
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
}

/// Rewrites index.json after `edit`, with a valid self-checksum (a consistent, deliberate edit).
private func editIndex(_ dir: String, _ edit: (inout DatasetIndex) -> Void) throws {
  var index = try DatasetIndex.read(directory: dir)
  edit(&index)
  try writeBytes(try index.encoded(), to: dir + "/index.json")
}

@Test func verifyCatchesWrongCountsInIndexJSON() throws {
  let (dir, _) = try tinyDataset("verify-counts")
  defer { removeDirectory(dir) }
  try editIndex(dir) {
    $0.shards[0].counts.trainedTokens += 1
    $0.totals.trainedTokens += 1
  }
  let faults = DatasetVerifier.verify(directory: dir)
  #expect(faults.count == 1)
  #expect(faults.first?.message.contains("index.json says") == true, "\(faults)")

  try editIndex(dir) { $0.totals.tokens += 1 }
  #expect(DatasetVerifier.verify(directory: dir).contains { $0.message.contains("totals") })
}

@Test func verifyCatchesAnEditWithoutANewChecksum() throws {
  let (dir, _) = try tinyDataset("verify-edit")
  defer { removeDirectory(dir) }
  let path = dir + "/index.json"
  let text = String(decoding: try readBytes(path), as: UTF8.self)
  let edited = text.replacing("\"prep_version\" : \"test\"", with: "\"prep_version\" : \"tes2\"")
  #expect(edited != text)
  try writeBytes(Array(edited.utf8), to: path)
  let faults = DatasetVerifier.verify(directory: dir)
  #expect(faults.count == 1 && faults[0].message.contains("edited or damaged"), "\(faults)")
}

@Test func verifyCatchesFingerprintAndVocabularyMismatch() throws {
  let (dir, _) = try tinyDataset("verify-fingerprint")
  defer { removeDirectory(dir) }
  let faults = DatasetVerifier.verify(directory: dir, vocabularySize: 151_000, tokenizerFingerprint: "other")
  #expect(faults.contains { $0.message.contains("fingerprint") })
  #expect(faults.contains { $0.message.contains("vocabulary size 151936 does not match") })
  #expect(faults.contains { $0.message.contains("is not below the vocabulary size 151000") })
}

@Test func verifyCatchesMissingAndStrayShards() throws {
  let (dir, _) = try tinyDataset("verify-missing")
  defer { removeDirectory(dir) }
  try FileManager.default.moveItem(atPath: dir + "/shard-00001.bin", toPath: dir + "/shard-00099.bin")
  let faults = DatasetVerifier.verify(directory: dir)
  #expect(faults.contains { $0.file == dir + "/shard-00001.bin" && $0.message.contains("missing") })
  #expect(faults.contains { $0.file == dir + "/shard-00099.bin" && $0.message.contains("not listed") })
}

// MARK: Frames built by hand from docs/shard-format.md

private func u32(_ v: UInt32) -> [UInt8] {
  [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)]
}

/// One sample, ids [5, 300, 151935], trained [0, 1, 1], documents [0, 1, 3], laid out per the doc;
/// `runs` and `boundaries` can be overridden to break the rules.
private func handPayload(
  ids: [UInt8] = [0x05, 0xAC, 0x02, 0xFF, 0xA2, 0x09], runs: [UInt32] = [1, 2], boundaries: [UInt32] = [1]
) -> [UInt8] {
  var p = u32(1)  // one sample
  p += u32(3) + u32(UInt32(ids.count)) + u32(UInt32(runs.count)) + u32(UInt32(boundaries.count))
  p += ids
  for r in runs { p += u32(r) }
  for b in boundaries { p += u32(b) }
  return p
}

private func writeHandFrame(_ payload: [UInt8], vocabularySize: Int = 151_936) throws -> String {
  let dir = TestPaths.temporaryDirectory("verify-hand")
  let writer = try ShardWriter(directory: dir)
  let frame = EncodedFrame(
    compressed: try Zstd.compress(payload, level: 3), rawSize: payload.count, sampleCount: 1, tokenCount: 3,
    trainedCount: 2, documentCount: 2, maxID: 0, endsShard: true)
  try writer.append(frame: frame)
  try writer.finish(
    IndexMetadata(prepVersion: "test", tokenizerFingerprint: "fp", vocabularySize: vocabularySize))
  return dir
}

@Test func aFrameBuiltFromTheDocumentReadsBack() throws {
  let dir = try writeHandFrame(handPayload())
  defer { removeDirectory(dir) }
  #expect(DatasetVerifier.verify(directory: dir).isEmpty)
  let s = try Dataset(directory: dir).sample(at: 0)
  #expect(s == Sample(ids: [5, 300, 151_935], trained: [0, 1, 1], boundaries: [0, 1, 3]))
  #expect(s.labels == [-100, 300, 151_935])
  #expect(s.positionIDs == [0, 0, 1])
}

@Test func verifyCatchesAnIDOutsideTheVocabulary() throws {
  let dir = try writeHandFrame(handPayload(), vocabularySize: 151_935)
  defer { removeDirectory(dir) }
  let faults = DatasetVerifier.verify(directory: dir)
  #expect(faults.count == 1)
  #expect(faults.first?.message.contains("id 151935 at position 2 is not below the vocabulary size 151935") == true)
}

@Test(arguments: [
  ([UInt32(1), 2], [UInt32(3)], "boundary 3"),
  ([UInt32(1), 2], [UInt32(0)], "boundary 0"),
  ([UInt32(1), 2], [UInt32(2), 1], "boundary 1 out of order"),
  ([UInt32(1), 1], [UInt32(1)], "mask runs cover 2 of 3"),
  ([UInt32(1), 0, 2], [UInt32(1)], "malformed mask run 0"),
])
func verifyCatchesMalformedMasksAndBoundaries(_ runs: [UInt32], _ boundaries: [UInt32], _ expected: String) throws {
  let dir = try writeHandFrame(handPayload(runs: runs, boundaries: boundaries))
  defer { removeDirectory(dir) }
  let all = DatasetVerifier.verify(directory: dir).map(\.message).joined(separator: "\n")
  #expect(all.contains(expected), "\(all)")
  #expect(throws: ShardError.self) { try Dataset(directory: dir).sample(at: 0) }
}

@Test(arguments: [
  [UInt8(0x05), 0xAC, 0x82, 0xFF, 0xA2, 0x09],  // a continuation byte swallows the next id
  [UInt8(0x05), 0xAC, 0x02, 0xFF, 0xA2, 0x89],  // the last id never ends
  [UInt8(0x85), 0x00, 0xAC, 0x02, 0xFF, 0xA2],  // an overlong encoding (trailing zero group)
])
func verifyCatchesMalformedIDBytes(_ ids: [UInt8]) throws {
  let dir = try writeHandFrame(handPayload(ids: ids))
  defer { removeDirectory(dir) }
  #expect(!DatasetVerifier.verify(directory: dir).isEmpty)
  #expect(throws: ShardError.self) { try Dataset(directory: dir).sample(at: 0) }
}

/// An index.json that passes its checksum but lacks a key or holds a wrong type says which key, in the file's own
/// words (not Swift's `DecodingError` text).
@Test func anIndexWithAMissingOrMistypedKeyNamesIt() throws {
  let original = String(decoding: try readBytes(TestPaths.fixture("shard/sample-dataset/index.json")), as: UTF8.self)
  func resigned(_ text: String) -> [UInt8] {
    // The self-checksum over the file with its own value zeroed, as the writer computes it.
    let zero = String(repeating: "0", count: 64)
    var bytes = Array(text.utf8)
    let key = Array("\"index_sha256\" : \"".utf8)
    let at = (0...(bytes.count - key.count)).first { bytes[$0..<($0 + key.count)].elementsEqual(key) }! + key.count
    bytes.replaceSubrange(at..<(at + 64), with: Array(zero.utf8))
    bytes.replaceSubrange(at..<(at + 64), with: Array(SHA256.hash(bytes).hexString.utf8))
    return bytes
  }
  #expect(throws: Never.self) { try DatasetIndex.decode(resigned(original), file: "index.json") }
  let cases = [
    (original.replacing("\"label_convention\" : \"aligned\",\n", with: ""), "missing key 'label_convention'"),
    (original.replacing("\"frames\" : 3,", with: "\"frames\" : \"3\","), "shards[0].frames: expected Int"),
  ]
  for (text, message) in cases {
    #expect(text != original)
    do {
      _ = try DatasetIndex.decode(resigned(text), file: "index.json")
      Issue.record("decoded: \(message)")
    } catch {
      #expect(error.description.contains(message), "\(error.description)")
      #expect(!error.description.contains("CodingKeys"), "\(error.description)")
    }
  }
}
