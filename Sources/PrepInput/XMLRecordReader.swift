internal import CLibXML2
import PrepJSON

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `xmlInitParser()`, once per process (a global's initializer runs exactly once, thread-safely).
private let xmlInitialized: Bool = {
  xmlInitParser()
  return true
}()

/// Streams an XML dump through libxml2's reader API and turns each record element into a JSON object
/// record (`{"title": ..., "text": ...}`), so the rest of prep treats it like JSON lines. Text, CDATA and
/// the predefined and character entities are decoded by libxml2; DTD-declared entities are not expanded
/// and no external resource is ever loaded.
///
/// Locations: `line` and `byteOffset` are those of the record's start tag `<page` in the (decompressed) file,
/// found by a small scanner over the bytes libxml2 reads (it skips comments, CDATA and processing
/// instructions, and matches the local name whatever the namespace prefix).
///
/// A record that is not well-formed (an invalid character, a tag mismatch) does not stop the file: libxml2's
/// reader cannot go on after such an error, so the record is reported (`malformed_xml`, with libxml2's message)
/// and a new reader starts at the next record start tag, inside a synthetic root element. The bytes from the
/// current record's start on are kept for that (one record at most). A document that has no record at all
/// before its first error still fails as a whole.
final class XMLRecordReader {
  let source: ByteSource
  let path: String
  let options: InputOptions
  private var reader: OpaquePointer? = nil
  /// Decompressed bytes waiting to be handed to libxml2.
  fileprivate var pending: [UInt8] = []
  fileprivate var pendingPos = 0
  fileprivate var sourceError: InputError? = nil
  fileprivate var firstError: String? = nil
  private var done = false
  /// Absolute offset of `pending[0]`, and the start tag offset of the record being read (nil between records):
  /// a resync restarts after it, so `pending` keeps the bytes from there on.
  private var pendingBase = 0
  private var recordStart: Int? = nil
  /// Bytes handed to libxml2 before `pending` (a resync's synthetic root start tag) and after the source ends
  /// (its end tag); neither goes through the tag scanner.
  private var prefix: [UInt8] = []
  private var suffix: [UInt8] = []
  /// Lines before the current reader's first byte (libxml2 counts from 1 again after a resync).
  private var lineBase = 0
  /// The file offset libxml2's byte count starts from (a resync's synthetic root start tag counted before it).
  private var readerOrigin = 0
  /// Whether the reader restarted inside a root element of its own (`<prep-resync>`): the document's own end
  /// tag then does not match, an error to ignore.
  private var syntheticRoot = false
  /// Whether the record re-read alone (`isolated`) came through whole before an error.
  private var isolatedRecordRead = false
  /// While a record is re-read alone a second time, up to its own end tag (the first re-read, up to the next
  /// record's start tag, failed: the error may lie between the two): that start tag (nil: none, the record ran to
  /// the end of the input) and the first re-read's error.
  private var tightRead: (next: (line: Int, offset: Int)?, message: String)? = nil
  private var recordsRead = 0
  /// While re-reading one record alone after an error: its start tag, and the next record's start tag (where
  /// the bytes handed to libxml2 stop; nil: the end of the input).
  private var isolated: (line: Int, offset: Int)? = nil
  private var isolatedEnd: (line: Int, offset: Int)? = nil
  /// The document's root start tag (`<mediawiki xmlns=...>`), from the first bytes read: a resync restarts
  /// inside it, so that namespace declarations hold and the document's own end tag closes it.
  private var rootTag: [UInt8]? = nil
  private var rootName: [UInt8] = Array("prep-resync".utf8)
  /// Whether the search for `rootTag` is over (found, or not plain enough to reuse).
  private var rootTagDecided = false
  private var flags: Int32 = 0

  private let recordName: [UInt8]
  private let fieldPaths: [[[UInt8]]]
  private var writer = JSONWriter()

  init(source: ByteSource, path: String, options: InputOptions) throws(InputError) {
    _ = xmlInitialized
    self.source = source
    self.path = path
    self.options = options
    recordName = Array(options.xml.recordElement.utf8)
    tags = RecordTagScanner(name: Array(options.xml.recordElement.utf8))
    fieldPaths = options.xml.fields.map { f in f.path.split(separator: "/").map { Array($0.utf8) } }
    flags = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_COMPACT.rawValue | XML_PARSE_BIG_LINES.rawValue)
    reader = try makeReader()
  }

  /// A libxml2 reader over what `read(into:_:)` hands out, errors to `xmlRecordError`.
  private func makeReader() throws(InputError) -> OpaquePointer {
    let context = Unmanaged.passUnretained(self).toOpaque()
    // The corresponding C function is `xmlReaderForIO`.
    guard let r = xmlReaderForIO(xmlReadFromSource, nil, context, path, nil, flags) else {
      throw InputError(.xml, file: path, "libxml2 could not create a reader")
    }
    // The corresponding C function is `xmlTextReaderSetErrorHandler`.
    xmlTextReaderSetErrorHandler(r, xmlRecordError, context)
    return r
  }

  /// After an error: the next record start tag after the current position (already seen by the scanner, or
  /// found by reading on), or nil at the end of the input. Leaves `pending` holding the bytes from it on.
  private func nextRecordStart() throws(InputError) -> (line: Int, offset: Int)? {
    while true {
      if let next = tags.popFirst() { return next }
      // Scan on, without handing the bytes to libxml2.
      if pendingPos >= pending.count {
        if sourceDone { return nil }
        if try !source.fill(&pending) {
          sourceDone = true
          continue
        }
      }
      pending.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        tags.scan(UnsafeRawBufferPointer(start: base + pendingPos, count: pending.count - pendingPos))
      }
      pendingPos = pending.count
    }
  }

  /// The record start tag after the one at `start` (found by a scanner of its own over the bytes from there on,
  /// reading more input as needed), or nil when `start`'s record runs to the end of the input.
  private func recordStart(after start: (line: Int, offset: Int)) throws(InputError) -> (line: Int, offset: Int)? {
    try recordTag(after: start, ends: false)
  }

  /// Where the first record end tag after the record start tag `start` ends (just past its `>`), or nil.
  private func recordEnd(after start: (line: Int, offset: Int)) throws(InputError) -> (line: Int, offset: Int)? {
    try recordTag(after: start, ends: true)
  }

  private func recordTag(after start: (line: Int, offset: Int), ends: Bool) throws(InputError) -> (
    line: Int, offset: Int
  )? {
    var scanner = RecordTagScanner(name: recordName)
    scanner.findsEnds = ends
    scanner.line = start.line
    scanner.offset = start.offset
    var at = start.offset - pendingBase
    while true {
      if at >= pending.count {
        if sourceDone { return nil }
        if try !source.fill(&pending) {
          sourceDone = true
          continue
        }
      }
      let end = pending.count
      pending.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        scanner.scan(UnsafeRawBufferPointer(start: base + at, count: end - at))
      }
      at = end
      while let tag = scanner.popFirst() {
        if tag.offset > start.offset { return tag }
      }
    }
  }

  /// Replaces the failed reader by one that starts at the record start tag `at`, inside a synthetic root.
  private func resync(at start: (line: Int, offset: Int)) throws(InputError) {
    if let reader { xmlFreeTextReader(reader) }
    reader = nil
    pendingPos = start.offset - pendingBase
    recordStart = nil
    var scanner = RecordTagScanner(name: recordName)
    scanner.line = start.line
    scanner.offset = start.offset
    tags = scanner
    lineBase = start.line - 1
    prefix = rootTag ?? Array("<prep-resync>".utf8)
    syntheticRoot = rootTag == nil
    readerOrigin = start.offset - prefix.count
    isolatedRecordRead = false
    suffix = []
    firstError = nil
    reader = try makeReader()
  }

  deinit {
    if let reader { xmlFreeTextReader(reader) }
  }

  private var sourceDone = false
  /// Finds the record start tags in the bytes handed to libxml2, for exact locations.
  private var tags: RecordTagScanner

  /// Feeds libxml2: copies up to `len` decompressed bytes into `buffer`. It always hands over `len` bytes
  /// unless the input ends, so libxml2's progress never depends on the read block size.
  fileprivate func read(into buffer: UnsafeMutablePointer<CChar>, _ len: Int) -> Int32 {
    if !prefix.isEmpty {
      let n = min(len, prefix.count)
      prefix.withUnsafeBytes { raw in
        if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: n) }
      }
      prefix.removeFirst(n)
      return Int32(n)
    }
    // Re-reading one record alone: hand its bytes only, then the synthetic end tag.
    let limit = isolatedEnd.map { $0.offset - pendingBase }
    if let limit, pendingPos >= limit {
      let n = min(len, suffix.count)
      suffix.withUnsafeBytes { raw in
        if let base = raw.baseAddress, n > 0 { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: n) }
      }
      suffix.removeFirst(n)
      return Int32(n)
    }
    if pending.count - pendingPos < len && !sourceDone && limit.map({ pending.count < $0 }) ?? true {
      // Drop what libxml2 has read, except from the record in progress or the next record start tag on (where a
      // resync would restart).
      let keep = rootTagDecided ? recordStart ?? tags.nextOffset ?? tags.offset : 0
      let drop = max(0, min(pendingPos, keep - pendingBase))
      pending.removeSubrange(0..<drop)
      pendingPos -= drop
      pendingBase += drop
      do {
        while pending.count - pendingPos < len {
          if try !source.fill(&pending) {
            sourceDone = true
            break
          }
        }
      } catch {
        sourceError = error
        return -1
      }
    }
    if pendingPos >= pending.count && sourceDone && !suffix.isEmpty {
      let n = min(len, suffix.count)
      suffix.withUnsafeBytes { raw in
        if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: n) }
      }
      suffix.removeFirst(n)
      return Int32(n)
    }
    if !rootTagDecided { captureRootTag() }
    // (Offsets are relative to `pendingBase`, which the compaction above may have moved.)
    let end = isolatedEnd.map { $0.offset - pendingBase } ?? pending.count
    let n = min(len, end - pendingPos, pending.count - pendingPos)
    pending.withUnsafeBytes { raw in
      guard let base = raw.baseAddress, n > 0 else { return }
      UnsafeMutableRawPointer(buffer).copyMemory(from: base + pendingPos, byteCount: n)
      tags.scan(UnsafeRawBufferPointer(start: base + pendingPos, count: n))
    }
    pendingPos += n
    return Int32(n)
  }

  /// Finds the document's first element start tag in the first bytes (after the XML declaration, comments and
  /// a DOCTYPE without an internal subset); leaves `rootTag` nil (a synthetic root) if it is not plain. Until
  /// decided, the bytes from the start of the file stay in `pending`.
  private func captureRootTag() {
    let b = pending
    // Undecided while the tag may still be cut off at the end of what was read.
    let more = !sourceDone && b.count < 1 << 16
    var i = 0
    while i < b.count {
      guard b[i] == UInt8(ascii: "<") else {
        i += 1
        continue
      }
      guard i + 1 < b.count else {
        rootTagDecided = !more
        return
      }
      let c = b[i + 1]
      if c == UInt8(ascii: "?") || c == UInt8(ascii: "!") {
        // Declaration, comment or DOCTYPE: skip to its `>` (a DOCTYPE with an internal subset is not handled).
        guard let close = b[i...].firstIndex(of: UInt8(ascii: ">")) else {
          rootTagDecided = !more
          return
        }
        if c == UInt8(ascii: "!") && b[i..<close].contains(UInt8(ascii: "[")) {
          rootTagDecided = true
          return
        }
        i = close + 1
        continue
      }
      rootTagDecided = true
      guard let close = b[i...].firstIndex(of: UInt8(ascii: ">")) else {
        rootTagDecided = !more
        return
      }
      guard b[close - 1] != UInt8(ascii: "/") else { return }
      let tag = Array(b[i...close])
      var name: [UInt8] = []
      for ch in tag.dropFirst() {
        if ch == 0x20 || ch == 0x09 || ch == 0x0A || ch == 0x0D || ch == UInt8(ascii: ">") { break }
        name.append(ch)
      }
      if !name.isEmpty && !name.contains(UInt8(ascii: "\"")) {
        rootTag = tag
        rootName = name
      }
      return
    }
    rootTagDecided = !more
  }

  /// The line and byte offset of the record start tag the reader is on: the next tag the scanner found
  /// (libxml2's own line, which runs ahead, if the scanner was fooled, e.g. by a processing instruction).
  private func location(_ reader: OpaquePointer) -> (line: Int, offset: Int) {
    if let next = tags.popFirst() { return next }
    return (lineBase + Int(xmlTextReaderGetParserLineNumber(reader)), Int(xmlTextReaderByteConsumed(reader)))
  }

  /// The next chunk of records, or nil at the end of the document.
  func nextChunk() throws(InputError) -> (bytes: [UInt8], records: [ChunkRecord])? {
    guard reader != nil, !done else { return nil }
    writer.reset()
    var records: [ChunkRecord] = []
    // State of the record in progress.
    var inRecord = false
    var recordDepth = 0
    var stack: [[UInt8]] = []  // element names below the record element
    var activeField = -1
    var activeDepth = 0
    var fieldText = [[UInt8]](repeating: [], count: fieldPaths.count)
    var fieldSeen = [Bool](repeating: false, count: fieldPaths.count)
    var recordBytes = 0
    var tooLong = false
    var recLine = 0
    var recOffset = 0

    func finishRecord() {
      recordsRead += 1
      recordStart = nil
      if isolated != nil { isolatedRecordRead = true }
      if tooLong {
        let at = writer.bytes.count
        records.append(
          ChunkRecord(start: at, end: at, line: recLine, byteOffset: recOffset, readerReject: .lineTooLong))
        return
      }
      let start = writer.bytes.count
      writer.writeByte(UInt8(ascii: "{"))
      var first = true
      for k in 0..<fieldPaths.count where fieldSeen[k] {
        if !first { writer.writeByte(UInt8(ascii: ",")) }
        first = false
        writer.writeKey(options.xml.fields[k].key)
        fieldText[k].withUnsafeBufferPointer { writer.writeString(utf8: $0) }
      }
      writer.writeByte(UInt8(ascii: "}"))
      records.append(ChunkRecord(start: start, end: writer.bytes.count, line: recLine, byteOffset: recOffset))
      writer.writeByte(0x0A)
    }

    while true {
      guard let reader else { break }
      // The corresponding C function is `xmlTextReaderRead`.
      let status = xmlTextReaderRead(reader)
      if status == 0 {
        if isolated != nil {
          // The record re-read alone was well-formed: go on from the next one with a streaming reader.
          isolated = nil
          var next = isolatedEnd
          if let tight = tightRead, let end = isolatedEnd {
            // Read up to its own end tag, the record is whole: the error is in what follows it, before the next
            // record (text after the document element, another document).
            reject(tight.message, line: end.line, byteOffset: end.offset, into: &records)
            next = tight.next
            tightRead = nil
            if next == nil {
              done = true
              break
            }
          }
          guard let next else {
            done = true
            rejectIfCutOff(&records)
            break
          }
          isolatedEnd = nil
          try resync(at: next)
          continue
        }
        done = true
        rejectIfCutOff(&records)
        break
      }
      if status < 0 {
        if let sourceError {
          done = true
          throw sourceError
        }
        let line = lineBase + Int(xmlTextReaderGetParserLineNumber(reader))
        let message = firstError ?? "malformed XML"
        // libxml2 parses a little ahead of the node it reports and its reader stops at the first error, so the
        // broken record is this one or one just after it. Re-read this record (between records: the next one)
        // alone; if that fails, it is the broken one: report it and go on after it.
        let wasInRecord = inRecord
        // An over-long record is not kept for a re-read: it is the broken one.
        let current: (line: Int, offset: Int)? = wasInRecord && !tooLong ? (recLine, recOffset) : nil
        inRecord = false
        activeField = -1
        recordStart = nil
        if wasInRecord && tooLong { isolated = (recLine, recOffset) }
        if let broken = isolated {
          var after = isolatedEnd
          if isolatedRecordRead {
            // The record came through whole: the error is in what follows it (up to the next record, or to the end
            // of the file: text after the document element, say).
            reject(message, line: line, byteOffset: errorOffset(reader), into: &records)
          } else if tightRead == nil && !tooLong && broken.offset >= pendingBase,
            let end = try recordEnd(after: broken), end.offset < isolatedEnd?.offset ?? Int.max
          {
            // Read the record again, up to its own end tag only.
            tightRead = (isolatedEnd, message)
            try resync(at: broken)
            isolated = broken
            isolatedEnd = end
            suffix = [UInt8(ascii: "<"), UInt8(ascii: "/")] + rootName + [UInt8(ascii: ">")]
            continue
          } else {
            reject(message, line: broken.line, byteOffset: broken.offset, into: &records)
            if let tight = tightRead {
              after = tight.next
              tightRead = nil
            }
          }
          isolated = nil
          if after == nil && wasInRecord && tooLong { after = try nextRecordStart() }
          guard let next = after else {
            done = true
            break
          }
          isolatedEnd = nil
          try resync(at: next)
          continue
        }
        var restart = current
        if restart == nil { restart = try nextRecordStart() }
        guard let restart else {
          // Past the last record. After a resync inside a root of its own, the document's own end tag does not
          // match it: that error is expected. Any other (text after the document element, a file cut off inside
          // the elements after the last record) is reported.
          done = true
          if recordsRead == 0 { throw InputError(.xml, file: path, line: line, message) }
          if !syntheticRoot {
            // A file cut off between elements may end with an error here (libxml2 has one for it after an XML
            // declaration, "Extra content at the end of the document") or without one (`rejectIfCutOff`).
            if !rejectIfCutOff(&records) {
              reject(message, line: line, byteOffset: errorOffset(reader), into: &records)
            }
          }
          break
        }
        let end = try recordStart(after: restart)
        try resync(at: restart)
        isolated = restart
        isolatedEnd = end
        suffix = [UInt8(ascii: "<"), UInt8(ascii: "/")] + rootName + [UInt8(ascii: ">")]
        continue
      }
      let type = xmlTextReaderNodeType(reader)
      let depth = Int(xmlTextReaderDepth(reader))
      switch type {
      case 1:  // element start
        let name = localName(reader)
        let empty = xmlTextReaderIsEmptyElement(reader) == 1
        if !inRecord {
          if name == recordName && !empty {
            inRecord = true
            recordDepth = depth
            stack.removeAll()
            for k in 0..<fieldText.count {
              fieldText[k].removeAll(keepingCapacity: true)
              fieldSeen[k] = false
            }
            recordBytes = 0
            tooLong = false
            (recLine, recOffset) = location(reader)
            recordStart = recOffset
          } else if name == recordName {
            (recLine, recOffset) = location(reader)
            for k in 0..<fieldSeen.count { fieldSeen[k] = false }
            tooLong = false
            finishRecord()
          }
          continue
        }
        stack.append(name)
        if activeField < 0, let k = fieldPaths.firstIndex(of: stack) {
          fieldText[k].removeAll(keepingCapacity: true)
          fieldSeen[k] = true
          activeField = k
          activeDepth = stack.count
        }
        if empty {
          if activeField >= 0 && stack.count == activeDepth { activeField = -1 }
          stack.removeLast()
        }
      case 15:  // element end
        guard inRecord else { continue }
        if depth == recordDepth {
          inRecord = false
          activeField = -1
          finishRecord()
          if writer.bytes.count >= options.chunkSize || records.count >= options.maxRecordsPerChunk {
            return (writer.bytes, records)
          }
          continue
        }
        if activeField >= 0 && stack.count == activeDepth { activeField = -1 }
        if !stack.isEmpty { stack.removeLast() }
      case 3, 4, 13, 14:  // text, CDATA, whitespace
        guard inRecord, activeField >= 0, !tooLong, let value = xmlTextReaderConstValue(reader) else { continue }
        let n = strlen(value)
        recordBytes += n
        if recordBytes > options.maxRecordBytes {
          tooLong = true
          recordStart = nil  // no longer kept for a re-read: memory stays bounded by max_line_bytes
          for k in 0..<fieldText.count { fieldText[k] = [] }
          continue
        }
        let bytes = UnsafeRawBufferPointer(start: value, count: n)
        if type == 4 && bytes.contains(0x0D) {
          // XML ends every line with \n before parsing (\r\n and a lone \r alike, CDATA included); libxml2
          // leaves CDATA sections as written.
          var k = 0
          while k < n {
            let b = bytes[k]
            if b == 0x0D {
              fieldText[activeField].append(0x0A)
              if k + 1 < n && bytes[k + 1] == 0x0A { k += 1 }
            } else {
              fieldText[activeField].append(b)
            }
            k += 1
          }
        } else {
          fieldText[activeField].append(contentsOf: bytes)
        }
      default:
        continue
      }
    }
    return records.isEmpty ? nil : (writer.bytes, records)
  }

  /// At the end of the input: a `malformed_xml` reject when the last tag read is not the end tag of the document
  /// element. A file cut off between two elements (right after a record's end tag, say) parses without an error:
  /// libxml2's reader closes the elements left open itself. Only checked where the first bytes gave the document
  /// element's start tag in an encoding the tag scanner reads (not UTF-16, which libxml2 decodes on its own).
  @discardableResult
  private func rejectIfCutOff(_ records: inout [ChunkRecord]) -> Bool {
    guard rootTag != nil, !rootName.contains(0) else { return false }
    let end = [UInt8(ascii: "/")] + rootName
    guard tags.lastTag != end else { return false }
    let root = String(decoding: rootName, as: UTF8.self)
    let last = tags.lastTag.isEmpty ? "" : " after <\(String(decoding: tags.lastTag, as: UTF8.self))>"
    let detail = "the file ends\(last), before the document's end tag </\(root)>: it may be truncated"
    reject(detail, line: tags.line, byteOffset: tags.offset, into: &records)
    return true
  }

  /// A `malformed_xml` reject whose record bytes are `detail` (what the reject file shows).
  private func reject(_ detail: String, line: Int, byteOffset: Int, into records: inout [ChunkRecord]) {
    recordsRead += 1
    let begin = writer.bytes.count
    for b in detail.utf8 { writer.writeByte(b) }
    records.append(
      ChunkRecord(
        start: begin, end: writer.bytes.count, line: line, byteOffset: byteOffset, readerReject: .malformedXML))
    writer.writeByte(0x0A)
  }

  /// About where libxml2 stopped, as an offset in the file.
  private func errorOffset(_ reader: OpaquePointer) -> Int {
    readerOrigin + max(0, Int(xmlTextReaderByteConsumed(reader)))
  }

  private func localName(_ reader: OpaquePointer) -> [UInt8] {
    guard let name = xmlTextReaderConstLocalName(reader) else { return [] }
    return Array(UnsafeBufferPointer(start: name, count: strlen(name)))
  }
}

