import PrepCore
import PrepInput
import PrepJSON
import PrepTestSupport
import PrepZstd
import Testing

@Suite struct JSONArrayTests {
  let path = TestPaths.fixture("input/array.json")

  @Test func streamsElementsWithLocations() throws {
    let (seen, chunks) = try readAll([path], InputOptions())
    #expect(seen.map(\.line) == [2, 3, 4, 5, 7, 9, 16])
    #expect(seen[0].text == #"{"text": "a ] b", "tags": ["x", "]", "\"quoted\"", "{"]}"#)
    #expect(seen[2].text == #"{"text": "back\\slash\\", "e": "\\\""}"#)
    #expect(seen[3].text == #""not an object""#)
    #expect(seen[6].text == #"{"text": "中文 ,]}"}"#)
    #expect(checkLocations(seen, in: fileBytes(path)).isEmpty)
    let chunk = chunks[0]
    let outcomes = (0..<chunk.count).map { chunk.parseRecord($0) }
    #expect(outcomes.map { $0.reject?.reason } == [nil, nil, nil, .notAnObject, .malformedJSON, nil, nil])
    #expect(outcomes[1].value?.lookup("m.1.1.0") == .number("4"))
    #expect(outcomes[2].value?["e"] == .string("\\\""))
    #expect(outcomes[5].value?.lookup("n.1") == .number("2"))
  }

