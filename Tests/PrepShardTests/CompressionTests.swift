import PrepCore
import PrepTestSupport
import PrepZstd
import Testing

@testable import PrepShard

/// Payload-like bytes: LEB128 ids drawn from a small vocabulary, so that short matches abound.
private func tokenPayload(count: Int, seed: UInt64) -> [UInt8] {
  var rng = SplitMix64(seed: seed)
  var out: [UInt8] = []
  for _ in 0..<count {
    var id = UInt32(truncatingIfNeeded: rng.next() % 3_000) &* 37
    repeat {
      out.append(UInt8(id & 0x7F) | (id >= 0x80 ? 0x80 : 0))
      id >>= 7
    } while id != 0
  }
  return out
}

/// The minimum match changes the compressed bytes; a pooled context reused at another setting gives the
/// same bytes as before (a setting never leaks from one call into the next).
@Test func minimumMatchIsAppliedAndNeverLeaksBetweenCalls() throws {
  let input = tokenPayload(count: 200_000, seed: 7)
  let own = try Zstd.compress(input, level: 2)
  let four = try Zstd.compress(input, level: 2, minMatch: 4)
  #expect(own != four)
  #expect(try Zstd.decompress(own) == input)
  #expect(try Zstd.decompress(four) == input)
  #expect(try Zstd.compress(input, level: 2) == own)
  #expect(try Zstd.compress(input, level: 2, minMatch: 4) == four)
  #expect(try Zstd.compress(input, level: 2, minMatch: 0) == own)
}

@Test func shardDefaultsUsePrepsMinimumMatchAndTheIndexRecordsIt() throws {
  #expect(ShardConfiguration().level == 2)
  #expect(ShardConfiguration().minMatch == 4)
  #expect(ShardConfiguration(level: 9).minMatch == 0)
  #expect(ShardConfiguration(level: 3, minMatch: 0).minMatch == 0)
  #expect(throws: ShardError.self) { try ShardConfiguration(minMatch: 9).validate() }

  let ids = tokenPayload(count: 5_000, seed: 3).prefix(5_000).map { UInt32($0) }
  let sample = Sample(ids: ids, trained: [UInt8](repeating: 1, count: ids.count))
  let meta = IndexMetadata(
    prepVersion: "t", tokenizerFingerprint: "fp", vocabularySize: 300, pipeline: .null, stats: .null)
  for (level, minMatch, recorded) in [(Int32(2), Int32?.none, Optional(4)), (9, nil, nil), (2, 0, nil)] {
    let dir = TestPaths.temporaryDirectory("shard-min-match")
    let writer = try ShardWriter(directory: dir, configuration: ShardConfiguration(level: level, minMatch: minMatch))
    try writer.append(sample)
    let index = try writer.finish(meta)
    #expect(index.zstdLevel == Int(level))
    #expect(index.zstdMinMatch == recorded)
    #expect(try DatasetIndex.read(directory: dir).zstdMinMatch == recorded)
    let dataset = try Dataset(directory: dir)
    #expect(try dataset.sample(at: 0) == sample)
  }
}

/// The word-at-a-time run scan equals the flag-by-flag definition on every length around the word size,
/// long runs, alternation and flags other than 0 and 1.
@Test func maskRunsMatchTheirDefinition() {
  func reference(_ flags: [UInt8]) -> ([UInt32], Int) {
    var runs: [UInt32] = []
    var current: UInt8 = 0
    var length: UInt32 = 0
    var trained = 0
    for f in flags {
      let bit: UInt8 = f != 0 ? 1 : 0
      trained += Int(bit)
      if bit != current {
        runs.append(length)
        current = bit
        length = 0
      }
      length += 1
    }
    runs.append(length)
    return (runs, trained)
  }
  var rng = SplitMix64(seed: 11)
  var cases: [[UInt8]] = [[], [1], [0], [UInt8](repeating: 1, count: 2048), [UInt8](repeating: 0, count: 9)]
  for n in 0..<40 {
    for density in [0, 1, 2, 8, 64] as [UInt64] {
      cases.append(
        (0..<n).map { _ in
          let r = rng.next()
          // Mostly long runs; sometimes a flag of 2 or 255 (any non-zero value means trained).
          if r % 97 == 0 { return UInt8(r >> 8 & 1 == 0 ? 2 : 255) }
          return density == 0 ? 1 : UInt8(r % (density + 1) == 0 ? 0 : 1)
        })
    }
  }
  for flags in cases {
    var bytes: [UInt8] = []
    let (count, trained) = FramePayload.appendRuns(flags, to: &bytes)
    let (runs, expectedTrained) = reference(flags)
    let got = stride(from: 0, to: bytes.count, by: 4).map { k in
      UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
    }
    #expect(got == runs, "flags \(flags)")
    #expect(Int(count) == runs.count)
    #expect(trained == expectedTrained)
  }
}
