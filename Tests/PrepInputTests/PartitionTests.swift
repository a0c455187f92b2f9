import PrepCore
import PrepInput
import PrepTestSupport
import PrepZstd
import Testing

/// Reads slice `partition` of the inputs; checks that progress ends at the slice's byte share.
private func readSlice(_ paths: [String], _ options: InputOptions, _ partition: InputPartition) throws -> [Seen] {
  let seen = try readAll(paths, options, partition: partition).records
  let reader = try InputReader(paths: paths, options: options, partition: partition)
  while try reader.next() != nil {}
  #expect(reader.bytesConsumed == reader.totalBytes, "progress of slice \(partition)")
  return seen
}

@Suite struct PartitionTests {
  @Test func parsesSlicesAndDirectoryNames() throws {
    #expect(InputPartition(parsing: "3/8") == InputPartition(index: 3, count: 8))
    for bad in ["8/8", "-1/4", "1/0", "1", "1/2/3", "a/b", "", "/4", "2/"] {
      #expect(InputPartition(parsing: bad) == nil, "\(bad)")
    }
    let p = try #require(InputPartition(index: 3, count: 8))
    #expect(p.directoryName == "part-00003-of-00008")
    #expect(InputPartition.parse(directoryName: "part-00003-of-00008") == p)
    #expect(InputPartition.directoryName(index: 123_456, count: 200_000) == "part-123456-of-200000")
    for bad in ["part-3-of-8", "part-00003-of-00008x", "part-00008-of-00008", "shard-00000.bin", "part--of-"] {
      #expect(InputPartition.parse(directoryName: bad) == nil, "\(bad)")
    }
  }

