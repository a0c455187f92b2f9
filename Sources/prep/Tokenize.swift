import ArgumentParser
import PrepCore
import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// `prep tokenize`: the tokenizer on its own, for checking it by eye, for conformance runs and for benchmarks.
struct Tokenize: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Tokenize text (or decode ids) with the Qwen tokenizer.",
    discussion: """
      prep tokenize "你好, world"                   ids and pieces
      prep tokenize --jsonl FILE [--field text]     one JSON array of ids per record, in input order
      cat a.jsonl b.jsonl | prep tokenize --jsonl -  the same from standard input
      prep tokenize --jsonl FILE --count            totals only: documents, bytes, tokens, seconds (JSON)
      prep tokenize --decode "108386 11 1879"       ids (spaces, commas or a JSON array) back to text
      prep tokenize -- "-1 is negative"             text that starts with - goes after --
      """)

  @Argument(
    help: """
      Text to tokenize (or ids to decode with --decode). When omitted, standard input without one final line \
      break (\\n or \\r\\n, as echo adds).
      """)
  var text: String?

  @Option(
    name: .long,
    help: """
      A JSONL file (or a JSON array file; .zst, .gz, .bz2 or .xz compressed) to tokenize record by record; - reads \
      standard input. Blank lines are not records; a record that cannot be read prints null (and why, on standard \
      error).
      """)
  var jsonl: String?

  @Option(name: .long, help: "The field holding the text in each record (a dotted path for nested fields).")
  var field: String = "text"

  @Flag(name: .long, help: "With --jsonl: print only totals (documents, bytes, tokens, seconds) as JSON.")
  var count = false

  @Flag(name: .long, help: "Decode ids back to text instead of tokenizing.")
  var decode = false

  @OptionGroup var tokenizerOptions: TokenizerOptions
  @OptionGroup var workerOptions: WorkerOptions

  func validate() throws {
    if jsonl != nil && text != nil { throw ValidationError("give either TEXT or --jsonl FILE, not both") }
    if count && jsonl == nil { throw ValidationError("--count goes with --jsonl FILE") }
    if decode && jsonl != nil { throw ValidationError("--decode takes ids as TEXT, not --jsonl") }
    if field.split(separator: ".", omittingEmptySubsequences: false).contains("") {
      throw ValidationError("--field takes a field name or a dotted path of them (a.b), not '\(field)'")
    }
  }

  func run() throws {
    let tokenizer = try tokenizerOptions.load()
    if let jsonl {
      // `-` is standard input (a pipe works: the input is read front to back once).
      try TokenizeJSONL(
        path: jsonl == "-" ? "/dev/stdin" : jsonl, field: field, countOnly: count, workers: workerOptions.count,
        tokenizer: tokenizer
      ).run()
      return
    }
    let input = text ?? readStandardInput()
    if decode {
      print(tokenizer.decode(try parseIDs(input, vocabularySize: tokenizer.vocabularySize)))
      return
    }
    let ids = tokenizer.encode(input)
    print("[" + ids.map(String.init).joined(separator: ", ") + "]")
    let width = ids.map { String($0).count }.max() ?? 1
    for id in ids {
      let idText = String(id)
      print("  " + String(repeating: " ", count: width - idText.count) + idText + "  " + pieceDisplay(tokenizer, id))
    }
    print("\(ids.count) tokens, \(input.utf8.count) bytes")
  }
}

/// A token's text for display: quoted, with whitespace and control characters escaped; a piece that is not valid
/// UTF-8 on its own (part of a multi-byte character) is shown as its bytes in hex.
func pieceDisplay(_ tokenizer: Tokenizer, _ id: UInt32) -> String {
  let bytes = tokenizer.pieceBytes(for: id) ?? []
  guard let text = String(validating: bytes, as: UTF8.self) else {
    return "<"
      + bytes.map { byte in
        let h = String(byte, radix: 16)
        return h.count == 1 ? "0" + h : h
      }.joined(separator: " ") + ">"
  }
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    default:
      if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
  }
  return out + "\""
}

/// Ids written as `1 2 3`, `1,2,3` or `[1, 2, 3]`.
func parseIDs(_ text: String, vocabularySize: Int) throws -> [UInt32] {
  var ids: [UInt32] = []
  for part in text.split(whereSeparator: { " ,[]\n\t\r".contains($0) }) {
    guard let id = UInt32(part), Int(id) < vocabularySize else {
      throw ValidationError("'\(part)' is not a token id (0..<\(vocabularySize))")
    }
    ids.append(id)
  }
  return ids
}

/// All of standard input as text, without one final line break (`\n` or `\r\n`, as `echo` adds).
func readStandardInput() -> String {
  var bytes: [UInt8] = []
  while let line = readLine(strippingNewline: false) { bytes += Array(line.utf8) }
  if bytes.last == 0x0A {
    bytes.removeLast()
    if bytes.last == 0x0D { bytes.removeLast() }
  }
  return String(decoding: bytes, as: UTF8.self)
}