  @Test func chunkingAtEverySizeGivesTheSameElements() throws {
    let (reference, _) = try readAll([path], InputOptions())
    let size = fileBytes(path).count
    var boundaries: [Int: [Int]] = [:]
    for block in [1, 3, 16, 1 << 16] {
      for chunkSize in 1...(size + 1) {
        let (seen, chunks) = try readAll([path], InputOptions(chunkSize: chunkSize, readBlockSize: block))
        #expect(seen == reference, "chunk \(chunkSize) block \(block)")
        if chunkSize == 1 { #expect(chunks.count == reference.count) }
        // Boundaries depend on the chunk size only, never on the read block size.
        let counts = chunks.map(\.count)
        if let previous = boundaries[chunkSize] { #expect(previous == counts) }
        boundaries[chunkSize] = counts
      }
    }
  }

  @Test func overLongElementsAreRejectedAndTheRestContinues() throws {
    for block in [1, 5, 4096] {
      let (seen, _) = try readAll([path], InputOptions(maxRecordBytes: 40, readBlockSize: block))
      #expect(seen.map(\.line) == [2, 3, 4, 5, 7, 9, 16])
      #expect(seen.map { $0.reject != nil } == [true, true, false, false, false, true, false], "block \(block)")
      #expect(checkLocations(seen, in: fileBytes(path)).isEmpty)
    }
  }

  @Test func longStringsWithTrickyBytesSplitExactly() throws {
    // Elements with long strings holding quotes, backslashes, brackets and commas at every alignment.
    var elements: [[UInt8]] = []
    let tricky = ["\"", "\\", "]", "[", ",", "}", "{", "\n", "中文", "\\\""]
    for k in 0..<40 {
      var text = String(repeating: "x", count: k)
      text += tricky[k % tricky.count] + String(repeating: "y", count: 17 - k % 9) + tricky[(k * 7) % tricky.count]
      var w = JSONWriter()
      w.write(.object(JSONObject(keys: ["text", "k"], values: [.string(text), .array([.number(String(k))])])))
      elements.append(w.bytes)
    }
    var file = Array("[".utf8)
    for (i, e) in elements.enumerated() {
      if i > 0 { file += Array((i % 3 == 0 ? ",\n  " : ",").utf8) }
      file += e
    }
    file += Array("]\n".utf8)
    let dir = TestPaths.temporaryDirectory("input-array-long")
    writeFile(dir + "/long.json", file)
    for block in [1, 7, 8, 9, 64, 1 << 16] {
      let (seen, _) = try readAll([dir + "/long.json"], InputOptions(chunkSize: 100, readBlockSize: block))
      #expect(seen.map(\.bytes) == elements, "block \(block)")
      #expect(checkLocations(seen, in: file).isEmpty)
    }
  }

  @Test func detectsArraysAndRejectsNonArraysDeclaredAsArrays() throws {
    let dir = TestPaths.temporaryDirectory("input-array")
    writeFile(dir + "/lines.json", Array("{\"a\": 1}\n{\"a\": 2}\n".utf8))
    writeFile(dir + "/bom.json", [0xEF, 0xBB, 0xBF] + Array(" \n[{\"a\": 1}, {\"a\": [2]}]\n".utf8))
    writeFile(dir + "/empty.json", Array(" [ ] ".utf8))
    writeFile(dir + "/truncated.json", Array("[{\"a\": 1}, {\"a\": ".utf8))
    #expect(try readAll([dir + "/lines.json"], InputOptions()).records.map(\.text) == [#"{"a": 1}"#, #"{"a": 2}"#])
    let bom = try readAll([dir + "/bom.json"], InputOptions()).records
    #expect(bom.map(\.text) == [#"{"a": 1}"#, #"{"a": [2]}"#])
    #expect(bom.map(\.offset) == [6, 16])
    #expect(bom.map(\.line) == [2, 2])
    #expect(try readAll([dir + "/empty.json"], InputOptions()).records.isEmpty)
    #expect(try readAll([dir + "/truncated.json"], InputOptions()).records.map(\.text) == [#"{"a": 1}"#, #"{"a":"#])
    #expect(throws: InputError.self) {
      try readAll([dir + "/lines.json"], InputOptions(format: .jsonArray))
    }
  }
}

@Suite struct ZstdInputTests {
  @Test func readsCompressedLinesLikeThePlainFile() throws {
    let plain = TestPaths.fixture("input/messy.jsonl")
    let dir = TestPaths.temporaryDirectory("input-zstd")
    let compressed = try Zstd.compress(fileBytes(plain), level: 3)
    writeFile(dir + "/messy.jsonl.zst", compressed)
    let (reference, _) = try readAll([plain], InputOptions(maxRecordBytes: 64))
    for block in [1, 7, 1 << 16] {
      for chunkSize in [1, 50, 1 << 20] {
        let options = InputOptions(chunkSize: chunkSize, maxRecordBytes: 64, readBlockSize: block)
        let (seen, _) = try readAll([dir + "/messy.jsonl.zst"], options)
        #expect(
          seen.map { Seen(file: plain, line: $0.line, offset: $0.offset, bytes: $0.bytes, reject: $0.reject) }
            == reference)
      }
    }
    let reader = try InputReader(paths: [dir + "/messy.jsonl.zst"])
    #expect(reader.totalBytes == compressed.count)
    while try reader.next() != nil {}
    #expect(reader.bytesConsumed == compressed.count)
  }

  @Test func readsACompressedArray() throws {
    let plain = TestPaths.fixture("input/array.json")
    let dir = TestPaths.temporaryDirectory("input-zstd-array")
    writeFile(dir + "/array.json.zst", try Zstd.compress(fileBytes(plain), level: 3))
    let (reference, _) = try readAll([plain], InputOptions())
    let (seen, _) = try readAll([dir + "/array.json.zst"], InputOptions(readBlockSize: 5))
    #expect(seen.map(\.bytes) == reference.map(\.bytes))
    #expect(seen.map(\.offset) == reference.map(\.offset))
  }

  @Test func corruptStreamsThrow() throws {
    let dir = TestPaths.temporaryDirectory("input-zstd-bad")
    writeFile(dir + "/bad.jsonl.zst", Array("this is not zstd at all".utf8))
    #expect(throws: InputError.self) { try readAll([dir + "/bad.jsonl.zst"], InputOptions()) }
  }
}

@Suite struct XMLInputTests {
  let path = TestPaths.fixture("input/wiki.xml")

