import PrepCore
import PrepPack
import Testing

/// Sample `k` of length n: ids all equal to k + 1 (so a block's segments say which sample they hold), the
/// first two positions untrained (a prompt), the rest trained.
private func makeSample(_ k: Int, length n: Int) -> Sample {
  Sample(ids: [UInt32](repeating: UInt32(k + 1), count: n), trained: (0..<n).map { $0 < 2 ? 0 : 1 })
}

private func pack(_ samples: [Sample], _ config: SFTPacker.Config) throws -> ([PackedBlock], PackStats) {
  var packer = try SFTPacker(config)
  var out = [PackedBlock]()
  for s in samples { packer.add(s, into: &out) }
  packer.finish(into: &out)
  return (out, packer.stats)
}

/// First fit in input order (one open block): the baseline best fit must beat.
private func nextFitBlocks(_ lengths: [Int], capacity: Int) -> Int {
  var blocks = 0
  var used = capacity
  for n in lengths {
    if used + n > capacity {
      blocks += 1
      used = 0
    }
    used += n
  }
  return blocks
}

@Suite struct SFTPackerTests {
  @Test func bestFitInvariantsOnRandomLengths() throws {
    var rng = SplitMix(seed: 42)
    for round in 0..<40 {
      let capacity = Int.random(in: 16...256, using: &rng)
      let count = Int.random(in: 1...300, using: &rng)
      let lengths = (0..<count).map { _ in Int.random(in: 1...capacity, using: &rng) }
      let samples = lengths.enumerated().map { makeSample($0.offset, length: $0.element) }
      // Odd rounds gather samples and place them longest first: the same invariants hold.
      let config = SFTPacker.Config(
        capacity: capacity, openBlocks: Int.random(in: 1...16, using: &rng), padID: pad,
        sortWindow: round % 2 == 0 ? 0 : Int.random(in: 1...50, using: &rng))
      let (blocks, stats) = try pack(samples, config)

      var seen = [Int](repeating: 0, count: count)
      for block in blocks {
        let s = block.sample
        #expect(s.count == capacity)
        #expect(s.boundaries.first == 0 && s.boundaries.last == UInt32(capacity))
        #expect(zip(s.boundaries, s.boundaries.dropFirst()).allSatisfy { $0 < $1 })
        #expect(block.documents == s.boundaries.count - 1)
        let contentEnd = capacity - block.padding
        for d in 0..<(s.boundaries.count - 1) {
          let start = Int(s.boundaries[d])
          let end = d == s.boundaries.count - 2 ? contentEnd : Int(s.boundaries[d + 1])
          let k = Int(s.ids[start]) - 1
          seen[k] += 1
          #expect(end - start == lengths[k], "round \(round): segment holds exactly sample \(k)")
          #expect(s.ids[start..<end].allSatisfy { $0 == UInt32(k + 1) })
          // First-label rule, then the sample's own flags.
          #expect(s.trained[start] == 0)
          #expect(Array(s.trained[(start + 1)..<end]) == Array(makeSample(k, length: lengths[k]).trained.dropFirst()))
        }
        #expect(s.ids[contentEnd...].allSatisfy { $0 == pad })
        #expect(s.trained[contentEnd...].allSatisfy { $0 == 0 })
      }
      #expect(seen.allSatisfy { $0 == 1 }, "round \(round): every sample exactly once")
      #expect(stats.blocks == blocks.count)
      #expect(stats.contentTokens == lengths.reduce(0, +))
      #expect(stats.contentTokens + stats.paddingTokens == blocks.count * capacity)
      #expect(stats.documentsPlaced == count && stats.documentsIn == count)

      let again = try pack(samples, config)
      #expect(again.0 == blocks, "deterministic")
    }
  }

  @Test func bestFitIsMoreEfficientThanFirstFitInOrder() throws {
    var rng = SplitMix(seed: 3)
    let capacity = 2048
    let lengths = (0..<3000).map { _ in Int.random(in: 20...1500, using: &rng) }
    let samples = lengths.enumerated().map { makeSample($0.offset, length: $0.element) }
    let (blocks, stats) = try pack(samples, .init(capacity: capacity, openBlocks: 64, padID: pad))
    let baseline = nextFitBlocks(lengths, capacity: capacity)
    let baselineEfficiency = Double(lengths.reduce(0, +)) / Double(baseline * capacity)
    #expect(blocks.count < baseline)
    #expect(stats.efficiency > baselineEfficiency + 0.05)
    #expect(stats.documentsPerBlock > 2)
  }

  @Test func aSortWindowPacksEachGroupLikeLLaMAFactorysKnapsack() throws {
    var rng = SplitMix(seed: 5)
    let capacity = 2048
    let lengths = (0..<3000).map { _ in Int.random(in: 20...1500, using: &rng) }
    let samples = lengths.enumerated().map { makeSample($0.offset, length: $0.element) }
    let (_, inOrder) = try pack(samples, .init(capacity: capacity, openBlocks: 64, padID: pad))
    let (blocks, sorted) = try pack(samples, .init(capacity: capacity, openBlocks: 64, padID: pad, sortWindow: 1000))
    #expect(sorted.efficiency > inOrder.efficiency)
    #expect(sorted.documentsPlaced == 3000 && sorted.contentTokens == inOrder.contentTokens)
    // As many blocks as LLaMA-Factory's greedy knapsack makes of each batch of 1,000 (its algorithm, on lengths).
    func knapsack(_ batch: ArraySlice<Int>) -> Int {
      var numbers = batch.sorted()
      var packs = 0
      while !numbers.isEmpty {
        var room = capacity
        while let i = numbers.lastIndex(where: { $0 <= room }) { room -= numbers.remove(at: i) }
        packs += 1
      }
      return packs
    }
    #expect(blocks.count == knapsack(lengths[0..<1000]) + knapsack(lengths[1000..<2000]) + knapsack(lengths[2000...]))
    // Knapsack inside a window: the first block starts with the longest of the first 1,000 samples.
    let longest = lengths[0..<1000].max() ?? 0
    #expect(blocks[0].sample.boundaries.count > 2 && Int(blocks[0].sample.boundaries[1]) == longest)
    // A window larger than the input still places everything when the packer finishes.
    let (few, fewStats) = try pack(Array(samples[0..<7]), .init(capacity: capacity, padID: pad, sortWindow: 100))
    #expect(fewStats.documentsPlaced == 7 && !few.isEmpty)
  }

