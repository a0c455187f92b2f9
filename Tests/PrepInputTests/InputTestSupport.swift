import PrepCore
import PrepInput
import PrepTestSupport

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// One record as the tests compare them: location, bytes (or the reader's reject reason).
struct Seen: Equatable, CustomStringConvertible {
  var file: String
  var line: Int
  var offset: Int
  var bytes: [UInt8]
  var reject: RejectReason?

  var text: String { String(decoding: bytes, as: UTF8.self) }

  var description: String { "\(file):\(line)@\(offset) \(reject?.rawValue ?? text)" }
}

/// Reads every chunk; checks chunk numbering and that each chunk holds whole records in order.
func readAll(
  _ paths: [String], _ options: InputOptions, partition: InputPartition? = nil
) throws -> (records: [Seen], chunks: [Chunk]) {
  let reader = try InputReader(paths: paths, options: options, partition: partition)
  var seen: [Seen] = []
  var chunks: [Chunk] = []
  while let chunk = try reader.next() {
    for i in 0..<chunk.count {
      let r = chunk.records[i]
      seen.append(
        Seen(
          file: chunk.file, line: r.line, offset: r.byteOffset,
          bytes: Array(chunk.recordBytes(i)), reject: r.readerReject))
    }
    chunks.append(chunk)
  }
  return (seen, chunks)
}

func fileBytes(_ path: String) -> [UInt8] {
  [UInt8](FileManager.default.contents(atPath: path) ?? Data())
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// For a plain file: each kept record's bytes are found at its byte offset, and its line number is one
/// more than the newlines before that offset.
func checkLocations(_ seen: [Seen], in bytes: [UInt8]) -> [String] {
  var problems: [String] = []
  for s in seen {
    let newlines = bytes[0..<min(s.offset, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    if s.line != newlines + 1 { problems.append("line of \(s)") }
    if s.reject == nil {
      let raw = s.bytes
      if s.offset + raw.count > bytes.count || Array(bytes[s.offset..<(s.offset + raw.count)]) != raw {
        problems.append("bytes of \(s)")
      }
    }
  }
  return problems
}
