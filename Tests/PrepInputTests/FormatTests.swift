import Dispatch
import PrepCore
import PrepDecompress
import PrepJSON
import PrepTestSupport
import PrepZstd
import Testing

@testable import PrepInput

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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

  /// A `.jsonl` (or `.ndjson`) file that holds a JSON array is read as one, as the oracle's `records()` and HF
  /// `datasets` read it (no line of it could be a record), also when split for a partition; one that does not
  /// start with `[` stays JSON lines.
  @Test func aJSONLinesFileHoldingAnArrayIsReadAsOne() throws {
    let dir = TestPaths.temporaryDirectory("input-array-jsonl")
    let arrayText = "\n  [{\"a\": 1},\n{\"a\": 2}\n]\n"
    for name in ["a.jsonl", "a.ndjson", "a.json"] {
      writeFile(dir + "/" + name, Array(arrayText.utf8))
      let (seen, _) = try readAll([dir + "/" + name], InputOptions())
      #expect(seen.map(\.text) == [#"{"a": 1}"#, #"{"a": 2}"#], "\(name)")
      #expect(seen.map(\.line) == [2, 3], "\(name)")
      #expect(try !InputReader.canSplitBetweenLines(dir + "/" + name, options: InputOptions()))
    }
    writeFile(dir + "/lines.jsonl", Array("{\"a\": 1}\n[1]\n".utf8))
    let (lines, _) = try readAll([dir + "/lines.jsonl"], InputOptions())
    #expect(lines.map(\.text) == [#"{"a": 1}"#, "[1]"])
    #expect(try InputReader.canSplitBetweenLines(dir + "/lines.jsonl", options: InputOptions()))
  }

  /// A file that ends inside the array (a cut-off download) keeps every element before the cut, and the
  /// missing ']' is a `malformed_json` reject at the end of the file, wherever the cut falls: before the first
  /// element, right after an element or its comma, inside an element (which is rejected too), before the ']'.
  @Test func anArrayLeftOpenIsRejectedAtTheEnd() throws {
    let bytes = fileBytes(path)
    let dir = TestPaths.temporaryDirectory("input-array-cut")
    func offset(of text: String, from: Int = 0) -> Int {
      let needle = Array(text.utf8)
      return (from...(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle }!
    }
    let afterFirst = offset(of: "]},") + 2
    let cuts: [(cut: Int, elements: Int)] = [
      (2, 0), (afterFirst, 1), (afterFirst + 1, 1), (afterFirst + 12, 2), (bytes.count - 2, 7),
    ]
    for (cut, elements) in cuts {
      let file = dir + "/cut-\(cut).json"
      writeFile(file, Array(bytes[0..<cut]))
      for block in [1, 5, 1 << 16] {
        let (seen, chunks) = try readAll([file], InputOptions(readBlockSize: block))
        #expect(seen.count == elements + 1, "cut \(cut)")
        guard let last = seen.last, let chunk = chunks.last else { continue }
        #expect(last.reject == .malformedJSON)
        #expect(last.offset == cut)
        #expect(last.line == bytes[0..<cut].filter { $0 == 0x0A }.count + 1)
        #expect(chunk.readerReject(chunk.count - 1)?.detail.contains("before its closing ']'") == true)
        #expect(seen.dropLast().allSatisfy { $0.reject == nil })
      }
    }
    let (whole, _) = try readAll([path], InputOptions())
    #expect(whole.allSatisfy { $0.reject == nil })
    // Junk after a closed array is a malformed element, not a cut.
    writeFile(dir + "/junk.json", Array("[{\"a\": 1}] x\n".utf8))
    let (junk, junkChunks) = try readAll([dir + "/junk.json"], InputOptions())
    #expect(junk.map(\.text) == [#"{"a": 1}"#, "x"])
    #expect(junk.allSatisfy { $0.reject == nil })
    #expect(junkChunks[0].parseRecord(1).reject?.reason == .malformedJSON)
    #expect(junkChunks[0].parseRecord(1).reject?.detail.contains("after the JSON array's closing ']'") == true)
  }

  /// What Python's json refuses in an array is rejected, each good element still read: a trailing comma and two
  /// commas in a row are empty elements; a second array after the first (`cat a.json b.json`) is data after the
  /// array, not a list where an object should be.
  @Test func emptyElementsAndASecondArrayAreRejectedWithTheirReason() throws {
    let dir = TestPaths.temporaryDirectory("input-array-edges")
    let cases: [(String, [String?], String)] = [
      (#"[{"a": 1}, {"a": 2},]"#, [nil, nil, "an empty element"], "trailing comma"),
      (#"[{"a": 1},, {"a": 2}]"#, [nil, "an empty element", nil], "two commas"),
      (#"[{"a": 1}][{"a": 2}]"#, [nil, "after the JSON array's closing ']'"], "two arrays"),
      ("[ ]", [], "empty array"),
    ]
    for (text, expected, name) in cases {
      writeFile(dir + "/a.json", Array((text + "\n").utf8))
      for block in [1, 1 << 16] {
        let (_, chunks) = try readAll([dir + "/a.json"], InputOptions(readBlockSize: block))
        let details = chunks.flatMap { chunk in (0..<chunk.count).map { chunk.parseRecord($0).reject?.detail } }
        #expect(details.count == expected.count, "\(name), block \(block)")
        for (detail, want) in zip(details, expected) {
          if let want {
            #expect(detail?.contains(want) == true, "\(name): \(detail ?? "read")")
          } else {
            #expect(detail == nil, "\(name): \(detail ?? "")")
          }
        }
      }
    }
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
    let truncated = try readAll([dir + "/truncated.json"], InputOptions()).records
    #expect(truncated.prefix(2).map(\.text) == [#"{"a": 1}"#, #"{"a":"#])
    #expect(truncated.map(\.reject) == [nil, nil, .malformedJSON])
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

  /// Bytes that are not zstd at all, and bytes after the last whole frame (garbage, zero padding), stop the read
  /// with a message that says which, and where.
  @Test func corruptStreamsThrow() throws {
    let dir = TestPaths.temporaryDirectory("input-zstd-bad")
    let frame = try Zstd.compress(Array(#"{"text": "hello"}"#.utf8) + [0x0A], level: 3)
    for (name, bytes, expected) in [
      ("bad", Array("this is not zstd at all".utf8), "it is not zstd data"),
      ("junk", frame + Array("garbage!".utf8), "holds something else (at byte \(frame.count)) after its zstd data"),
      ("zeros", frame + [UInt8](repeating: 0, count: 16), "holds something else (at byte \(frame.count))"),
    ] {
      writeFile(dir + "/\(name).jsonl.zst", bytes)
      for block in [3, 1 << 16] {
        let error = #expect(throws: InputError.self) {
          try readAll([dir + "/\(name).jsonl.zst"], InputOptions(readBlockSize: block))
        }
        #expect(error?.kind == .zstd)
        #expect(error?.message.contains(expected) == true, "\(name): \(String(describing: error))")
      }
    }
  }

  /// A stream cut short (an interrupted download) is an error naming the file, wherever the cut falls
  /// inside a frame and however the file is read in blocks; whole frames, one or several, are not.
  @Test func truncatedStreamsThrow() throws {
    let dir = TestPaths.temporaryDirectory("input-zstd-truncated")
    var plain: [UInt8] = []
    for i in 0..<3000 { plain += Array(#"{"text": "record \#(i) of a file cut short, 文本 \#(i * 7)"}"#.utf8) + [0x0A] }
    let first = try Zstd.compress(Array(plain[0..<60_000]), level: 3)
    let second = try Zstd.compress(Array(plain[60_000...]), level: 3)
    let whole = first + second
    // Both frames, and the first alone (a cut between frames cannot be told from a shorter file).
    for (name, bytes, records) in [("two", whole, 3000), ("one", first, nil)] {
      writeFile(dir + "/\(name).jsonl.zst", bytes)
      let (seen, _) = try readAll([dir + "/\(name).jsonl.zst"], InputOptions(readBlockSize: 4096))
      if let records { #expect(seen.count == records) }
      #expect(seen.allSatisfy { $0.reject == nil })
    }
    for cut in [1, 5, 17, first.count / 2, first.count - 1, first.count + 9, whole.count - 1] {
      let path = dir + "/cut-\(cut).jsonl.zst"
      writeFile(path, Array(whole[0..<cut]))
      for block in [7, 4096, 1 << 20] {
        do {
          _ = try readAll([path], InputOptions(readBlockSize: block))
          Issue.record("a stream cut at byte \(cut) of \(whole.count) was read without an error (block \(block))")
        } catch let error as InputError {
          #expect(error.kind == .zstd)
          #expect(error.file == path)
          if cut > 4 { #expect(error.message.contains("ends inside a zstd frame")) }
        }
      }
    }
  }

  /// The decoder says whether the bytes fed so far end inside a frame, whatever pieces they came in.
  @Test func decoderTellsAnOpenFrame() throws {
    let frame = try Zstd.compress(Array(repeating: 0x61, count: 500_000) + Array("end".utf8), level: 1)
    for piece in [1, 3, 1000, frame.count] {
      let decoder = try StreamDecoder(.zstd)
      var out: [UInt8] = []
      var at = 0
      while at < frame.count {
        let end = min(at + piece, frame.count)
        let bytes = Array(frame[at..<end])
        var used = 0
        while try decoder.decode(bytes, at: &used, appendingTo: &out, limit: 1 << 16) {}
        #expect(used == bytes.count)
        at = end
        #expect(decoder.insideUnit == (at < frame.count))
      }
      #expect(out.count == 500_003)
    }
  }
}

/// Files prep cannot read as UTF-8 JSON text are refused by their first bytes, naming the file and what to do,
/// instead of turning every line into an `invalid_utf8` reject.
@Suite struct UnsupportedInputTests {
  @Test func compressedFilesUnderPlainNamesAndUTF16FilesAreRefused() throws {
    let dir = TestPaths.temporaryDirectory("input-unsupported")
    let text = Array(#"{"text": "ok"}"#.utf8) + [0x0A]
    let utf16 = [UInt8]([0xFF, 0xFE]) + text.flatMap { [$0, 0] }
    let utf16BE = [UInt8]([0xFE, 0xFF]) + text.flatMap { [0, $0] }
    let utf32 = [UInt8]([0xFF, 0xFE, 0, 0]) + text.flatMap { [$0, 0, 0, 0] }
    let gzip = fileBytes(TestPaths.fixture("input/compressed/messy.jsonl.gz"))
    let cases: [(String, [UInt8], String)] = [
      (
        "a.jsonl", gzip,
        "gzip-compressed, but its name does not end in .gz, so it was read as plain text: rename it (a.jsonl.gz)"
      ),
      ("b.jsonl", fileBytes(TestPaths.fixture("input/compressed/messy.jsonl.bz2")), "rename it (b.jsonl.bz2)"),
      ("c.json", fileBytes(TestPaths.fixture("input/compressed/messy.jsonl.xz")), "rename it (c.json.xz)"),
      ("d.jsonl", try Zstd.compress(text, level: 3), "rename it (d.jsonl.zst)"),
      ("e.jsonl", utf16, "`iconv -f UTF-16 -t UTF-8 e.jsonl > e.utf8.jsonl`"),
      ("f.json", utf16BE, "`iconv -f UTF-16 -t UTF-8 f.json > f.utf8.json`"),
      ("g.jsonl", utf32, "`iconv -f UTF-32 -t UTF-8 g.jsonl > g.utf8.jsonl`"),
      // Without a byte order mark (what iconv -t UTF-16LE writes): told by the zero bytes of the first character.
      ("j.jsonl", text.flatMap { [$0, 0] }, "`iconv -f UTF-16LE -t UTF-8 j.jsonl > j.utf8.jsonl`"),
      ("k.jsonl", text.flatMap { [0, $0] }, "`iconv -f UTF-16BE -t UTF-8 k.jsonl > k.utf8.jsonl`"),
      ("l.json", text.flatMap { [$0, 0, 0, 0] }, "`iconv -f UTF-32LE -t UTF-8 l.json > l.utf8.json`"),
      ("m.jsonl", text.flatMap { [0, 0, 0, $0] }, "`iconv -f UTF-32BE -t UTF-8 m.jsonl > m.utf8.jsonl`"),
      // Inside a compressed file: the advice decompresses the outer layer first.
      (
        "h.jsonl.zst", try Zstd.compress(gzip, level: 3),
        "its zstd data holds gzip-compressed data (compressed twice): decompress it once, for example "
          + "`zstd -dc h.jsonl.zst | gzip -dc > h.jsonl`"
      ),
      (
        "i.json.zst", try Zstd.compress(utf16, level: 3),
        "`zstd -dc i.json.zst | iconv -f UTF-16 -t UTF-8 > i.utf8.json`"
      ),
    ]
    for (name, bytes, advice) in cases {
      writeFile(dir + "/" + name, bytes)
      for block in [1, 1 << 16] {
        do {
          _ = try readAll([dir + "/" + name], InputOptions(readBlockSize: block))
          Issue.record("\(name) was read")
        } catch let error as InputError {
          #expect(error.kind == .unsupportedFormat)
          #expect(error.file == dir + "/" + name)
          #expect(error.message.contains(advice), "\(error.message)")
        }
      }
    }
  }

  /// A bzip2 XML dump (Wikipedia's own format) is read as the plain dump is, and one that is not bzip2 inside
  /// stops with an error; UTF-16 XML is read: libxml2 decodes it (the records' texts are the UTF-8 file's).
  @Test func xmlDumps() throws {
    let dir = TestPaths.temporaryDirectory("input-unsupported-xml")
    let xml = fileBytes(TestPaths.fixture("input/wiki.xml"))
    let (plain, _) = try readAll([TestPaths.fixture("input/wiki.xml")], InputOptions())
    let (monkeyPlain, _) = try readAll([TestPaths.fixture("monkey/wiki.xml")], InputOptions())
    for block in [5, 1 << 16] {
      let (bz2, _) = try readAll([TestPaths.fixture("monkey/wiki.xml.bz2")], InputOptions(readBlockSize: block))
      #expect(bz2.map(\.text) == monkeyPlain.map(\.text))
      #expect(bz2.count == 12)
    }
    writeFile(dir + "/dump.xml.bz2", Array("BZh91AY&SY".utf8) + xml)
    do {
      _ = try readAll([dir + "/dump.xml.bz2"], InputOptions(format: .xml))
      Issue.record("a bzip2 XML dump that is not bzip2 data was read")
    } catch let error as InputError {
      #expect(error.kind == .decompress)
      #expect(error.message.contains("corrupt"), "\(error.message)")
    }
    let utf16 =
      [UInt8]([0xFF, 0xFE])
      + String(decoding: xml, as: UTF8.self).utf16.flatMap {
        [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]
      }
    writeFile(dir + "/dump16.xml", utf16)
    let (wide, _) = try readAll([dir + "/dump16.xml"], InputOptions())
    #expect(wide.map(\.text) == plain.map(\.text))
    #expect(wide.count == 5)
  }

  /// A pipe (`--set input=/dev/stdin`) has no start to look at again: it is read as a stream, and its first
  /// bytes are still checked as they arrive.
  @Test func pipesAreReadAndChecked() throws {
    let dir = TestPaths.temporaryDirectory("input-fifo")
    for (name, bytes, records) in [
      ("text", Array("{\"text\": \"a\"}\n{\"text\": \"b\"}\n".utf8), 2), ("gzip", [0x1F, 0x8B, 0x08, 0x00, 0x0A], -1),
    ] {
      let path = dir + "/" + name + ".jsonl"
      #expect(mkfifo(path, 0o600) == 0)
      DispatchQueue.global().async {
        let fd = open(path, O_WRONLY)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
      }
      do {
        let (seen, _) = try readAll([path], InputOptions())
        #expect(seen.count == records)
      } catch let error as InputError {
        #expect(records < 0 && error.kind == .unsupportedFormat, "\(error)")
      }
    }
  }

  /// Text that only looks like a signature's start is read as usual: a first line "BZh9..." without bzip2's
  /// block magic is an ordinary malformed record, a UTF-8 byte order mark is skipped, short files are fine.
  @Test func lookalikesAreReadAsText() throws {
    let dir = TestPaths.temporaryDirectory("input-lookalikes")
    writeFile(dir + "/bz.jsonl", Array("BZh9 not json\n{\"text\": \"ok\"}\n".utf8))
    writeFile(dir + "/bom.jsonl", [0xEF, 0xBB, 0xBF] + Array("{\"text\": \"ok\"}\n".utf8))
    writeFile(dir + "/short.jsonl", Array("{}\n".utf8))
    let (bz, bzChunks) = try readAll([dir + "/bz.jsonl"], InputOptions(readBlockSize: 3))
    #expect(bz.map(\.line) == [1, 2])
    #expect(bzChunks[0].parseRecord(0).reject?.reason == .malformedJSON)
    #expect(bzChunks[0].parseRecord(1).value != nil)
    let (bom, _) = try readAll([dir + "/bom.jsonl"], InputOptions(readBlockSize: 2))
    #expect(bom.map(\.text) == [#"{"text": "ok"}"#])
    let (short, _) = try readAll([dir + "/short.jsonl"], InputOptions())
    #expect(short.map(\.text) == ["{}"])
  }
}

/// The offsets just past each `</page>` in `bytes`.
private func pageEnds(_ bytes: [UInt8]) -> [Int] {
  let tag = Array("</page>".utf8)
  return (tag.count...bytes.count).filter { Array(bytes[($0 - tag.count)..<$0]) == tag }
}

@Suite struct XMLInputTests {
  let path = TestPaths.fixture("input/wiki.xml")

  /// XML ends every line with \n before it is parsed, inside CDATA sections too (libxml2 normalizes only text).
  @Test func lineEndsInCDATAAreNormalizedAsInText() throws {
    let dir = TestPaths.temporaryDirectory("input-xml-cdata")
    let xml =
      "<mediawiki><page><title>t</title><revision><text><![CDATA[a\r\nb\rc]]> d\r\ne\rf</text></revision></page>"
      + "</mediawiki>\n"
    writeFile(dir + "/cdata.xml", Array(xml.utf8))
    let (_, chunks) = try readAll([dir + "/cdata.xml"], InputOptions())
    #expect(try #require(chunks.first?.parseRecord(0).value)["text"] == .string("a\nb\nc d\ne\nf"))
  }

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
    writeFile(dir + "/empty.xml", [])
    let empty = #expect(throws: InputError.self) { _ = try readAll([dir + "/empty.xml"], InputOptions()) }
    #expect(empty?.message == "the file is empty: it holds no XML document")
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

  /// A dump cut off right after a record's end tag parses without an error (libxml2's reader closes the open
  /// elements itself): every record before the cut comes through, then a `malformed_xml` reject at the end of the
  /// file says it may be truncated. A whole file, with comments, processing instructions and blank lines after its
  /// document element, gives no such reject.
  @Test(arguments: [5, 512, 1 << 20])
  func aDumpCutAfterARecordIsReported(_ block: Int) throws {
    let dir = TestPaths.temporaryDirectory("input-xml-cut")
    let bytes = fileBytes(path)
    let (whole, _) = try readAll([path], InputOptions(readBlockSize: block))
    #expect(whole.allSatisfy { $0.reject == nil })
    let cuts = pageEnds(bytes)
    #expect(cuts.count == 5)
    for (k, at) in cuts.enumerated() {
      for tail in ["", "\n", "\n  "] {
        let cut = Array(bytes[0..<at]) + Array(tail.utf8)
        writeFile(dir + "/cut.xml", cut)
        let (seen, _) = try readAll([dir + "/cut.xml"], InputOptions(readBlockSize: block))
        #expect(seen.dropLast().map(\.bytes) == whole.prefix(k + 1).map(\.bytes), "cut \(k) \(block)")
        let last = try #require(seen.last)
        #expect(last.reject == .malformedXML, "cut \(k) tail \(tail.utf8.count) block \(block)")
        #expect(
          last.text == "the file ends after </page>, before the document's end tag </mediawiki>: it may be truncated")
        #expect(last.offset == cut.count)
        #expect(last.line == cut.filter { $0 == 0x0A }.count + 1)
      }
    }
    writeFile(dir + "/tail.xml", bytes + Array("\n<!-- end -->\n<?done?>\n\n".utf8))
    let (tailed, _) = try readAll([dir + "/tail.xml"], InputOptions(readBlockSize: block))
    #expect(tailed.map(\.bytes) == whole.map(\.bytes))
  }

  /// Text after the document element, or a second document after the first (`cat a.xml b.xml`), is one
  /// `malformed_xml` reject placed right after the last record before it; every page of both documents comes
  /// through, the one just before the error included.
  @Test(arguments: [7, 1 << 20])
  func textAfterTheDocumentIsReportedAndNoPageIsLost(_ block: Int) throws {
    let dir = TestPaths.temporaryDirectory("input-xml-after")
    let bytes = fileBytes(path)
    let (whole, _) = try readAll([path], InputOptions(readBlockSize: block))
    let afterLastPage = try #require(pageEnds(bytes).last)
    let linesBefore = bytes[0..<afterLastPage].filter { $0 == 0x0A }.count
    for (name, extra) in [("junk", Array("trailing junk\n".utf8)), ("twice", bytes)] {
      writeFile(dir + "/\(name).xml", bytes + extra)
      let (seen, _) = try readAll([dir + "/\(name).xml"], InputOptions(readBlockSize: block))
      let rejected = seen.filter { $0.reject != nil }
      #expect(rejected.count == 1, "\(name)")
      #expect(rejected.first?.reject == .malformedXML)
      #expect(rejected.first?.offset == afterLastPage, "\(name)")
      #expect(rejected.first?.line == linesBefore + 1, "\(name)")
      let expected = name == "twice" ? whole + whole : whole
      #expect(seen.filter { $0.reject == nil }.map(\.bytes) == expected.map(\.bytes), "\(name)")
    }
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
    // A name with glob characters in it that match nothing is the file of that name.
    writeFile(dir + "/data[1].jsonl", Array("{}\n".utf8))
    #expect(try expandInputPaths([dir + "/data[1].jsonl"]) == [dir + "/data[1].jsonl"])
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
