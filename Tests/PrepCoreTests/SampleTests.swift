import PrepCore
import Testing

@Test func labelsAreIdsWhereTrainedAndMinus100Elsewhere() {
  let s = Sample(ids: [5, 6, 7], trained: [0, 1, 1])
  #expect(s.labels == [-100, 6, 7])
  #expect(s.trainedCount == 2)
  #expect(s.boundaries == [0, 3])
  #expect(!s.isPacked)
}

@Test func positionIDsRestartAtEachDocument() {
  let s = Sample(ids: [1, 2, 3, 4, 5], trained: [1, 1, 1, 1, 1], boundaries: [0, 2, 5])
  #expect(s.positionIDs == [0, 1, 0, 1, 2])
  #expect(s.isPacked)
}

@Test func trainedCountCountsEveryNonzeroFlagAtAnyLengthAndAlignment() {
  // Flags other than 0 and 1 (a hand-made sample) count as trained, as `labels` treats them.
  var generator = SplitMix64(seed: 7)
  for length in Array(0..<40) + [2040, 2048, 2049, 4100] {
    for _ in 0..<8 {
      let flags = (0..<length).map { _ -> UInt8 in
        switch generator.next() % 5 {
        case 0, 1: return 0
        case 2: return 1
        case 3: return 0x80
        default: return UInt8(truncatingIfNeeded: generator.next())
        }
      }
      let sample = Sample(ids: [UInt32](repeating: 9, count: length), trained: flags)
      #expect(sample.trainedCount == flags.filter { $0 != 0 }.count, "\(flags)")
      #expect(sample.trainedCount == sample.labels.filter { $0 != -100 }.count)
    }
  }
}

@Test func validUTF8ChecksWhatItIsNotToldIsChecked() {
  let good: [UInt8] = Array("héllo 中文 😀".utf8)
  let bad: [[UInt8]] = [[0x61, 0xE4, 0x61], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]]
  good.withUnsafeBufferPointer { #expect(ValidUTF8(checking: $0)?.bytes.count == good.count) }
  for bytes in bad {
    bytes.withUnsafeBufferPointer { #expect(ValidUTF8(checking: $0) == nil, "\(bytes)") }
  }
  [UInt8]().withUnsafeBufferPointer { #expect(ValidUTF8(checking: $0)?.bytes.count == 0) }
}
