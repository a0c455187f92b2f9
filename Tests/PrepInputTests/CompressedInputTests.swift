import PrepDecompress
import PrepTestSupport
import PrepZstd
import Testing

@testable import PrepInput

/// gzip, bzip2 and xz files, made by the standard tools (scripts/golden/fixture_compressed.sh), are read as the
/// plain file is; a file cut short, corrupt, or with something else after its compressed data stops with an
/// error naming it.
@Suite struct CompressedInputTests {
  static let compressions: [(suffix: String, unit: String)] = [
    (".gz", "a gzip member"), (".bz2", "a bzip2 stream"), (".xz", "an xz stream"),
  ]

  @Test(arguments: compressions.map(\.suffix))
  func readsLikeThePlainFile(_ suffix: String) throws {
    let plain = TestPaths.fixture("input/messy.jsonl")
    let path = TestPaths.fixture("input/compressed/messy.jsonl" + suffix)
    let (reference, _) = try readAll([plain], InputOptions(maxRecordBytes: 64))
    #expect(reference.count > 5)
    for block in [1, 7, 1 << 16] {
      for chunkSize in [1, 50, 1 << 20] {
        let options = InputOptions(chunkSize: chunkSize, maxRecordBytes: 64, readBlockSize: block)
        let (seen, _) = try readAll([path], options)
        #expect(
          seen.map { Seen(file: plain, line: $0.line, offset: $0.offset, bytes: $0.bytes, reject: $0.reject) }
            == reference, "\(suffix), block \(block), chunk \(chunkSize)")
      }
    }
    let size = fileBytes(path).count
    let reader = try InputReader(paths: [path])
    #expect(reader.totalBytes == size)
    while try reader.next() != nil {}
    #expect(reader.bytesConsumed == size)
  }

  /// A file that holds several units one after another (`cat a.gz b.gz`, pigz, pbzip2, Wikipedia's multistream
  /// dumps) is read to its end, not to the end of its first unit.
  @Test(arguments: compressions.map(\.suffix))
  func readsEveryUnitOfAConcatenatedFile(_ suffix: String) throws {
    let plain = fileBytes(TestPaths.fixture("monkey/train.jsonl"))
    let compressed = fileBytes(TestPaths.fixture("monkey/train.jsonl" + suffix))
    let dir = TestPaths.temporaryDirectory("input-concatenated")
    writeFile(dir + "/twice.jsonl", plain + plain)
    writeFile(dir + "/twice.jsonl" + suffix, compressed + compressed)
    let (reference, _) = try readAll([dir + "/twice.jsonl"], InputOptions())
    #expect(reference.count == 400)
    for block in [4096, 1 << 20] {
      let (seen, _) = try readAll([dir + "/twice.jsonl" + suffix], InputOptions(readBlockSize: block))
      #expect(seen.map(\.bytes) == reference.map(\.bytes))
      #expect(seen.map(\.line) == reference.map(\.line))
      #expect(seen.map(\.offset) == reference.map(\.offset))
    }
  }

  /// A file cut short (an interrupted download) is an error naming the file, wherever the cut falls and however
  /// the file is read in blocks, also inside the second unit of a concatenated file.
  @Test(arguments: compressions)
  func truncatedFilesThrow(_ compression: (suffix: String, unit: String)) throws {
    let compressed = fileBytes(TestPaths.fixture("monkey/train.jsonl" + compression.suffix))
    let whole = compressed + compressed
    let dir = TestPaths.temporaryDirectory("input-compressed-truncated")
    for cut in [1, 5, 17, compressed.count / 2, compressed.count - 1, compressed.count + 20, whole.count - 1] {
      let path = dir + "/cut-\(cut).jsonl" + compression.suffix
      writeFile(path, Array(whole[0..<cut]))
      for block in [7, 4096, 1 << 20] {
        let message = decompressError(
          path, InputOptions(readBlockSize: block), "\(compression.suffix) cut at \(cut), block \(block)")
        #expect(
          message == "the file (\(cut) bytes) ends inside \(compression.unit): it is truncated, perhaps by an "
            + "interrupted download or copy")
      }
    }
  }

  /// A changed byte in the middle of the data is found (by the format's checksums at the latest).
  @Test(arguments: compressions.map(\.suffix))
  func corruptDataThrows(_ suffix: String) throws {
    var bytes = fileBytes(TestPaths.fixture("monkey/train.jsonl" + suffix))
    let dir = TestPaths.temporaryDirectory("input-compressed-corrupt")
    for at in [bytes.count / 3, bytes.count / 2] {
      bytes[at] ^= 0x55
      let path = dir + "/corrupt-\(at).jsonl" + suffix
      writeFile(path, bytes)
      let message = decompressError(path, InputOptions(), "\(suffix) with byte \(at) changed")
      #expect(message?.contains("corrupt") == true, "\(message ?? "")")
      bytes[at] ^= 0x55
    }
  }

  /// Bytes after the compressed data that do not start another unit are an error, not ignored; zero bytes after
  /// a gzip file (padding, which `gzip -d` ignores) and xz's stream padding are read past.
  @Test func somethingElseAfterTheDataThrows() throws {
    let dir = TestPaths.temporaryDirectory("input-compressed-trailing")
    let junk = Array("this is not compressed data at all, it was appended to the file\n".utf8)
    for (suffix, _) in Self.compressions {
      let path = dir + "/junk.jsonl" + suffix
      writeFile(path, fileBytes(TestPaths.fixture("monkey/train.jsonl" + suffix)) + junk)
      for block in [5, 1 << 16] {
        let message = decompressError(
          path, InputOptions(readBlockSize: block), "\(suffix) followed by other bytes, block \(block)")
        #expect(message?.contains("holds something else") == true, "\(message ?? "")")
        #expect(message?.contains("after its") == true, "\(message ?? "")")
      }
    }
    let gz = fileBytes(TestPaths.fixture("monkey/train.jsonl.gz"))
    let xz = fileBytes(TestPaths.fixture("monkey/train.jsonl.xz"))
    // xz: fewer bytes than a stream header, and padding that is not whole four-byte groups, are other data too,
    // at the byte where the stream ended (not a stream cut short).
    for (name, tail) in [("short", Array("garbage!".utf8)), ("pad3", [UInt8](repeating: 0, count: 3))] {
      writeFile(dir + "/\(name).jsonl.xz", xz + tail)
      for block in [5, 1 << 16] {
        let message = decompressError(dir + "/\(name).jsonl.xz", InputOptions(readBlockSize: block), name)
        #expect(message == "the file holds something else (at byte \(xz.count)) after its xz data", "\(name)")
      }
    }
    writeFile(dir + "/padded.jsonl.gz", gz + [UInt8](repeating: 0, count: 512))
    writeFile(dir + "/padded.jsonl.xz", xz + [UInt8](repeating: 0, count: 8) + xz)
    let (plain, _) = try readAll([TestPaths.fixture("monkey/train.jsonl")], InputOptions())
    for block in [5, 1 << 16] {
      #expect(try readAll([dir + "/padded.jsonl.gz"], InputOptions(readBlockSize: block)).records.count == 200)
      #expect(try readAll([dir + "/padded.jsonl.xz"], InputOptions(readBlockSize: block)).records.count == 400)
    }
    #expect(try readAll([dir + "/padded.jsonl.gz"], InputOptions()).records.map(\.bytes) == plain.map(\.bytes))
    writeFile(dir + "/zeros-then-junk.jsonl.gz", gz + [0, 0, 0] + junk)
    #expect(throws: InputError.self) { try readAll([dir + "/zeros-then-junk.jsonl.gz"], InputOptions()) }
  }

  /// An empty file under a compressed name is refused (every format has a header, as gzip, bzip2, xz and zstd
  /// themselves say: a download that failed leaves such a file), while an empty plain file is an empty input;
  /// a file that is not the data its name says is an error that says so.
  @Test func emptyCompressedFilesAndOtherDataAreRefused() throws {
    let dir = TestPaths.temporaryDirectory("input-compressed-empty")
    for suffix in [".gz", ".bz2", ".xz", ".zst"] {
      let path = dir + "/empty.jsonl" + suffix
      writeFile(path, [])
      let error = #expect(throws: InputError.self) { try readAll([path], InputOptions()) }
      #expect(error?.kind == (suffix == ".zst" ? .zstd : .decompress))
      #expect(error?.file == path)
      #expect(error?.message.contains("the file is empty (0 bytes)") == true, "\(suffix): \(String(describing: error))")
    }
    writeFile(dir + "/empty.jsonl", [])
    #expect(try readAll([dir + "/empty.jsonl"], InputOptions()).records.isEmpty)
    for (suffix, expected) in [
      (".gz", "it is not gzip data"), (".bz2", "it is not bzip2 data"), (".xz", "not xz data"),
    ] {
      let path = dir + "/plain.jsonl" + suffix
      writeFile(path, Array(#"{"text": "plain text under a compressed name"}"#.utf8) + [0x0A])
      for block in [1, 1 << 16] {
        let message = decompressError(path, InputOptions(readBlockSize: block), "plain text named \(suffix)")
        #expect(message?.contains(expected) == true, "\(message ?? "")")
      }
    }
  }

  /// A few KiB that expand to 8 MiB are never held whole: each fill appends at most four read blocks, and the
  /// over-long line is rejected while the line after it comes through.
  @Test(arguments: [".gz", ".bz2", ".xz", ".zst"])
  func memoryStaysBoundedOnDataThatExpandsAThousandTimes(_ suffix: String) throws {
    var path = TestPaths.fixture("input/compressed/long.jsonl" + suffix)
    if suffix == ".zst" {
      // zstd from the library (the fixture script makes the others with the standard tools).
      let plain =
        Array(#"{"text": ""#.utf8) + [UInt8](repeating: 0x61, count: 8 << 20)
        + Array("\"}\n{\"text\": \"after the long line\"}\n".utf8)
      path = TestPaths.temporaryDirectory("input-compressed-long") + "/long.jsonl.zst"
      writeFile(path, try Zstd.compress(plain, level: 19))
    }
    #expect(fileBytes(path).count < 16 << 10)
    let blockSize = 4096
    let source = try ByteSource(path: path, compression: InputKind.detect(path: path).compression, blockSize: blockSize)
    #expect(source.outputLimit == 4 * blockSize)
    var total = 0
    var buffer: [UInt8] = []
    while try source.fill(&buffer) {
      #expect(buffer.count <= source.outputLimit)
      total += buffer.count
      buffer.removeAll(keepingCapacity: true)
    }
    #expect(total == (8 << 20) + 45)
    let (seen, _) = try readAll([path], InputOptions(maxRecordBytes: 1 << 20, readBlockSize: blockSize))
    #expect(seen.map(\.reject) == [.lineTooLong, nil])
    #expect(seen.last?.text == #"{"text": "after the long line"}"#)
    #expect(seen.last?.line == 2)
  }

  /// The decoder appends at most `limit` bytes a call, and says when it holds more output than it gave.
  @Test func decoderHonoursItsLimit() throws {
    let compressed = fileBytes(TestPaths.fixture("input/compressed/long.jsonl.gz"))
    let decoder = try StreamDecoder(.gzip)
    var out: [UInt8] = []
    var at = 0
    var calls = 0
    var held = true
    while held || at < compressed.count {
      let before = out.count
      held = try decoder.decode(compressed, at: &at, appendingTo: &out, limit: 1000)
      #expect(out.count - before <= 1000)
      if held { #expect(out.count - before == 1000) }
      calls += 1
    }
    #expect(!decoder.insideUnit)
    try decoder.finish(size: compressed.count)
    #expect(out.count == (8 << 20) + 45)
    #expect(calls > 8000)
  }

  /// The message of the `decompress` error that reading `path` stops with (which must name the file); an issue is
  /// recorded, and nil returned, when it reads or stops otherwise.
  func decompressError(_ path: String, _ options: InputOptions, _ what: String) -> String? {
    do {
      _ = try readAll([path], options)
      Issue.record("\(what) was read")
    } catch let error as InputError {
      #expect(error.kind == .decompress, "\(what)")
      #expect(error.file == path)
      return error.message
    } catch {
      Issue.record("\(what): \(error)")
    }
    return nil
  }

  /// Path endings choose the compression, before the format's own ending.
  @Test func kindsFromPaths() {
    #expect(InputKind.detect(path: "a/b.jsonl.gz") == InputKind(format: .jsonl, compression: .gzip))
    #expect(InputKind.detect(path: "b.JSON.GZIP") == InputKind(format: .json, compression: .gzip))
    #expect(InputKind.detect(path: "enwiki-pages-articles.xml.bz2") == InputKind(format: .xml, compression: .bzip2))
    #expect(InputKind.detect(path: "c.ndjson.xz") == InputKind(format: .jsonl, compression: .xz))
    #expect(InputKind.detect(path: "d.jsonl.zstd") == InputKind(format: .jsonl, compression: .zstd))
    #expect(InputKind.detect(path: "gz.jsonl") == InputKind(format: .jsonl, compression: .none))
  }
}

/// A bzip2 file of many streams decoded on several threads (`ParallelStreams`) gives the bytes, records and errors
/// the single decoder gives, whatever the thread count, the job size and the read block.
@Suite struct ParallelBzip2Tests {
  let multistream = TestPaths.fixture("monkey/train-multistream.jsonl.bz2")

  @Test func readsLikeOneDecoder() throws {
    let (reference, _) = try readAll([TestPaths.fixture("monkey/train.jsonl")], InputOptions())
    #expect(reference.count == 200)
    for threads in [1, 2, 4] {
      for jobBytes in [1, 1000, 20_000, 1 << 20] {
        for block in [7, 4096, 1 << 18] {
          let options = InputOptions(readBlockSize: block, decodeThreads: threads, decodeJobBytes: jobBytes)
          let (seen, _) = try readAll([multistream], options)
          #expect(seen.map(\.bytes) == reference.map(\.bytes), "threads \(threads), job \(jobBytes), block \(block)")
          #expect(seen.map(\.offset) == reference.map(\.offset))
        }
      }
    }
  }

  /// Every cut: at a stream's end the file reads as the streams before it (a shorter file cannot be told from
  /// it); anywhere else the error is the single decoder's, word for word.
  @Test func cutFilesGiveTheSingleDecodersResult() throws {
    let bytes = fileBytes(multistream)
    let dir = TestPaths.temporaryDirectory("input-parallel-cut")
    var cuts = Array(stride(from: 1, to: bytes.count, by: 3001))
    cuts += streamStarts(bytes).dropFirst().flatMap { [$0 - 1, $0, $0 + 1, $0 + 11] }
    for cut in cuts {
      let path = dir + "/cut-\(cut).jsonl.bz2"
      writeFile(path, Array(bytes[0..<cut]))
      let single = outcome(path, InputOptions(readBlockSize: 4096))
      for threads in [2, 3] {
        let parallel = outcome(path, InputOptions(readBlockSize: 4096, decodeThreads: threads, decodeJobBytes: 5000))
        #expect(parallel == single, "cut \(cut), threads \(threads)")
      }
    }
  }

  /// A changed byte in any stream, or other bytes between two streams, gives the single decoder's error.
  @Test func corruptOrForeignBytesGiveTheSingleDecodersError() throws {
    let bytes = fileBytes(multistream)
    let starts = streamStarts(bytes)
    #expect(starts.count == 10)
    let dir = TestPaths.temporaryDirectory("input-parallel-corrupt")
    var files: [(String, [UInt8])] = []
    for (i, start) in starts.enumerated() where i % 3 == 1 {
      var changed = bytes
      changed[start + 2000] ^= 0x55
      files.append(("corrupt-\(i)", changed))
      files.append(("foreign-\(i)", Array(bytes[0..<start]) + Array("not bzip2 data".utf8) + Array(bytes[start...])))
    }
    for (name, content) in files {
      let path = dir + "/\(name).jsonl.bz2"
      writeFile(path, content)
      let single = outcome(path, InputOptions())
      #expect(single.error != nil, "\(name)")
      let parallel = outcome(path, InputOptions(decodeThreads: 2, decodeJobBytes: 3000))
      #expect(parallel == single, "\(name)")
    }
  }

  /// A file whose second stream does not start within the scan limit (an ordinary one-stream file) goes to one
  /// decoder: same bytes.
  @Test func aOneStreamFileGoesToOneDecoder() throws {
    let path = TestPaths.fixture("monkey/train.jsonl.bz2")
    let plain = fileBytes(TestPaths.fixture("monkey/train.jsonl"))
    for scan in [1, 4096, 1 << 20] {
      let source = try ByteSource(
        path: path, compression: .bzip2, blockSize: 1000, decodeThreads: 2, decodeJobBytes: 1, decodeScanBytes: scan)
      var out: [UInt8] = []
      while try source.fill(&out) {}
      #expect(out == plain, "scan \(scan)")
    }
  }

  /// The offsets where a stream starts.
  func streamStarts(_ bytes: [UInt8]) -> [Int] {
    let signature = Array("BZh9".utf8) + [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    return (0...(bytes.count - signature.count)).filter { Array(bytes[$0..<($0 + signature.count)]) == signature }
  }

  struct Outcome: Equatable {
    var records: [[UInt8]] = []
    var error: String? = nil
  }

  func outcome(_ path: String, _ options: InputOptions) -> Outcome {
    do {
      return Outcome(records: try readAll([path], options).records.map(\.bytes))
    } catch let error as InputError {
      return Outcome(error: "\(error.kind) \(error.description)")
    } catch {
      return Outcome(error: "\(error)")
    }
  }
}
