import PrepInput
import PrepTemplate
import Testing

@testable import PrepPipeline

/// What a worker hands the coordinator for one chunk.
struct ChunkOutputTests {
  /// Pretraining documents share the chunk's one buffer of ids: each item names its own range of it, in
  /// record order, and the token count is their sum (the engine's pretraining path and `add` alike).
  @Test func documentsNameTheirRangeOfTheChunkBuffer() {
    let chunk = Chunk(index: 0, file: "x.jsonl", bytes: [], records: [], maxRecordBytes: 1 << 20)
    var out = ChunkOutput()
    out.add(.document([1, 2, 3]), record: 0, chunk: chunk)
    out.add(.document([]), record: 1, chunk: chunk)
    out.documentIDs += [4, 5]
    out.addDocument(from: 3, record: 2)
    out.add(.document([6]), record: 3, chunk: chunk)
    #expect(out.documentIDs == [1, 2, 3, 4, 5, 6])
    #expect(out.tokens == 6)
    var ranges: [Range<Int>] = []
    var records: [Int] = []
    for item in out.items {
      guard case .document(let ids, let record) = item else { continue }
      ranges.append(ids)
      records.append(record)
    }
    #expect(ranges == [0..<3, 3..<3, 3..<5, 5..<6])
    #expect(records == [0, 1, 2, 3])
  }
}
