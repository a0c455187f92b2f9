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
