import PrepCore
import PrepInput
import PrepJSON
import PrepTestSupport
import Testing

@Suite struct JSONLinesTests {
  let messy = TestPaths.fixture("input/messy.jsonl")

  @Test func handlesBOMCRLFBlankLinesAndBadLines() throws {
    let (seen, chunks) = try readAll([messy], InputOptions(maxRecordBytes: 64))
    #expect(chunks.count == 1)
    #expect(seen.map(\.line) == [1, 5, 6, 7, 8, 9, 10, 11])
    #expect(seen[0].offset == 3)
    #expect(seen[0].text == #"{"text": "first", "n": 1}"#)
    #expect(seen[5].reject == .lineTooLong)
    #expect(seen[6].text == #"{"text": "after long"}"#)
    #expect(seen[7].text == #"{"text": "last, no newline"}"#)
    #expect(checkLocations(seen, in: fileBytes(messy)).isEmpty)

    let chunk = chunks[0]
    let outcomes = (0..<chunk.count).map { chunk.parseRecord($0) }
    #expect(
      outcomes.map { $0.reject?.reason } == [
        nil, nil, .malformedJSON, .invalidUTF8, .notAnObject, .lineTooLong,
        nil, nil,
      ])
    #expect(outcomes[1].value?["text"] == .string("中文\n"))
    let bad = try #require(outcomes[3].reject)
    #expect(bad.location == SourceLocation(file: messy, line: 7, byteOffset: bad.location.byteOffset))
    #expect(bad.detail.contains("at byte 10 of the record"))
    #expect(outcomes[2].reject?.detail.contains("expected ',' or '}'") == true)
    #expect(outcomes[4].reject?.detail == "expected an object, found list")
    #expect(outcomes[5].reject?.location.line == 9)
    #expect(parseRecord(chunk, 0).value?["n"] == .number("1"))
    #expect(chunk.extractFields(1, ["text"]).value == [.string("中文\n")])
    #expect(chunk.extractFields(3, ["text"]).reject?.reason == .invalidUTF8)
  }

  @Test func withoutALimitTheLongLineIsARecord() throws {
    let (seen, _) = try readAll([messy], InputOptions())
    #expect(seen.count == 8)
    #expect(seen.allSatisfy { $0.reject == nil })
  }

  /// Every chunk size and several read block sizes give the same records with the same locations, and
  /// chunk boundaries depend only on the chunk size.
  @Test func chunkingAtEverySizeGivesTheSameRecords() throws {
    let bytes = fileBytes(messy)
    let (reference, _) = try readAll([messy], InputOptions(maxRecordBytes: 64))
    for block in [1, 2, 3, 5, 8, 64, 1 << 16] {
      var boundaries: [Int: [Int]] = [:]
      for size in 1...(bytes.count + 1) {
        let options = InputOptions(chunkSize: size, maxRecordBytes: 64, readBlockSize: block)
        let (seen, chunks) = try readAll([messy], options)
        #expect(seen == reference, "chunk \(size) block \(block)")
        #expect(chunks.map(\.index) == Array(0..<chunks.count))
        let counts = chunks.map(\.count)
        if let previous = boundaries[size] { #expect(previous == counts) }
        boundaries[size] = counts
        if size == 1 { #expect(counts.allSatisfy { $0 == 1 }) }
      }
    }
  }

  @Test func overLongLinesAreDroppedWhateverTheBlockSize() throws {
    let dir = TestPaths.temporaryDirectory("input-long")
    let path = dir + "/long.jsonl"
    var bytes: [UInt8] = []
    bytes += Array(#"{"a": 1}"#.utf8) + [0x0A]
    bytes += [UInt8](repeating: UInt8(ascii: "z"), count: 5000) + [0x0A]
    bytes += [UInt8](repeating: UInt8(ascii: "y"), count: 300)  // unterminated and too long
    writeFile(path, bytes)
    for block in [1, 7, 100, 4096] {
      let (seen, chunks) = try readAll([path], InputOptions(chunkSize: 1, maxRecordBytes: 100, readBlockSize: block))
      #expect(seen.map(\.reject) == [nil, .lineTooLong, .lineTooLong])
      #expect(seen.map(\.line) == [1, 2, 3])
      #expect(seen.map(\.offset) == [0, 9, 5010])
      #expect(chunks.allSatisfy { $0.bytes.count <= 100 })
    }
  }

  /// `max_line_bytes` counts a line without its line end: the `\r` of CRLF is not part of it.
  @Test func theLineLimitLeavesOutTheLineEnd() throws {
    let dir = TestPaths.temporaryDirectory("input-long-crlf")
    let path = dir + "/crlf.jsonl"
    let ten = #"{"a": 12}"# + " "  // 10 bytes
    let eleven = #"{"a": 123}"# + " "
    writeFile(path, Array((ten + "\n" + ten + "\r\n" + eleven + "\r\n" + ten + "\r").utf8))
    for block in [1, 2, 3, 11, 12, 13, 4096] {
      let (seen, _) = try readAll([path], InputOptions(maxRecordBytes: 10, readBlockSize: block))
      #expect(seen.map(\.reject) == [nil, nil, .lineTooLong, nil], "block \(block)")
      #expect(seen.map(\.line) == [1, 2, 3, 4], "block \(block)")
    }
  }

  @Test func invalidUTF8AnywhereInALineIsInvalidUTF8() throws {
    let dir = TestPaths.temporaryDirectory("input-utf8")
    var bytes: [UInt8] = []
    bytes += Array(#"{"a": 1}"#.utf8) + [0xFF, 0x0A]  // after the value
    bytes += Array(#"{"a" 1, "b": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8) + [0x0A]  // after a syntax error
    bytes += [0xE4, 0xB8, 0x0A]  // a truncated sequence alone
    bytes += Array(#"{"a" 1}"#.utf8) + [0x0A]  // plain malformed
    writeFile(dir + "/utf8.jsonl", bytes)
    let reader = try InputReader(paths: [dir + "/utf8.jsonl"])
    let chunk = try #require(try reader.next())
    let reasons = (0..<chunk.count).map { chunk.parseRecord($0).reject?.reason }
    #expect(reasons == [.invalidUTF8, .invalidUTF8, .invalidUTF8, .malformedJSON])
    #expect(chunk.parseRecord(1).reject?.detail == "invalid UTF-8 at byte 14 of the record")
  }

  /// A lone surrogate escape has no UTF-8 form (HF `tokenizers` and `datasets` refuse it): the record is an
  /// `invalid_utf8` reject, whichever way the workers read it, while a surrogate pair is one character.
  @Test func loneSurrogateEscapesAreInvalidUTF8Rejects() throws {
    let dir = TestPaths.temporaryDirectory("input-surrogates")
    let lines = [#"{"text": "a\ud800b"}"#, #"{"text": "pair \ud83d\ude00"}"#, #"{"text": "\udfff", "n": 1}"#]
    writeFile(dir + "/s.jsonl", Array((lines.joined(separator: "\n") + "\n").utf8))
    let chunk = try #require(try InputReader(paths: [dir + "/s.jsonl"]).next())
    #expect(chunk.parseRecord(0).reject?.reason == .invalidUTF8)
    #expect(chunk.parseRecord(0).reject?.detail.hasPrefix("lone surrogate escape") == true)
    #expect(chunk.parseRecord(1).value?["text"] == .string("pair \u{1F600}"))
    #expect(chunk.extractFields(2, ["n"]).reject?.reason == .invalidUTF8)
    let field = chunk.withStringField(0, "text") { _ in 0 }
    guard case .failure(let reject) = field else {
      Issue.record("a lone surrogate was read")
      return
    }
    #expect(reject.reason == .invalidUTF8)
  }

  /// Records separated by carriage returns alone are one line to a JSON Lines reader; its reject says why and
  /// how to convert the file.
  @Test func carriageReturnLineEndsAreExplained() throws {
    let dir = TestPaths.temporaryDirectory("input-cr")
    writeFile(dir + "/cr.jsonl", Array("{\"text\": \"a\"}\r{\"text\": \"b\"}\r".utf8))
    let chunk = try #require(try InputReader(paths: [dir + "/cr.jsonl"]).next())
    #expect(chunk.count == 1)
    let reject = chunk.parseRecord(0).reject
    #expect(reject?.reason == .malformedJSON)
    #expect(reject?.detail.contains("a carriage return separates it") == true, "\(String(describing: reject))")
  }

  @Test func maxRecordsPerChunkBoundsTheChunks() throws {
    let (seen, chunks) = try readAll([messy], InputOptions(maxRecordsPerChunk: 3))
    #expect(chunks.map(\.count) == [3, 3, 2])
    #expect(seen.count == 8)
  }

  @Test func emptyAndBlankFilesGiveNoChunks() throws {
    let dir = TestPaths.temporaryDirectory("input-empty")
    writeFile(dir + "/empty.jsonl", [])
    writeFile(dir + "/blank.jsonl", Array("\n\r\n  \n".utf8))
    writeFile(dir + "/bom.jsonl", [0xEF, 0xBB, 0xBF])
    let (seen, chunks) = try readAll([dir + "/empty.jsonl", dir + "/blank.jsonl", dir + "/bom.jsonl"], InputOptions())
    #expect(seen.isEmpty)
    #expect(chunks.isEmpty)
  }
}
