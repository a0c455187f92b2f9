import PrepCore
import PrepJSON
import PrepTestSupport

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A small order-preserving JSON reader for the golden file (the real parser lives in PrepJSON).
struct TestJSONReader {
  let bytes: [UInt8]
  var i = 0

  static func parse(_ bytes: [UInt8]) throws -> JSONValue {
    var r = TestJSONReader(bytes: bytes)
    return try r.value()
  }

  struct Bad: Error { var offset: Int }

  mutating func skip() { while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 } }

  mutating func value() throws -> JSONValue {
    skip()
    guard i < bytes.count else { throw Bad(offset: i) }
    switch bytes[i] {
    case UInt8(ascii: "{"):
      i += 1
      var object = JSONObject()
      skip()
      if bytes[i] == UInt8(ascii: "}") {
        i += 1
        return .object(object)
      }
      while true {
        skip()
        guard case .string(let key) = try value() else { throw Bad(offset: i) }
        skip()
        i += 1  // :
        object.keys.append(key)
        object.values.append(try value())
        skip()
        let c = bytes[i]
        i += 1
        if c == UInt8(ascii: "}") { return .object(object) }
      }
    case UInt8(ascii: "["):
      i += 1
      var items = [JSONValue]()
      skip()
      if bytes[i] == UInt8(ascii: "]") {
        i += 1
        return .array(items)
      }
      while true {
        items.append(try value())
        skip()
        let c = bytes[i]
        i += 1
        if c == UInt8(ascii: "]") { return .array(items) }
      }
    case UInt8(ascii: "\""):
      i += 1
      var out = [UInt8]()
      while bytes[i] != UInt8(ascii: "\"") {
        if bytes[i] == UInt8(ascii: "\\") {
          i += 1
          let e = bytes[i]
          i += 1
          switch e {
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "u"):
            var code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) ?? 0xFFFD
            i += 4
            if (0xD800..<0xDC00).contains(code), bytes[i] == UInt8(ascii: "\\") {
              let low = UInt32(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16) ?? 0
              i += 6
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            }
            out += Array(String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
          default: out.append(e)
          }
        } else {
          out.append(bytes[i])
          i += 1
        }
      }
      i += 1
      return .string(String(decoding: out, as: UTF8.self))
    case UInt8(ascii: "t"):
      i += 4
      return .bool(true)
    case UInt8(ascii: "f"):
      i += 5
      return .bool(false)
    case UInt8(ascii: "n"):
      i += 4
      return .null
    default:
      let start = i
      while i < bytes.count, !",]} \n".utf8.contains(bytes[i]) { i += 1 }
      return .number(String(decoding: bytes[start..<i], as: UTF8.self))
    }
  }
}

/// An encoder that knows only the texts the oracle tokenized (with the real Qwen3 ids). A text it does not
/// know yields the sentinel id `GoldenEncoder.unknown`, so a recipe that tokenizes different segments than
/// the oracle cannot match the oracle's ids.
struct GoldenEncoder: TokenEncoder {
  static let unknown: UInt32 = 0xFFFF_FFFF
  let table: [String: [UInt32]]
  let added: [String: UInt32]

  func encode(_ text: String, into ids: inout [UInt32]) {
    if let known = table[text] { ids += known } else { ids.append(Self.unknown) }
  }
  func addedTokenID(_ content: String) -> UInt32? { added[content] }
  func decode(_ ids: [UInt32]) -> String { "" }
  var vocabularySize: Int { 151_669 }
}

/// The parsed `Golden/oracle.json`.
struct Golden {
  let root: JSONObject
  let encoder: GoldenEncoder

  static func load() throws -> Golden {
    let path = TestPaths.root + "/Tests/PrepTemplateTests/Golden/oracle.json"
    guard let data = FileManager.default.contents(atPath: path) else { throw TestJSONReader.Bad(offset: -1) }
    guard case .object(let root) = try TestJSONReader.parse(Array(data)) else { throw TestJSONReader.Bad(offset: 0) }
    var table = [String: [UInt32]]()
    if case .array(let pairs)? = root["encodings"] {
      for pair in pairs {
        if case .array(let kv) = pair, case .string(let text) = kv[0] { table[text] = ids(kv[1]) }
      }
    }
    var added = [String: UInt32]()
    if case .object(let a)? = root["added"] {
      for (k, v) in zip(a.keys, a.values) { if case .number(let n) = v { added[k] = UInt32(n) } }
    }
    return Golden(root: root, encoder: GoldenEncoder(table: table, added: added))
  }

  /// Records and oracle outputs of one recipe.
  func cases(_ name: String) -> [(record: JSONObject, output: JSONObject)] {
    guard case .object(let entry)? = root[name], case .array(let records)? = entry["records"],
      case .array(let outputs)? = entry["outputs"]
    else { return [] }
    var out = [(JSONObject, JSONObject)]()
    for (r, o) in zip(records, outputs) {
      if case .object(let record) = r, case .object(let output) = o { out.append((record, output)) }
    }
    return out
  }
}

/// The numbers of a JSON list.
func ids(_ value: JSONValue?) -> [UInt32] {
  guard case .array(let items)? = value else { return [] }
  return items.compactMap { if case .number(let n) = $0 { UInt32(n) } else { nil } }
}

/// The numbers of a JSON list of labels (-100 allowed).
func labelList(_ value: JSONValue?) -> [Int64] {
  guard case .array(let items)? = value else { return [] }
  return items.compactMap { if case .number(let n) = $0 { Int64(n) } else { nil } }
}