  @Test func pagesBecomeJSONObjectRecords() throws {
    for block in [1, 64, 1 << 20] {
      let (seen, chunks) = try readAll([path], InputOptions(readBlockSize: block))
      #expect(seen.count == 5)
      #expect(seen.map(\.line) == [6, 15, 19, 23, 26])
      let bytes = fileBytes(path)
      for s in seen {
        // The offset is that of the record's start tag.
        #expect(bytes[0..<s.offset].filter { $0 == 0x0A }.count == s.line - 1)
        #expect(Array(bytes[s.offset..<(s.offset + 5)]) == Array("<page".utf8))
      }
      var objects: [JSONObject] = []
      for chunk in chunks {
        for i in 0..<chunk.count { objects.append(try #require(chunk.parseRecord(i).value)) }
      }
      #expect(objects[0]["title"] == .string("Alpha & Omega"))
      #expect(objects[0]["text"] == .string("Line one <b> 中文\nLine two \"quoted\" 'single'"))
      #expect(objects[1]["text"] == .string("raw <tags> & stuff tail"))
      #expect(objects[2]["text"] == .string(""))
      #expect(objects[3].keys == ["title"])
      #expect(objects[4]["title"] == .string("中文标题"))
      #expect(objects[4]["text"] == .string("real bold text"))
      #expect(objects[0].keys == ["title", "text"])
    }
  }

  @Test func chunksSplitBetweenPagesAndFieldsAreConfigurable() throws {
    let (seen, chunks) = try readAll([path], InputOptions(chunkSize: 1))
    #expect(chunks.map(\.count) == [1, 1, 1, 1, 1])
    #expect(seen.count == 5)
    let spec = XMLRecordSpec(
      recordElement: "revision",
      fields: [
        .init(key: "body", path: "text"), .init(key: "id", path: "id"), .init(key: "note", path: "comment/text"),
      ])
    let (custom, _) = try readAll([path], InputOptions(xml: spec))
    #expect(
      custom.map(\.text) == [
        #"{"body":"Line one <b> 中文\nLine two \"quoted\" 'single'","id":"1"}"#,
        #"{"body":"raw <tags> & stuff tail"}"#,
        #"{"body":""}"#,
        #"{"body":"real bold text","note":"not this"}"#,
      ])
  }

  @Test func overLongPagesAreRejected() throws {
    let (seen, _) = try readAll([path], InputOptions(maxRecordBytes: 40))
    #expect(seen.map { $0.reject != nil } == [true, false, false, false, false])
  }

  @Test func aDocumentWithoutReadableRecordsFailsWithTheLine() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-bad")
    writeFile(dir + "/bad.xml", Array("<mediawiki>\n<siteinfo>\n<name>x</nam>\n</siteinfo>\n".utf8))
    let reader = try InputReader(paths: [dir + "/bad.xml"])
    do {
      while try reader.next() != nil {}
      Issue.record("malformed XML accepted")
    } catch {
      #expect(error.kind == .xml)
      #expect(error.line == 3)
    }
    writeFile(dir + "/notxml.xml", Array("this is not XML at all\n".utf8))
    #expect(throws: InputError.self) { _ = try readAll([dir + "/notxml.xml"], InputOptions()) }
  }

