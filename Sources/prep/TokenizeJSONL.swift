import ArgumentParser
import Dispatch
import PrepCore
import PrepInput
import PrepJSON
import PrepPipeline
import PrepTokenizer

/// `prep tokenize --jsonl`: every record's text field tokenized, in parallel, printed in input order.
struct TokenizeJSONL {
  let path: String
  let field: String
  let countOnly: Bool
  let workers: Int
  let tokenizer: Tokenizer

  /// One chunk's ids, flat, with the end of each record's ids (nil for a record without a usable text).
  struct Output: Sendable {
    var ids: [UInt32] = []
    var ends: [Int?] = []
    var bytes = 0
    var rejects: [Reject] = []
  }

  func run() throws {
    let reader: InputReader
    var options = InputOptions()
    options.chunkSize = 1 << 20  // small units of work balance two or more workers on inputs of any size
    options.decodeThreads = workers
    do { reader = try InputReader(paths: [path], options: options) } catch { fail(error.description, code: 1) }
    let components = field.split(separator: ".").map(String.init)
    guard let first = components.first else { throw ValidationError("--field must name a field") }
    let rest = Array(components.dropFirst())
    let tokenizer = self.tokenizer
    let start = DispatchTime.now().uptimeNanoseconds
    var documents = 0
    var bytes = 0
    var tokens = 0
    var rejected = 0
    var out = StandardOutput()
    var line = JSONWriter(capacity: 1 << 16)
    try orderedMapReduce(
      workers: workers, window: workers * 4,
      next: { () throws -> Chunk? in
        do throws(InputError) { return try reader.next() } catch { fail(error.description, code: 1) }
      },
      map: { chunk in
        var o = Output()
        o.ids.reserveCapacity(chunk.bytes.count / 3)
        if rest.isEmpty {
          // A top-level field: its bytes go to the tokenizer straight from the record (no String).
          for i in 0..<chunk.count {
            switch chunk.withStringField(
              i, first,
              { (text: ValidUTF8) in
                o.bytes &+= text.bytes.count
                tokenizer.encode(text, into: &o.ids)
              })
            {
            case .success(.string):
              o.ends.append(o.ids.count)
              continue
            case .success(.missing):
              o.rejects.append(
                Reject(location: chunk.location(i), reason: .missingField, detail: "missing field '\(field)'"))
            case .success(.notAString), .success(.notAnObject):
              o.rejects.append(
                Reject(
                  location: chunk.location(i), reason: .wrongFieldType, detail: "field '\(field)' is not a string"))
            case .failure(let reject):
              o.rejects.append(reject)
            }
            o.ends.append(nil)
          }
          return o
        }
        for i in 0..<chunk.count {
          var text: String? = nil
          switch chunk.extractFields(i, [first]) {
          case .success(let values):
            let value = (values.first ?? nil)?.lookup(components: rest)
            text = value?.stringValue
            if text == nil {
              let why = value == nil ? "missing field '\(field)'" : "field '\(field)' is not a string"
              o.rejects.append(
                Reject(
                  location: chunk.location(i), reason: value == nil ? .missingField : .wrongFieldType,
                  detail: why))
            }
          case .failure(let reject):
            o.rejects.append(reject)
          }
          if let text {
            o.bytes &+= text.utf8.count
            tokenizer.encode(text, into: &o.ids)
            o.ends.append(o.ids.count)
          } else {
            o.ends.append(nil)
          }
        }
        return o
      },
      reduce: { (o: Output) in
        var begin = 0
        for end in o.ends {
          documents += 1
          guard let end else {
            if !countOnly { out.write("null\n") }
            continue
          }
          if !countOnly {
            line.reset()
            line.writeArray(Array(o.ids[begin..<end]))
            line.writeByte(0x0A)
            out.write(bytes: line.bytes)
          }
          begin = end
        }
        bytes += o.bytes
        tokens += o.ids.count
        rejected += o.rejects.count
        for r in o.rejects { writeStderr("skipped \(r.location): \(r.reason.rawValue): \(r.detail)\n") }
      })
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if countOnly {
      out.write(
        "{\"documents\":\(documents),\"bytes\":\(bytes),\"tokens\":\(tokens),\"rejected\":\(rejected),"
          + "\"seconds\":\(fixed(seconds, 4)),\"workers\":\(workers)}\n")
    }
    out.flush()
  }
}
