#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Cuts one JSON-lines or JSON-array file into chunks of whole records, reading block by block and carrying
/// the partial last record into the next chunk.
///
/// Buffer invariants: `buf[0..<keptEnd]` holds the bytes of the records found since the last cut (plus
/// separators); `buf[keptEnd..<scanPos]` is the scanned part of the record in progress; `scanOffset` is the
/// stream offset of `buf[scanPos]` and `line` the line number there. Bytes of a record over the limit are
/// removed from `buf` as soon as they are scanned.
final class RecordSplitter {
  enum Mode { case sniff, lines, array }
  enum ArrayPhase { case open, beforeElement, inElement, afterArray }

  let source: ByteSource
  let path: String
  let options: InputOptions
  var mode: Mode
  let declaredArray: Bool

  var buf: [UInt8] = []
  var records: [ChunkRecord] = []
  var keptEnd = 0
  var scanPos = 0
  var scanOffset = 0
  var line = 1
  var eof = false
  var bomChecked = false
  /// The record in progress is over the limit: its bytes are dropped.
  var dropping = false
  /// Bytes of over-long records dropped since the last cut (they count towards the chunk size, so that
  /// boundaries depend on the input only).
  var droppedInChunk = 0

  /// True when the records since the last cut fill a chunk (checked at record ends only).
  var chunkFull: Bool {
    !records.isEmpty
      && (keptEnd &+ droppedInChunk >= options.chunkSize || records.count >= options.maxRecordsPerChunk)
  }

  // JSON lines: where the current line starts.
  var lineStartOffset = 0

  // JSON arrays.
  var phase = ArrayPhase.open
  /// Whether the array's closing ']' was read (what follows it is junk, not a cut).
  var arrayClosed = false
  /// Whether the last element ended with a comma (a ']' next is then an empty element, as JSON has no
  /// trailing comma), and whether the element being scanned follows the closing ']'.
  var afterComma = false
  var recAfterArray = false
  var recStart = 0
  var recLine = 0
  var recOffset = 0
  var depth = 0
  var inString = false
  var escaped = false
  var arrayChecked = false

  /// Lines that start at or after this stream offset are not read (the next slice's; see `InputPartition`).
  let endOffset: Int

  init(source: ByteSource, path: String, format: InputFormat, options: InputOptions, endOffset: Int = Int.max) {
    self.source = source
    self.path = path
    self.options = options
    self.endOffset = endOffset
    switch format {
    case .jsonArray: mode = .array
    // JSON lines too are sniffed: a `.jsonl` file that starts with `[` holds an array (no line of one can be a
    // record), which the oracle's `records()` and HF `datasets` read as one.
    default: mode = .sniff
    }
    declaredArray = format == .jsonArray
  }

  /// JSON lines from the line at `start` (the source is positioned there) to `endOffset`.
  convenience init(source: ByteSource, path: String, options: InputOptions, start: LineStart, endOffset: Int) {
    self.init(source: source, path: path, format: .jsonl, options: options, endOffset: endOffset)
    mode = .lines
    bomChecked = true
    scanOffset = start.offset
    lineStartOffset = start.offset
    line = start.line
  }

  /// The next chunk's bytes and records, or nil at the end of the file.
  func nextChunk() throws(InputError) -> (bytes: [UInt8], records: [ChunkRecord])? {
    while true {
      if !bomChecked || mode == .sniff || (declaredArray && !arrayChecked) {
        if try !prepare() { continue }
      }
      let full = mode == .lines ? scanLines() : scanArray()
      if full || (eof && !records.isEmpty) {
        // The buffer itself becomes the chunk's bytes; only the record in progress is copied, into a new
        // buffer (copying the whole chunk out instead cost the coordinating thread a megabyte per chunk).
        var bytes = Array(buf[keptEnd...])
        bytes.reserveCapacity(options.chunkSize &+ options.readBlockSize)
        swap(&bytes, &buf)
        bytes.removeSubrange(keptEnd...)
        let out = records
        scanPos &-= keptEnd
        recStart &-= keptEnd
        keptEnd = 0
        droppedInChunk = 0
        records.removeAll(keepingCapacity: true)
        return (bytes, out)
      }
      if eof { return nil }
      if try !source.fill(&buf) { eof = true }
    }
  }