  /// However many slices, the slices read in order give exactly the records of one reader, with the same
  /// files, lines, byte offsets, bytes and reader rejects: every file kind, a BOM, CRLF, blank lines, an
  /// over-long line, a last line without a newline, empty files, and slices that start in the middle of a
  /// line or exactly at a line start.
  @Test func slicesTogetherReadEveryRecordOnceInOrder() throws {
    let dir = TestPaths.temporaryDirectory("input-partition")
    var generator = SplitMix64(seed: 11)
    func lines(_ count: Int, tag: String) -> [UInt8] {
      var out: [UInt8] = []
      for k in 0..<count {
        let length = Int(generator.next() % 40)
        let filler = String(repeating: "é", count: length / 2) + String(repeating: "x", count: length)
        out += Array(#"{"text": "\#(tag) \#(k) \#(filler)"}"#.utf8)
        switch generator.next() % 6 {
        case 0: out += [0x0D, 0x0A]
        case 1: out += [0x0A, 0x20, 0x0A]  // a blank line after it
        default: out.append(0x0A)
        }
      }
      return out
    }
    var withBOM: [UInt8] = [0xEF, 0xBB, 0xBF]
    withBOM += lines(30, tag: "bom")
    var longLine = lines(10, tag: "long")
    longLine += Array(#"{"text": "\#(String(repeating: "y", count: 300))"}"#.utf8) + [0x0A]
    longLine += lines(10, tag: "after") + Array(#"{"text": "no newline"}"#.utf8)
    writeFile(dir + "/a.jsonl", withBOM)
    writeFile(dir + "/b.jsonl", [])
    writeFile(dir + "/c.jsonl", longLine)
    writeFile(dir + "/d.json", Array("  \n".utf8) + lines(25, tag: "sniffed lines"))
    writeFile(dir + "/e.json", Array(#"[{"text": "array 1"}, {"text": "array 2"}, {"text": "3"}]"#.utf8))
    writeFile(dir + "/f.jsonl.zst", try Zstd.compress(lines(20, tag: "zst"), level: 3))
    writeFile(dir + "/g.jsonl", Array("\n\n".utf8))
    writeFile(dir + "/h.jsonl", lines(40, tag: "last"))
    let paths = ["a.jsonl", "b.jsonl", "c.jsonl", "d.json", "e.json", "f.jsonl.zst", "g.jsonl", "h.jsonl"].map {
      dir + "/" + $0
    }
    for options in [
      InputOptions(maxRecordBytes: 200), InputOptions(chunkSize: 37, maxRecordBytes: 200, readBlockSize: 7),
    ] {
      let (reference, _) = try readAll(paths, options)
      #expect(reference.count > 120)
      #expect(reference.contains { $0.reject == .lineTooLong })
      for count in [1, 2, 3, 5, 8, 13, 64, 500, 5000] {
        var joined: [Seen] = []
        var nonEmpty = 0
        for index in 0..<count {
          let slice = try readSlice(paths, options, try #require(InputPartition(index: index, count: count)))
          if !slice.isEmpty { nonEmpty += 1 }
          joined += slice
        }
        #expect(joined == reference, "\(count) slices")
        if count <= 13 { #expect(nonEmpty == count, "every one of \(count) slices reads something") }
      }
    }
  }

  /// A file that cannot be entered in the middle (compressed, a JSON array) is read whole by the slice that
  /// owns its first byte, and by no other.
  @Test func unsplittableFilesGoWholeToTheSliceOfTheirFirstByte() throws {
    let dir = TestPaths.temporaryDirectory("input-partition-whole")
    let array = Array(#"[{"text": "one"}, {"text": "two"}, {"text": "three"}]"#.utf8)
    writeFile(dir + "/a.json", array)
    writeFile(dir + "/b.jsonl", Array(#"{"text": "four"}"#.utf8 + [0x0A]))
    let paths = [dir + "/a.json", dir + "/b.jsonl"]
    let secondSlice = try #require(InputPartition(index: 1, count: 2))
    let first = try readSlice(paths, InputOptions(), try #require(InputPartition(index: 0, count: 2)))
    let second = try readSlice(paths, InputOptions(), secondSlice)
    #expect(first.map(\.text) == [#"{"text": "one"}"#, #"{"text": "two"}"#, #"{"text": "three"}"#])
    #expect(second.map(\.text) == [#"{"text": "four"}"#])
    let reader = try InputReader(paths: paths, partition: secondSlice)
    #expect(reader.files == [dir + "/b.jsonl"])
  }

  /// Line numbers of a slice that starts deep in a file come from counting the newlines before it.
  @Test func aSliceDeepInAFileNumbersItsLines() throws {
    let dir = TestPaths.temporaryDirectory("input-partition-lines")
    var bytes: [UInt8] = []
    var starts: [Int] = []
    for k in 0..<100_000 {
      starts.append(bytes.count)
      bytes += Array(#"{"n": \#(k)}"#.utf8) + [0x0A]
    }
    writeFile(dir + "/big.jsonl", bytes)
    let seen = try readSlice(
      [dir + "/big.jsonl"], InputOptions(), try #require(InputPartition(index: 6, count: 7)))
    let first = try #require(seen.first)
    #expect(first.text == #"{"n": \#(first.line - 1)}"#)
    #expect(seen.last?.line == 100_000)
    #expect(seen.count == 100_000 - first.line + 1)
    for s in seen {
      #expect(s.offset == starts[s.line - 1] && s.text == #"{"n": \#(s.line - 1)}"#, "\(s)")
    }
  }

  /// A file refused by its first bytes (here UTF-16 named `.jsonl`, which would be cut between "lines") is
  /// refused by every slice, not only by the one that holds its start.
  @Test func everySliceRefusesAnUnreadableFile() throws {
    let dir = TestPaths.temporaryDirectory("input-partition-utf16")
    var text: [UInt8] = []
    for k in 0..<400 { text += Array(#"{"text": "line \#(k)"}"#.utf8) + [0x0A] }
    let path = dir + "/wide.jsonl"
    writeFile(path, [0xFF, 0xFE] + text.flatMap { [$0, 0] })
    for index in 0..<4 {
      let partition = try #require(InputPartition(index: index, count: 4))
      do {
        _ = try readAll([path], InputOptions(), partition: partition)
        Issue.record("slice \(index) of 4 read the UTF-16 file")
      } catch let error as InputError {
        #expect(error.kind == .unsupportedFormat && error.file == path, "\(error)")
      }
    }
  }
}
