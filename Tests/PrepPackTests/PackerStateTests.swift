import PrepCore
import PrepPack
import Testing

/// A random sample of 1...maxLength tokens, sometimes of several documents, with a random mask.
private func randomSample(_ rng: inout SplitMix, maxLength: Int) -> Sample {
  let n = Int.random(in: 1...maxLength, using: &rng)
  let ids = (0..<n).map { _ in UInt32.random(in: 0..<151_000, using: &rng) }
  let trained = (0..<n).map { _ in UInt8.random(in: 0...1, using: &rng) }
  var boundaries: [UInt32] = [0]
  if n > 4 && Bool.random(using: &rng) { boundaries.append(UInt32(n / 2)) }
  boundaries.append(UInt32(n))
  return Sample(ids: ids, trained: trained, boundaries: boundaries)
}

/// Packs `samples`, stopping after `cut` of them to write the packer's state and go on with a new packer restored
/// from it (nil: never stops). Returns the blocks and the final statistics.
private func pack(_ samples: [Sample], _ make: () throws -> Packer, cut: Int?) throws -> ([PackedBlock], PackStats) {
  var packer = try make()
  var out = [PackedBlock]()
  for (i, s) in samples.enumerated() {
    if i == cut {
      var w = StateWriter()
      packer.encodeState(into: &w)
      packer = try make()
      var r = StateReader(w.bytes)
      try packer.restoreState(from: &r)
      #expect(r.atEnd)
    }
    packer.add(sample: s, into: &out)
  }
  packer.finish(into: &out)
  return (out, packer.stats)
}

/// Every packing mode, restored from its state at any point, packs exactly as a packer that never stopped.
@Test(arguments: [
  "none", "pad", "best_fit", "best_fit_few_open", "best_fit_sorted", "blocks", "blocks_reset_pad", "blocks_seed_compat",
])
func aRestoredPackerPacksExactlyAsAnUninterruptedOne(_ mode: String) throws {
  let make: () throws -> Packer = {
    switch mode {
    case "none": return .passThrough
    case "pad": return try .fixed(length: 300)
    case "best_fit": return .sft(try SFTPacker(SFTPacker.Config(capacity: 512)))
    case "best_fit_few_open": return .sft(try SFTPacker(SFTPacker.Config(capacity: 700, openBlocks: 3)))
    case "best_fit_sorted": return .sft(try SFTPacker(SFTPacker.Config(capacity: 600, openBlocks: 8, sortWindow: 17)))
    case "blocks": return .pretrain(try PretrainBlocker(PretrainBlocker.Config(blockSize: 256)))
    case "blocks_reset_pad":
      return .pretrain(
        try PretrainBlocker(PretrainBlocker.Config(blockSize: 256, resetPositions: true, finalBlock: .pad)))
    default: return .pretrain(try PretrainBlocker(PretrainBlocker.Config(blockSize: 128, seedCompatBatch: 7)))
    }
  }
  var rng = SplitMix(seed: 99)
  let samples = (0..<120).map { _ in randomSample(&rng, maxLength: 400) }
  let (expected, expectedStats) = try pack(samples, make, cut: nil)
  #expect(!expected.isEmpty)
  for cut in [0, 1, 13, 59, 119] {
    let (blocks, stats) = try pack(samples, make, cut: cut)
    #expect(blocks == expected, "\(mode), cut after \(cut) samples")
    #expect(stats == expectedStats, "\(mode), cut after \(cut) samples")
  }
}

/// A state written by one kind of packing is refused by another.
@Test func aStateOfAnotherPackingIsRefused() throws {
  var w = StateWriter()
  Packer.passThrough.encodeState(into: &w)
  var packer = Packer.sft(try SFTPacker(SFTPacker.Config(capacity: 64)))
  var r = StateReader(w.bytes)
  #expect(throws: StateDecodingError.self) { try packer.restoreState(from: &r) }
}