  /// Broken pages (an invalid character, a tag mismatch, a truncated end) are each reported with their line and
  /// offset, and every good page around them comes through with exactly the bytes a clean file gives, whatever
  /// the read block size and wherever the break falls relative to libxml2's read-ahead.
  @Test(arguments: [7, 512, 1 << 20])
  func brokenPagesAreReportedAndTheOthersComeThrough(_ block: Int) throws {
    let dir = TestPaths.temporaryDirectory("input-xml-resync")
    func page(_ i: Int, _ text: String) -> String {
      "  <mw:page>\n    <title>p\(i)</title>\n    <revision><text>\(text)</text></revision>\n  </mw:page>\n"
    }
    var rng = SplitMix64(seed: 5)
    var good: [(Int, String)] = []
    var broken: Set<Int> = []
    var pages: [String] = []
    for i in 0..<60 {
      let size = Int.random(in: 0...1500, using: &rng)
      let body = String(repeating: "word\(i) ", count: size / 6)
      switch i {
      case 1, 2, 17, 31, 32, 33, 58:
        // broken: an invalid character, a tag mismatch, an unescaped ampersand
        let kind = i % 3
        let bad = kind == 0 ? body + "\u{08}" : kind == 1 ? "<b>" + body + "</i>" : body + " & more"
        pages.append(page(i, bad))
        broken.insert(i)
      default:
        pages.append(page(i, body))
        good.append((i, body))
      }
    }
    let head =
      "<?xml version=\"1.0\"?>\n<mw:mediawiki xmlns:mw=\"urn:x\">\n  <siteinfo><sitename>w</sitename></siteinfo>\n"
    // The last page is cut off in the middle: the file ends inside it.
    let last = page(60, "cut off here")
    let text = head + pages.joined() + String(last.prefix(40))
    writeFile(dir + "/broken.xml", Array(text.utf8))
    let clean = head + good.map { page($0.0, $0.1) }.joined() + "</mw:mediawiki>\n"
    writeFile(dir + "/clean.xml", Array(clean.utf8))
    let spec = XMLRecordSpec(recordElement: "page", fields: XMLRecordSpec.wikipedia.fields)
    let (seen, _) = try readAll([dir + "/broken.xml"], InputOptions(readBlockSize: block, xml: spec))
    let (expected, _) = try readAll([dir + "/clean.xml"], InputOptions(readBlockSize: block, xml: spec))
    #expect(seen.filter { $0.reject == nil }.map(\.bytes) == expected.map(\.bytes))
    let rejected = seen.filter { $0.reject != nil }
    #expect(rejected.allSatisfy { $0.reject == .malformedXML })
    // Each broken page (and the cut-off one) once, at its own start tag.
    let starts = (0...60).map { i -> (line: Int, offset: Int) in
      let before = head + pages.prefix(i).joined()
      return (before.utf8.filter { $0 == 0x0A }.count + 1, before.utf8.count + 2)
    }
    let want = broken.sorted() + [60]
    #expect(rejected.map(\.line) == want.map { starts[$0].line })
    #expect(rejected.map(\.offset) == want.map { starts[$0].offset })
    // In document order.
    #expect(seen.map(\.offset) == seen.map(\.offset).sorted())
  }

  /// A broken record longer than max_line_bytes is not kept in memory for a re-read: it is rejected and reading
  /// goes on at the next record.
  @Test func aBrokenOverLongRecordIsRejectedWithoutBeingKept() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-long")
    let long = String(repeating: "x", count: 20_000)
    let text =
      "<mediawiki>\n<page><title>a</title><revision><text>one</text></revision></page>\n"
      + "<page><title>b</title><revision><text>\(long)\u{0C}\(long)</text></revision></page>\n"
      + "<page><title>c</title><revision><text>three</text></revision></page>\n</mediawiki>\n"
    writeFile(dir + "/long.xml", Array(text.utf8))
    let (seen, _) = try readAll([dir + "/long.xml"], InputOptions(maxRecordBytes: 8_000))
    #expect(seen.map(\.reject) == [nil, .malformedXML, nil])
    #expect(seen.map(\.line) == [2, 3, 4])
    #expect(seen.last?.text == #"{"title":"c","text":"three"}"#)
  }

  @Test func lineNumbersPastSixtyFiveThousand() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-lines")
    var text = "<mediawiki>\n" + String(repeating: "\n", count: 70_000)
    text += "<page><title>far</title></page>\n<page><title>farther</title></page>\n</mediawiki>\n"
    writeFile(dir + "/far.xml", Array(text.utf8))
    for block in [1000, 1 << 20] {
      let (seen, _) = try readAll([dir + "/far.xml"], InputOptions(readBlockSize: block))
      #expect(seen.map(\.text) == [#"{"title":"far"}"#, #"{"title":"farther"}"#])
      #expect(seen.map(\.line) == [70_002, 70_003], "block \(block)")
      #expect(seen.map(\.offset) == [70_012, 70_044], "block \(block)")
    }
  }

  @Test func tagLocationsSkipCommentsCDATAAndPrefixes() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-tags")
    let text = """
      <?xml version="1.0"?><?pi <page> ?>
      <mw:root xmlns:mw="urn:x"><!-- <page> --><mw:page><title><![CDATA[<page>]]></title></mw:page>
      <pages/><mw:page
        id="2"><title>b</title></mw:page></mw:root>
      """
    writeFile(dir + "/tags.xml", Array(text.utf8))
    let (seen, _) = try readAll([dir + "/tags.xml"], InputOptions())
    #expect(seen.map(\.text) == [#"{"title":"<page>"}"#, #"{"title":"b"}"#])
    #expect(seen.map(\.line) == [2, 3])
    #expect(seen.map(\.offset) == [77, 138])
  }

  @Test func readsCompressedXML() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-zstd")
    writeFile(dir + "/wiki.xml.zst", try Zstd.compress(fileBytes(path), level: 3))
    let (plain, _) = try readAll([path], InputOptions())
    let (seen, _) = try readAll([dir + "/wiki.xml.zst"], InputOptions(readBlockSize: 16))
    #expect(seen.map(\.bytes) == plain.map(\.bytes))
  }
}

