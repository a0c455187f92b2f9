import PrepCore
import PrepPack
import Testing

/// The oracle's `blocks`: concatenate, slice every `block`, drop the partial tail.
private func referenceBlocks(_ docs: [[UInt32]], block: Int, batch: Int?) -> [[UInt32]] {
  var out = [[UInt32]]()
  var groups = [[[UInt32]]]()
  if let batch {
    var i = 0
    while i < docs.count {
      groups.append(Array(docs[i..<min(i + batch, docs.count)]))
      i += batch
    }
  } else {
    groups = [docs]
  }
  for group in groups {
    let stream = group.flatMap { $0 }
    var start = 0
    while start + block <= stream.count {
      out.append(Array(stream[start..<(start + block)]))
      start += block
    }
  }
  return out
}

private func randomDocs(_ rng: inout SplitMix, count: Int, maxLength: Int) -> [[UInt32]] {
  (0..<count).map { d in (0..<Int.random(in: 0...maxLength, using: &rng)).map { UInt32(d &* 1000 &+ $0) } }
}

@Suite struct PretrainBlockerTests {
  @Test func blocksEqualConcatenateAndSlice() throws {
    var rng = SplitMix(seed: 7)
    for round in 0..<200 {
      let block = Int.random(in: 1...64, using: &rng)
      let docs = randomDocs(&rng, count: Int.random(in: 0...40, using: &rng), maxLength: 50)
      var blocker = try PretrainBlocker(.init(blockSize: block))
      var out = [PackedBlock]()
      for d in docs { blocker.add(document: d, into: &out) }
      blocker.finish(into: &out)
      let expected = referenceBlocks(docs, block: block, batch: nil)
      #expect(out.map(\.sample.ids) == expected, "round \(round)")
      for b in out {
        #expect(b.sample.trainedCount == block)
        #expect(b.sample.boundaries == [0, UInt32(block)])
        #expect(b.sample.positionIDs == (0..<UInt32(block)).map { $0 })
        #expect(b.padding == 0)
      }
      let total = docs.reduce(0) { $0 + $1.count }
      #expect(blocker.stats.blocks == expected.count)
      #expect(blocker.stats.contentTokens + blocker.stats.droppedTokens == total)
      #expect(blocker.stats.documentsIn == docs.count)
    }
  }

  /// The engine passes a chunk's documents as slices of one buffer (their indices start where they sit in it):
  /// the blocks, document starts and statistics equal those of the same documents as arrays.
  @Test func documentsAsSlicesOfOneBufferGiveTheSameBlocks() throws {
    var rng = SplitMix(seed: 13)
    for round in 0..<200 {
      let block = Int.random(in: 1...64, using: &rng)
      let docs = randomDocs(&rng, count: Int.random(in: 0...40, using: &rng), maxLength: 50)
      let config = PretrainBlocker.Config(
        blockSize: block, resetPositions: round % 3 == 0, finalBlock: round % 2 == 0 ? .drop : .pad,
        seedCompatBatch: round % 5 == 0 ? Int.random(in: 1...7, using: &rng) : nil)
      var fromArrays = try PretrainBlocker(config)
      var fromSlices = try PretrainBlocker(config)
      var arrayBlocks = [PackedBlock]()
      var sliceBlocks = [PackedBlock]()
      // Ids before the first document too, so that no slice starts at index 0.
      var buffer: [UInt32] = [9, 9, 9]
      var ranges = [Range<Int>]()
      for d in docs {
        ranges.append(buffer.count..<(buffer.count + d.count))
        buffer += d
      }
      for (d, range) in zip(docs, ranges) {
        fromArrays.add(document: d, into: &arrayBlocks)
        fromSlices.add(document: buffer[range], into: &sliceBlocks)
      }
      fromArrays.finish(into: &arrayBlocks)
      fromSlices.finish(into: &sliceBlocks)
      #expect(sliceBlocks == arrayBlocks, "round \(round)")
      #expect(fromSlices.stats == fromArrays.stats, "round \(round)")
    }
  }

  @Test func seedCompatDropsTheRemainderOfEveryBatch() throws {
    var rng = SplitMix(seed: 11)
    for _ in 0..<100 {
      let block = Int.random(in: 1...32, using: &rng)
      let batch = Int.random(in: 1...7, using: &rng)
      let docs = randomDocs(&rng, count: Int.random(in: 0...30, using: &rng), maxLength: 20)
      var blocker = try PretrainBlocker(.init(blockSize: block, seedCompatBatch: batch))
      var out = [PackedBlock]()
      for d in docs { blocker.add(document: d, into: &out) }
      blocker.finish(into: &out)
      #expect(out.map(\.sample.ids) == referenceBlocks(docs, block: block, batch: batch))
    }
  }

  @Test func resetPositionsRecordsDocumentStartsAndMasksThem() throws {
    var blocker = try PretrainBlocker(.init(blockSize: 8, resetPositions: true))
    var out = [PackedBlock]()
    for d: [UInt32] in [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 14, 15, 16]] {
      blocker.add(document: d, into: &out)
    }
    blocker.finish(into: &out)
    #expect(out.count == 2)
    #expect(out[0].sample.ids == [1, 2, 3, 4, 5, 6, 7, 8])
    #expect(out[0].sample.boundaries == [0, 3, 8])
    #expect(out[0].sample.trained == [0, 1, 1, 0, 1, 1, 1, 1])
    #expect(out[0].sample.positionIDs == [0, 1, 2, 0, 1, 2, 3, 4])
    #expect(out[0].documents == 2)
    // The second block starts inside document 2 (not a start: trained) and holds the start of document 3.
    #expect(out[1].sample.ids == [9, 10, 11, 12, 13, 14, 15, 16])
    #expect(out[1].sample.boundaries == [0, 2, 8])
    #expect(out[1].sample.trained == [1, 1, 0, 1, 1, 1, 1, 1])
    #expect(out[1].documents == 2)
  }

  @Test func finalBlockCanBePadded() throws {
    var blocker = try PretrainBlocker(.init(blockSize: 4, finalBlock: .pad))
    var out = [PackedBlock]()
    blocker.add(document: [1, 2, 3, 4, 5, 6], into: &out)
    blocker.finish(into: &out)
    #expect(out.map(\.sample.ids) == [[1, 2, 3, 4], [5, 6, pad, pad]])
    #expect(out[1].sample.trained == [1, 1, 0, 0])
    #expect(out[1].padding == 2)
    #expect(out[1].sample.boundaries == [0, 4])
    #expect(blocker.stats.paddingTokens == 2 && blocker.stats.contentTokens == 6 && blocker.stats.droppedTokens == 0)
  }

  @Test func invalidSettingsAreRefused() {
    #expect(throws: PackError.self) { try PretrainBlocker(.init(blockSize: 0)) }
    #expect(throws: PackError.self) { try PretrainBlocker(.init(seedCompatBatch: 0)) }
  }
}