  @Test func oneOpenBlockIsFirstFitInOrder() throws {
    let lengths = [5, 4, 3, 6, 2, 8, 1]
    let samples = lengths.enumerated().map { makeSample($0.offset, length: $0.element) }
    let (blocks, _) = try pack(samples, .init(capacity: 10, openBlocks: 1, padID: pad))
    #expect(blocks.count == nextFitBlocks(lengths, capacity: 10))
    #expect(blocks.map(\.sample.boundaries) == [[0, 5, 10], [0, 3, 10], [0, 2, 10], [0, 10]])
    #expect(blocks.map(\.padding) == [1, 1, 0, 9])
  }

  @Test func oversizeSamplesAreTruncatedOrDropped() throws {
    let samples = [makeSample(0, length: 3), makeSample(1, length: 15), makeSample(2, length: 4)]
    let (cut, cutStats) = try pack(samples, .init(capacity: 10, padID: pad))
    #expect(cutStats.truncated == 1 && cutStats.droppedTokens == 5)
    #expect(cut.contains { $0.sample.ids == [UInt32](repeating: 2, count: 10) && $0.sample.boundaries == [0, 10] })
    let (kept, dropStats) = try pack(samples, .init(capacity: 10, oversize: .drop, padID: pad))
    #expect(dropStats.dropped == 1 && dropStats.droppedTokens == 15)
    #expect(kept.count == 1 && kept[0].sample.boundaries == [0, 3, 10])
  }

  @Test func firstLabelRuleCanBeTurnedOff() throws {
    let s = Sample(ids: [7, 8, 9], trained: [1, 1, 1])
    let (on, _) = try pack([s, s], .init(capacity: 8, padID: pad))
    #expect(on[0].sample.trained == [0, 1, 1, 0, 1, 1, 0, 0])
    let (off, _) = try pack([s, s], .init(capacity: 8, maskFirstLabel: false, padID: pad))
    #expect(off[0].sample.trained == [1, 1, 1, 1, 1, 1, 0, 0])
    #expect(off[0].sample.positionIDs == [0, 1, 2, 0, 1, 2, 3, 4])
  }

  @Test func fitToLengthPadsOrCuts() {
    let s = Sample(ids: [1, 2, 3], trained: [0, 1, 1])
    let padded = fitToLength(s, length: 5, padID: pad)
    #expect(padded.sample == Sample(ids: [1, 2, 3, pad, pad], trained: [0, 1, 1, 0, 0], boundaries: [0, 5]))
    #expect(!padded.truncated)
    let cut = fitToLength(
      Sample(ids: [1, 2, 3, 4], trained: [1, 1, 1, 1], boundaries: [0, 3, 4]), length: 2, padID: pad)
    #expect(cut.sample == Sample(ids: [1, 2], trained: [1, 1], boundaries: [0, 2]))
    #expect(cut.truncated)
  }

  @Test func invalidSettingsAreRefused() {
    #expect(throws: PackError.self) { try SFTPacker(.init(capacity: 0)) }
    #expect(throws: PackError.self) { try SFTPacker(.init(capacity: 8, openBlocks: 0)) }
  }
}

@Suite struct PackerTests {
  @Test func everyModeIsFedTheSameWay() throws {
    let a = Sample(ids: [1, 2, 3], trained: [0, 1, 1])
    let b = Sample(ids: [4, 5, 6, 7, 8], trained: [0, 0, 1, 1, 1])
    var out = [PackedBlock]()

    var none = Packer.passThrough
    none.add(sample: a, into: &out)
    none.finish(into: &out)
    #expect(out.map(\.sample) == [a])
    #expect(none.stats.blocks == 1 && none.stats.contentTokens == 3)

    out = []
    var fixed = try Packer.fixed(length: 4, padID: pad)
    fixed.add(sample: a, into: &out)
    fixed.add(sample: b, into: &out)
    #expect(out.map(\.sample.ids) == [[1, 2, 3, pad], [4, 5, 6, 7]])
    #expect(fixed.stats.truncated == 1 && fixed.stats.paddingTokens == 1 && fixed.stats.droppedTokens == 1)

    out = []
    var sft = Packer.sft(try SFTPacker(.init(capacity: 8, padID: pad)))
    sft.add(sample: a, into: &out)
    sft.add(sample: b, into: &out)
    #expect(out.count == 1)  // exactly full: emitted at once
    sft.finish(into: &out)
    #expect(out.count == 1 && out[0].sample.boundaries == [0, 3, 8] && out[0].padding == 0)
    #expect(sft.stats.documentsPlaced == 2)

    out = []
    var blocks = Packer.pretrain(try PretrainBlocker(.init(blockSize: 3)))
    blocks.add(document: [1, 2], into: &out)
    blocks.add(document: [3, 4, 5, 6, 7], into: &out)
    blocks.finish(into: &out)
    #expect(out.map(\.sample.ids) == [[1, 2, 3], [4, 5, 6]])
    #expect(blocks.stats.blocks == 2 && blocks.stats.droppedTokens == 1)
  }
}