@Suite struct InputFilesTests {
  @Test func globsExpandInByteOrderPatternByPattern() throws {
    let dir = TestPaths.temporaryDirectory("input-glob")
    for name in ["b.jsonl", "a.jsonl", "c10.jsonl", "c9.jsonl", "B.jsonl", "skip.txt"] {
      writeFile(dir + "/" + name, Array("{\"f\": \"\(name)\"}\n".utf8))
    }
    let files = try expandInputPaths([dir + "/c*.jsonl", dir + "/[ab].jsonl", dir + "/B.jsonl"])
    #expect(
      files.map { String($0.split(separator: "/").last!) } == [
        "c10.jsonl", "c9.jsonl", "a.jsonl", "b.jsonl",
        "B.jsonl",
      ])
    let (seen, chunks) = try readAll([dir + "/*.jsonl"], InputOptions())
    #expect(seen.map(\.text) == ["B", "a", "b", "c10", "c9"].map { "{\"f\": \"\($0).jsonl\"}" })
    #expect(chunks.map(\.index) == [0, 1, 2, 3, 4])
    #expect(chunks.map(\.file) == seen.map(\.file))
    #expect(throws: InputError.self) { try expandInputPaths([dir + "/*.parquet"]) }
    #expect(throws: InputError.self) { try expandInputPaths([dir + "/missing.jsonl"]) }
  }

  @Test func totalBytesAndProgress() throws {
    let paths = [TestPaths.fixture("input/messy.jsonl"), TestPaths.fixture("input/array.json")]
    let reader = try InputReader(paths: paths, options: InputOptions(chunkSize: 1, readBlockSize: 16))
    let total = fileBytes(paths[0]).count + fileBytes(paths[1]).count
    #expect(reader.totalBytes == total)
    var last = 0
    while try reader.next() != nil {
      #expect(reader.bytesConsumed >= last)
      last = reader.bytesConsumed
    }
    #expect(reader.bytesConsumed == total)
  }

  @Test func formatDetectionFromThePath() {
    #expect(InputKind.detect(path: "a/b.jsonl") == InputKind(format: .jsonl, compression: .none))
    #expect(InputKind.detect(path: "b.JSON") == InputKind(format: .json, compression: .none))
    #expect(InputKind.detect(path: "b.jsonl.zst") == InputKind(format: .jsonl, compression: .zstd))
    #expect(InputKind.detect(path: "b.json.zst") == InputKind(format: .json, compression: .zstd))
    #expect(InputKind.detect(path: "enwiki.xml.zst") == InputKind(format: .xml, compression: .zstd))
    #expect(InputKind.detect(path: "dump.xml") == InputKind(format: .xml, compression: .none))
    #expect(InputKind.detect(path: "data.txt") == InputKind(format: .json, compression: .none))
    #expect(InputOptions(format: .jsonl).kind(of: "x.xml.zst") == InputKind(format: .jsonl, compression: .zstd))
    #expect(InputOptions(compression: InputCompression.none).kind(of: "x.jsonl.zst").compression == .none)
  }
}