/// libxml2's read callback: `context` is the `XMLRecordReader`.
private func xmlReadFromSource(
  _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ len: Int32
) -> Int32 {
  guard let context, let buffer, len > 0 else { return -1 }
  let reader = Unmanaged<XMLRecordReader>.fromOpaque(context).takeUnretainedValue()
  return reader.read(into: buffer, Int(len))
}

/// libxml2's error callback: keeps the first error's message.
private func xmlRecordError(
  _ context: UnsafeMutableRawPointer?, _ message: UnsafePointer<CChar>?, _ severity: xmlParserSeverities,
  _ locator: xmlTextReaderLocatorPtr?
) {
  guard let context, let message else { return }
  guard severity == XML_PARSER_SEVERITY_ERROR || severity == XML_PARSER_SEVERITY_VALIDITY_ERROR else { return }
  let reader = Unmanaged<XMLRecordReader>.fromOpaque(context).takeUnretainedValue()
  if reader.firstError == nil {
    var text = String(cString: message)
    while text.last == "\n" { text.removeLast() }
    reader.firstError = text
  }
}

private func strlen(_ p: UnsafePointer<UInt8>) -> Int {
  var n = 0
  while p[n] != 0 { n += 1 }
  return n
}

private func strlen(_ p: UnsafePointer<CChar>) -> Int {
  var n = 0
  while p[n] != 0 { n += 1 }
  return n
}