  /// Skips a BOM and, for `.json`, decides between lines and array. Returns false if it needs more bytes.
  func prepare() throws(InputError) -> Bool {
    if !bomChecked {
      if buf.count < RecordSplitter.signatureBytes && !eof {
        if try !source.fill(&buf) { eof = true }
        return false
      }
      if let problem = RecordSplitter.unsupportedFormat(buf.prefix(RecordSplitter.signatureBytes), path: path) {
        throw InputError(.unsupportedFormat, file: path, problem)
      }
      if buf.count >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF {
        buf.removeSubrange(0..<3)
        scanOffset = 3
        lineStartOffset = 3
      }
      bomChecked = true
    }
    if mode == .sniff || (declaredArray && !arrayChecked) {
      var i = 0
      while i < buf.count && (buf[i] == 0x20 || buf[i] == 0x0A || buf[i] == 0x0D || buf[i] == 0x09) { i += 1 }
      if i == buf.count && !eof {
        if try !source.fill(&buf) { eof = true }
        return false
      }
      let isArray = i < buf.count && buf[i] == UInt8(ascii: "[")
      if declaredArray {
        arrayChecked = true
        if !isArray && i < buf.count {
          throw InputError(.notAnArray, file: path, "declared a JSON array but does not start with '['")
        }
      } else {
        mode = isArray ? .array : .lines
      }
    }
    return true
  }

  /// Bytes enough to tell every signature `unsupportedFormat` knows (bzip2's is the longest).
  static let signatureBytes = Bzip2Signature.length

