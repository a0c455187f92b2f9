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
    let context = Unmanaged.passUnretained(self).toOpaque()
    let flags = Int32(
      XML_PARSE_NONET.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_COMPACT.rawValue | XML_PARSE_BIG_LINES.rawValue)
    // The corresponding C function is `xmlReaderForIO`.
    guard let r = xmlReaderForIO(xmlReadFromSource, nil, context, path, nil, flags) else {
      throw InputError(.xml, file: path, "libxml2 could not create a reader")
    }
    reader = r
    // The corresponding C function is `xmlTextReaderSetErrorHandler`.
    xmlTextReaderSetErrorHandler(r, xmlRecordError, context)
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
    if pending.count - pendingPos < len && !sourceDone {
      pending.removeSubrange(0..<pendingPos)
      pendingPos = 0
      do {
        while pending.count < len {
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
    let n = min(len, pending.count - pendingPos)
    pending.withUnsafeBytes { raw in
      guard let base = raw.baseAddress, n > 0 else { return }
      UnsafeMutableRawPointer(buffer).copyMemory(from: base + pendingPos, byteCount: n)
      tags.scan(UnsafeRawBufferPointer(start: base + pendingPos, count: n))
    }
    pendingPos += n
    return Int32(n)
  }

  /// The line and byte offset of the record start tag the reader is on: the next tag the scanner found
  /// (libxml2's own line, which runs ahead, if the scanner was fooled, e.g. by a processing instruction).
  private func location(_ reader: OpaquePointer) -> (line: Int, offset: Int) {
    if let next = tags.popFirst() { return next }
    return (Int(xmlTextReaderGetParserLineNumber(reader)), Int(xmlTextReaderByteConsumed(reader)))
  }

  /// The next chunk of records, or nil at the end of the document.
  func nextChunk() throws(InputError) -> (bytes: [UInt8], records: [ChunkRecord])? {
    guard let reader, !done else { return nil }
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
      // The corresponding C function is `xmlTextReaderRead`.
      let status = xmlTextReaderRead(reader)
      if status == 0 {
        done = true
        break
      }
      if status < 0 {
        done = true
        if let sourceError { throw sourceError }
        let line = Int(xmlTextReaderGetParserLineNumber(reader))
        throw InputError(.xml, file: path, line: line, firstError ?? "malformed XML")
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
          for k in 0..<fieldText.count { fieldText[k] = [] }
          continue
        }
        fieldText[activeField].append(contentsOf: UnsafeRawBufferPointer(start: value, count: n))
      default:
        continue
      }
    }
    return records.isEmpty ? nil : (writer.bytes, records)
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

  init(name: [UInt8]) { self.name = name }

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
          if tagName.first != UInt8(ascii: "/") && local.elementsEqual(name) { found.append((tagLine, tagOffset)) }
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