/// Finds `<name` / `<prefix:name` start tags in a byte stream fed in pieces, outside comments, CDATA sections
/// and processing instructions, and queues their line and offset.
struct RecordTagScanner {
  enum State { case text, tagName, bang, comment, cdata, pi }
  let name: [UInt8]
  var state = State.text
  var line = 1
  var offset = 0
  var tagLine = 0
  var tagOffset = 0
  var tagName: [UInt8] = []
  var bang: [UInt8] = []
  var tail: (UInt8, UInt8) = (0, 0)
  var found: [(line: Int, offset: Int)] = []
  var head = 0
  /// The name of the last element tag seen, as written (`/` first for an end tag).
  var lastTag: [UInt8] = []
  /// Queue the ends of the record end tags (just past `</name>`) instead of the record start tags.
  var findsEnds = false

  init(name: [UInt8]) { self.name = name }

  /// The offset of the next queued tag, if any.
  var nextOffset: Int? { head < found.count ? found[head].offset : nil }

  mutating func popFirst() -> (line: Int, offset: Int)? {
    guard head < found.count else { return nil }
    let r = found[head]
    head += 1
    if head > 1024 && head * 2 > found.count {
      found.removeFirst(head)
      head = 0
    }
    return r
  }

  mutating func scan(_ bytes: UnsafeRawBufferPointer) {
    for b in bytes {
      switch state {
      case .text:
        if b == UInt8(ascii: "<") {
          state = .tagName
          tagName.removeAll(keepingCapacity: true)
          tagLine = line
          tagOffset = offset
        }
      case .tagName:
        if tagName.isEmpty && b == UInt8(ascii: "!") {
          state = .bang
          bang.removeAll(keepingCapacity: true)
        } else if tagName.isEmpty && b == UInt8(ascii: "?") {
          state = .pi
          tail = (0, 0)
        } else if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == UInt8(ascii: ">")
          || b == UInt8(ascii: "/")
            && !tagName.isEmpty
        {
          var local = tagName[...]
          if let colon = tagName.lastIndex(of: UInt8(ascii: ":")) { local = tagName[(colon + 1)...] }
          if tagName.first != UInt8(ascii: "/") && local.elementsEqual(name) && !findsEnds {
            found.append((tagLine, tagOffset))
          } else if findsEnds && tagName.first == UInt8(ascii: "/") && b == UInt8(ascii: ">") {
            let end = local.first == UInt8(ascii: "/") ? local.dropFirst() : local
            if end.elementsEqual(name) { found.append((line, offset &+ 1)) }
          }
          lastTag.removeAll(keepingCapacity: true)
          lastTag.append(contentsOf: tagName)
          state = .text
        } else if tagName.count < 256 {
          tagName.append(b)
        }
        if state == .tagName && b == UInt8(ascii: "<") { state = .text }
      case .bang:
        bang.append(b)
        if bang == Array("--".utf8) {
          state = .comment
          tail = (0, 0)
        } else if bang == Array("[CDATA[".utf8) {
          state = .cdata
          tail = (0, 0)
        } else if !Array("[CDATA[".utf8).starts(with: bang) && !Array("--".utf8).starts(with: bang) {
          state = .text  // <!DOCTYPE, <!ENTITY ...
        }
      case .comment, .cdata, .pi:
        let closing: Bool
        switch state {
        case .comment: closing = b == UInt8(ascii: ">") && tail == (UInt8(ascii: "-"), UInt8(ascii: "-"))
        case .cdata: closing = b == UInt8(ascii: ">") && tail == (UInt8(ascii: "]"), UInt8(ascii: "]"))
        default: closing = b == UInt8(ascii: ">") && tail.1 == UInt8(ascii: "?")
        }
        tail = (tail.1, b)
        if closing { state = .text }
      }
      if b == 0x0A { line &+= 1 }
      offset &+= 1
    }
  }
}
