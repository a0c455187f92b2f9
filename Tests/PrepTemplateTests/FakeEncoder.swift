import PrepCore
import PrepJSON
import PrepTemplate

/// A tokenizer stand-in: the three control tokens are matched literally (151643...151645), every other UTF-8
/// byte is its own id. Enough to check structure, masks and truncation; real ids come from golden tests.
struct FakeEncoder: TokenEncoder {
  static let added: [(String, UInt32)] = [
    ("<|endoftext|>", 151_643), ("<|im_start|>", 151_644), ("<|im_end|>", 151_645),
  ]

  func encode(_ text: String, into ids: inout [UInt32]) {
    let bytes = Array(text.utf8)
    var i = 0
    outer: while i < bytes.count {
      for (content, id) in Self.added {
        let c = Array(content.utf8)
        if i + c.count <= bytes.count && Array(bytes[i..<(i + c.count)]) == c {
          ids.append(id)
          i += c.count
          continue outer
        }
      }
      ids.append(UInt32(bytes[i]))
      i += 1
    }
  }

  func addedTokenID(_ content: String) -> UInt32? { Self.added.first { $0.0 == content }?.1 }

  func decode(_ ids: [UInt32]) -> String {
    var bytes = [UInt8]()
    for id in ids {
      if let added = Self.added.first(where: { $0.1 == id }) { bytes += added.0.utf8 } else { bytes.append(UInt8(id)) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  var vocabularySize: Int { 151_646 }
}

let fake = FakeEncoder()
let imStart: UInt32 = 151_644
let imEnd: UInt32 = 151_645
let eot: UInt32 = 151_643
let nl = UInt32(UInt8(ascii: "\n"))

func context() throws -> RecipeContext<FakeEncoder> { try RecipeContext(encoder: fake) }

func enc(_ s: String) -> [UInt32] { fake.encode(s) }

/// Builds a JSON object from (key, value) pairs.
func object(_ pairs: [(String, JSONValue)]) -> JSONObject {
  JSONObject(keys: pairs.map(\.0), values: pairs.map(\.1))
}

/// Oracle-style labels: the id where trained, -100 elsewhere.
func labels(_ s: Sample) -> [Int64] { s.labels }

extension RecipeOutcome {
  var sample: Sample? { if case .sample(let s, _) = self { s } else { nil } }
  var truncated: Bool? { if case .sample(_, let t) = self { t } else { nil } }
  var rejectReason: RejectReason? { if case .rejected(let r, _) = self { r } else { nil } }
  var rejectDetail: String? { if case .rejected(_, let d) = self { d } else { nil } }
}