  /// What the file at `path` is, when its first bytes `head` (after the decompression its name asks for, if any)
  /// say it is something prep cannot read as JSON text: compressed data that its name does not say is compressed
  /// (so it was read as plain text), or UTF-16 / UTF-32 text (by its byte order mark); with what makes it readable.
  /// Each signature starts with bytes that valid JSON text never does, so no readable file is refused (bzip2's
  /// "BZh" counts only with the block magic after it). With `byteOrderMarks` false, UTF-16/UTF-32 marks pass
  /// (XML may be UTF-16).
  static func unsupportedFormat(_ head: ArraySlice<UInt8>, path: String, byteOrderMarks: Bool = true) -> String? {
    let b = Array(head)
    func starts(_ signature: [UInt8]) -> Bool {
      b.count >= signature.count && Array(b[0..<signature.count]) == signature
    }
    let name = path.split(separator: "/").last.map(String.init) ?? path
    func without(_ suffixes: [String], from name: String) -> String {
      for suffix in suffixes where name.lowercased().hasSuffix(suffix) && name.count > suffix.count {
        return String(name.dropLast(suffix.count))
      }
      return name
    }
    // The compression the name asks for (the bytes in `head` are then already decompressed) and the name without it.
    let outer = InputKind.detect(path: name).compression
    let inner = without(outer.suffixes, from: name)
    let decompressOuter = outer == .none ? "" : "\(outer.rawValue) -dc \(name) | "
    var found: InputCompression? = nil
    if starts([0x1F, 0x8B]) {
      found = .gzip
    } else if b.count >= Bzip2Signature.length && b.withUnsafeBufferPointer({ Bzip2Signature.starts($0, at: 0) }) {
      found = .bzip2
    } else if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) {
      found = .xz
    } else if starts([0x28, 0xB5, 0x2F, 0xFD]) {
      found = .zstd
    }
    if let found {
      let tool = found.rawValue
      if outer != .none {
        return "its \(outer.rawValue) data holds \(tool)-compressed data (compressed twice): decompress it once, for "
          + "example `\(decompressOuter)\(tool) -dc > \(inner)`"
      }
      return "\(tool)-compressed, but its name does not end in \(found.suffixes[0]), so it was read as plain text: "
        + "rename it (\(name)\(found.suffixes[0])) and prep decompresses it while reading"
    }
    func convert(_ encoding: String, _ why: String = "it starts with a byte order mark") -> String {
      let converted =
        without([".jsonl", ".json"], from: inner)
        + (inner.lowercased().hasSuffix(".json") ? ".utf8.json" : ".utf8.jsonl")
      let command =
        outer == .none
        ? "iconv -f \(encoding) -t UTF-8 \(name) > \(converted)"
        : "\(decompressOuter)iconv -f \(encoding) -t UTF-8 > \(converted)"
      return "\(encoding) text (\(why)); prep reads UTF-8: convert it first, for example `\(command)`"
    }
    guard byteOrderMarks else { return nil }
    if starts([0xFF, 0xFE, 0x00, 0x00]) || starts([0x00, 0x00, 0xFE, 0xFF]) { return convert("UTF-32") }
    if starts([0xFF, 0xFE]) || starts([0xFE, 0xFF]) { return convert("UTF-16") }
    // Without a byte order mark, UTF-16 and UTF-32 show by the zero bytes around their first character: a zero
    // byte is never part of UTF-8 JSON text (raw, it is neither whitespace nor allowed in a string).
    let zeros = "its first character has zero bytes beside it, and it has no byte order mark"
    if b.count >= 4 && b[0] != 0 && b[1] == 0 && b[2] == 0 && b[3] == 0 { return convert("UTF-32LE", zeros) }
    if b.count >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] != 0 { return convert("UTF-32BE", zeros) }
    if b.count >= 2 && b[0] != 0 && b[1] == 0 { return convert("UTF-16LE", zeros) }
    if b.count >= 2 && b[0] == 0 && b[1] != 0 { return convert("UTF-16BE", zeros) }
    return nil
  }

  // MARK: - JSON lines

  /// Scans lines; returns true when the chunk is full.
  func scanLines() -> Bool {
    let limit = options.maxRecordBytes
    while true {
      let found: Int? = buf.withUnsafeBytes { raw in
        guard scanPos < raw.count, let base = raw.baseAddress else { return nil }
        guard let hit = memchr(base + scanPos, 0x0A, raw.count &- scanPos) else { return nil }
        return UnsafeRawPointer(hit) - base
      }
      guard let j = found else {
        scanOffset &+= buf.count &- scanPos
        scanPos = buf.count
        if dropping {
          dropTail()
        } else if buf.count &- keptEnd > limit &+ 1 || (eof && lineLength(keptEnd, buf.count) > limit) {
          // (One byte more may be the `\r` of a CRLF ending whose `\n` is still to come.)
          rejectTooLong(line, lineStartOffset)
          dropTail()
        }
        if eof && !dropping && keptEnd < buf.count {
          emitLine(keptEnd, buf.count)
          keptEnd = buf.count
        }
        return false
      }
      scanOffset &+= j &+ 1 &- scanPos
      scanPos = j &+ 1
      if dropping {
        dropping = false
        dropRange(keptEnd, j &+ 1)
      } else if lineLength(keptEnd, j) > limit {
        rejectTooLong(line, lineStartOffset)
        dropRange(keptEnd, j &+ 1)
      } else {
        emitLine(keptEnd, j)
        keptEnd = j &+ 1
      }
      line &+= 1
      lineStartOffset = scanOffset
      if scanOffset >= endOffset {
        // The next line is a later slice's: nothing after it is read.
        buf.removeSubrange(keptEnd...)
        scanPos = keptEnd
        eof = true
        return chunkFull
      }
      if chunkFull { return true }
    }
  }

  /// The length of the line `buf[start..<end]` without its line end (the `\r` of CRLF; `end` is at the `\n`).
  @inline(__always)
  func lineLength(_ start: Int, _ end: Int) -> Int {
    end &- start &- (end > start && buf[end &- 1] == 0x0D ? 1 : 0)
  }

  func emitLine(_ start: Int, _ endIn: Int) {
    var end = endIn
    if end > start && buf[end &- 1] == 0x0D { end &-= 1 }
    var i = start
    while i < end && (buf[i] == 0x20 || buf[i] == 0x09 || buf[i] == 0x0D) { i &+= 1 }
    if i == end { return }  // blank line
    records.append(ChunkRecord(start: start, end: end, line: line, byteOffset: lineStartOffset))
  }

  func rejectTooLong(_ atLine: Int, _ atOffset: Int) {
    records.append(
      ChunkRecord(start: keptEnd, end: keptEnd, line: atLine, byteOffset: atOffset, readerReject: .lineTooLong))
  }

  /// Drops the scanned bytes after the last kept record (the over-long record in progress).
  func dropTail() {
    dropping = true
    droppedInChunk &+= buf.count &- keptEnd
    buf.removeSubrange(keptEnd..<buf.count)
    scanPos = keptEnd
  }

  /// Drops `buf[from..<to]` (all scanned).
  func dropRange(_ from: Int, _ to: Int) {
    droppedInChunk &+= to &- from
    buf.removeSubrange(from..<to)
    scanPos = from
  }

  // MARK: - JSON arrays

  /// Scans array elements; returns true when the chunk is full.
  func scanArray() -> Bool {
    let limit = options.maxRecordBytes
    var full = false
    var i = scanPos
    var ln = line
    // Stream offset of buf[k] is base + k.
    var base = scanOffset &- scanPos
    let isWS: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    scan: while i < buf.count {
      let c = buf[i]
      switch phase {
      case .open:
        if isWS(c) {
          if c == 0x0A { ln &+= 1 }
        } else if c == UInt8(ascii: "[") {
          phase = .beforeElement
          keptEnd = i &+ 1
        } else {
          // Not an array after all: treat the rest as one malformed element.
          startElement(i, ln, base &+ i)
          continue scan
        }
        i &+= 1
      case .beforeElement, .afterArray:
        if isWS(c) {
          if c == 0x0A { ln &+= 1 }
          i &+= 1
          continue scan
        }
        if c == UInt8(ascii: "]") && phase == .beforeElement && !afterComma {
          phase = .afterArray
          arrayClosed = true
          i &+= 1
          keptEnd = i
          continue scan
        }
        startElement(i, ln, base &+ i)
      case .inElement:
        if inString && !escaped && i &+ 8 <= buf.count {
          // Skip string bytes 8 at a time up to the next '"', '\\' or newline.
          let skip = buf.withUnsafeBytes { raw in RecordSplitter.plainStringBytes(raw, from: i) }
          if skip > 0 {
            i &+= skip
            if !dropping && i &- recStart > limit {
              rejectTooLong(recLine, recOffset)
              dropping = true
            }
            if dropping && i == buf.count {
              base &+= i &- keptEnd
              droppedInChunk &+= i &- keptEnd
              buf.removeSubrange(keptEnd..<i)
              i = keptEnd
              recStart = keptEnd
            }
            continue scan
          }
        }
        if inString {
          if escaped {
            escaped = false
          } else if c == 0x5C {
            escaped = true
          } else if c == 0x22 {
            inString = false
          } else if c == 0x0A {
            ln &+= 1
          }
          i &+= 1
        } else {
          var ends = false
          switch c {
          case 0x22: inString = true
          case UInt8(ascii: "["), UInt8(ascii: "{"): depth &+= 1
          case UInt8(ascii: "]"), UInt8(ascii: "}"):
            if depth == 0 { ends = c == UInt8(ascii: "]") } else { depth &-= 1 }
          case UInt8(ascii: ","): ends = depth == 0
          case 0x0A: ln &+= 1
          default: break
          }
          if ends {
            let closing = c == UInt8(ascii: "]")
            if dropping {
              dropping = false
              droppedInChunk &+= i &+ 1 &- keptEnd
              buf.removeSubrange(keptEnd..<(i &+ 1))
              base &+= i &+ 1 &- keptEnd
              i = keptEnd
            } else {
              var end = i
              while end > recStart && isWS(buf[end &- 1]) { end &-= 1 }
              records.append(
                ChunkRecord(start: recStart, end: end, line: recLine, byteOffset: recOffset, afterArray: recAfterArray))
              i &+= 1
              keptEnd = i
            }
            afterComma = !closing
            phase = closing ? .afterArray : .beforeElement
            if closing { arrayClosed = true }
            if chunkFull {
              full = true
              break scan
            }
            continue scan
          }
          i &+= 1
        }
        if !dropping && i &- recStart > limit {
          rejectTooLong(recLine, recOffset)
          dropping = true
        }
        if dropping && i == buf.count {
          // Drop what was scanned of the over-long element.
          base &+= i &- keptEnd
          droppedInChunk &+= i &- keptEnd
          buf.removeSubrange(keptEnd..<i)
          i = keptEnd
          recStart = keptEnd
        }
      }
    }
    scanOffset = base &+ i
    scanPos = i
    line = ln
    if !full && eof && (phase == .inElement || phase == .beforeElement) {
      // Unterminated array: the partial element is a record (the parser rejects it if it is incomplete), and
      // the missing ']' is a reject of its own, at the end of the file: a file cut after a complete element
      // would otherwise pass for a whole one.
      if phase == .inElement && !dropping && recStart < buf.count {
        var end = buf.count
        while end > recStart && isWS(buf[end &- 1]) { end &-= 1 }
        records.append(
          ChunkRecord(start: recStart, end: end, line: recLine, byteOffset: recOffset, afterArray: recAfterArray))
      }
      keptEnd = buf.count
      dropping = false
      if !arrayClosed { rejectUnclosedArray(line: ln, byteOffset: base &+ buf.count) }
      phase = .afterArray
    }
    return full
  }

  /// What `rejectUnclosedArray` says (the reject's detail: `Chunk.readerReject`).
  static let unclosedArrayMessage =
    "the file ends inside the JSON array, before its closing ']': it may be truncated (an interrupted download "
    + "or copy)"

  /// Adds a `malformed_json` reject for an array the file ends inside. Its detail goes after the file's last
  /// byte in the chunk's bytes (a reader reject's bytes are its message, as for `malformed_xml`); nothing is
  /// scanned after it.
  func rejectUnclosedArray(line: Int, byteOffset: Int) {
    let start = buf.count
    buf += Array(RecordSplitter.unclosedArrayMessage.utf8)
    records.append(
      ChunkRecord(start: start, end: buf.count, line: line, byteOffset: byteOffset, readerReject: .malformedJSON))
    keptEnd = buf.count
    scanPos = buf.count
  }

  /// How many bytes from `from` on are plain string content (no `"`, `\\`, `\n`), counted 8 at a time
  /// while at least 8 bytes remain.
  static func plainStringBytes(_ raw: UnsafeRawBufferPointer, from: Int) -> Int {
    var i = from
    let ones: UInt64 = 0x0101_0101_0101_0101
    while i &+ 8 <= raw.count {
      let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let q = w ^ 0x2222_2222_2222_2222
      let b = w ^ 0x5C5C_5C5C_5C5C_5C5C
      let n = w ^ 0x0A0A_0A0A_0A0A_0A0A
      let m = ((q &- ones) & ~q | (b &- ones) & ~b | (n &- ones) & ~n) & 0x8080_8080_8080_8080
      if m != 0 { return i &+ (m.trailingZeroBitCount >> 3) &- from }
      i &+= 8
    }
    return i &- from
  }

  func startElement(_ i: Int, _ ln: Int, _ offset: Int) {
    recAfterArray = phase == .afterArray
    afterComma = false
    phase = .inElement
    recStart = i
    recLine = ln
    recOffset = offset
    depth = 0
    inString = false
    escaped = false
  }
}
