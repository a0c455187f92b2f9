import PrepCore
import PrepJSON
import PrepTestSupport
import Testing

@Suite struct JSONParserTests {
  func parse(_ bytes: [UInt8], _ options: JSONParseOptions = JSONParseOptions()) -> Result<JSONValue, JSONError> {
    do throws(JSONError) { return .success(try JSONValue.parse(bytes, options: options)) } catch {
      return .failure(error)
    }
  }

  func error(_ text: String) -> JSONError? {
    if case .failure(let e) = parse(Array(text.utf8)) { return e }
    return nil
  }

  @Test func parsesValuesInDocumentOrder() throws {
    let v = try JSONValue.parse(#" {"b": [1, -2.5e3, true, false, null], "a": {"x": "y"}, "b": "last"} "#)
    let o = try #require(v.objectValue)
    #expect(o.keys == ["b", "a", "b"])
    #expect(o["b"] == .string("last"))
    #expect(o.values[0] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
    #expect(v.lookup("a.x") == .string("y"))
  }

  @Test func acceptsPythonSpecialNumbers() throws {
    #expect(
      try JSONValue.parse("[NaN, Infinity, -Infinity]")
        == .array([
          .number("NaN"), .number("Infinity"),
          .number("-Infinity"),
        ]))
    #expect(error("-NaN")?.kind == .invalidNumber)
    #expect(error("nan") != nil)
  }

  @Test func decodesEscapesAndSurrogatePairs() throws {
    let v = try JSONValue.parse(#""a\"\\\/\b\f\n\r\t\u00e9\u4e2d\ud83d\ude00z""#)
    #expect(v == .string("a\"\\/\u{8}\u{c}\n\r\té中😀z"))
  }

  @Test func loneSurrogatesBecomeReplacementCharacterAndAreCounted() throws {
    var count = 0
    let text = Array(#"["\ud800", "\udc00x", "\ud83d\ud83d\ude00", "\ud800\u0041"]"#.utf8)
    let v = try text.withUnsafeBytes { raw in try JSONValue.parse(raw, loneSurrogates: &count) }
    #expect(v == .array([.string("\u{FFFD}"), .string("\u{FFFD}x"), .string("\u{FFFD}😀"), .string("\u{FFFD}A")]))
    #expect(count == 4)
    guard case .failure(let e) = parse(Array(#"["ok", "\udfff"]"#.utf8), JSONParseOptions(loneSurrogates: .reject))
    else {
      Issue.record("lone surrogate accepted under .reject")
      return
    }
    #expect(e.kind == .loneSurrogate)
    #expect(e.offset == 8)
  }

  @Test func reportsOffsetsAndWhatWasExpected() {
    #expect(error("[1, 2,]") == JSONError(.unexpectedCharacter, at: 6, "unexpected ']', expected a value"))
    #expect(error(#"{"a" 1}"#)?.offset == 5)
    #expect(error(#"{"a":1,}"#)?.message.contains("property name") == true)
    #expect(error("[1] x")?.kind == .trailingData)
    #expect(error("[1] x")?.offset == 4)
    #expect(error("")?.kind == .unexpectedEnd)
    #expect(error(#""abc"#)?.kind == .unexpectedEnd)
    #expect(error("01")?.kind == .trailingData)
    #expect(error("1.")?.kind == .invalidNumber)
    #expect(error("1.")?.offset == 2)
    #expect(error("-")?.kind == .unexpectedEnd)
    #expect(error("1e+")?.kind == .invalidNumber)
    #expect(error(#""\x41""#)?.kind == .invalidEscape)
    #expect(error(#""\u12G4""#)?.kind == .invalidEscape)
    #expect(error("\"a\tb\"")?.kind == .controlCharacter)
    #expect(error("\"a\tb\"")?.offset == 2)
    #expect(error("tru")?.kind == .unexpectedEnd)
    #expect(error("[1 2]")?.description == "unexpected '2', expected ',' or ']' after an array element at byte 3")
  }

  @Test func invalidUTF8IsReportedWithItsOffset() {
    // In a plain string, in a string with escapes, outside strings, and truncated sequences.
    let cases: [([UInt8], Int)] = [
      (Array(#"{"a":"ab"#.utf8) + [0xFF] + Array(#""}"#.utf8), 8),
      (Array(#"["x\n"#.utf8) + [0xE4, 0xB8] + Array(#"\n"]"#.utf8), 5),
      (Array(#"["\n中"#.utf8) + [0xC0, 0x80, 0x22, 0x5D], 7),
      ([0x5B, 0xFF, 0x5D], 1),
      ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // an encoded surrogate
      ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
    ]
    for (bytes, offset) in cases {
      guard case .failure(let e) = parse(bytes) else {
        Issue.record("accepted \(bytes)")
        continue
      }
      #expect(e.kind == .invalidUTF8, "\(bytes)")
      #expect(e.offset == offset, "\(bytes)")
    }
  }

  @Test func specialBytesAreFoundAtEveryPositionOfTheWordScan() throws {
    // The string scanner reads 8 bytes at a time: put each special byte at every offset of a word.
    for length in 0..<24 {
      for at in 0...length {
        var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
        body.insert(contentsOf: Array(#"\""#.utf8), at: at)
        let v = try JSONValue.parse([0x22] + body + [0x22])
        var expected = String(repeating: "a", count: length)
        expected.insert("\"", at: expected.index(expected.startIndex, offsetBy: at))
        #expect(v == .string(expected))
        var bad = [UInt8](repeating: UInt8(ascii: "b"), count: length)
        bad.insert(0x01, at: at)
        guard case .failure(let e) = parse([0x22] + bad + [0x22]) else {
          Issue.record("control character accepted")
          continue
        }
        #expect(e.kind == .controlCharacter)
        #expect(e.offset == 1 + at)
      }
    }
    let mixed = String(repeating: "中文 and English\\n", count: 50)
    let v = try JSONValue.parse("\"" + mixed + "\"")
    #expect(v == .string(String(repeating: "中文 and English\n", count: 50)))
  }

  /// Strings with escapes decode to what was escaped, whatever the lengths of the raw runs between escapes
  /// and wherever the string ends (last bytes of the document or not): the decoder copies raw runs a word at
  /// a time, so each run length and each distance from the end of the input is tried.
  @Test func escapedStringsRoundTripAtEveryRunLengthAndPosition() throws {
    var generator = SplitMix64(seed: 11)
    let pieces: [(raw: String, text: String)] = [
      (#"\n"#, "\n"), (#"\""#, "\""), (#"\\"#, "\\"), (#"\/"#, "/"), (#"\u00e9"#, "é"), (#"\u4e2D"#, "中"),
      (#"\ud83d\ude00"#, "😀"), ("é", "é"), ("中", "中"), ("😀", "😀"),
    ]
    for _ in 0..<3000 {
      var raw = ""
      var text = ""
      for _ in 0..<Int(generator.next() % 6) {
        let run = String(repeating: "x", count: Int(generator.next() % 20))
        let piece = pieces[Int(generator.next() % UInt64(pieces.count))]
        raw += run + piece.raw
        text += run + piece.text
      }
      let tail = String(repeating: "y", count: Int(generator.next() % 12))
      raw += tail
      text += tail
      // Alone (the closing quote is the document's last byte), then inside an object with more after it.
      #expect(try JSONValue.parse("\"" + raw + "\"") == .string(text), "\(raw)")
      let padding = String(repeating: " ", count: Int(generator.next() % 9))
      let doc = "{\"a\": \"" + raw + "\"," + padding + #""b": "z\tz"}"#
      let value = try JSONValue.parse(doc)
      #expect(value.lookup("a") == .string(text) && value.lookup("b") == .string("z\tz"), "\(doc)")
    }
    // Unterminated after an escape, at every distance from the end.
    for n in 0..<20 {
      let doc = #""a\n"# + String(repeating: "x", count: n)
      #expect(error(doc)?.kind == .unexpectedEnd, "\(doc)")
    }
  }

  @Test func nestingIsLimited() {
    let deep = String(repeating: "[", count: 1001) + String(repeating: "]", count: 1001)
    #expect(error(deep)?.kind == .tooDeep)
    let ok = String(repeating: "[", count: 999) + String(repeating: "]", count: 999)
    #expect(error(ok) == nil)
  }

  @Test func parsesSlicesOfALargerBuffer() throws {
    let buffer = Array(#"xx{"a":1}yy"#.utf8)
    #expect(try JSONValue.parse(buffer[2..<9]) == .object(JSONObject(keys: ["a"], values: [.number("1")])))
  }

  @Test func lookupFollowsKeysAndIndices() throws {
    let v = try JSONValue.parse(#"{"a": {"b": [{"c": 1}, {"c": [5, 6]}]}, "a.b": 2, "0": "zero", "k": {"1": "one"}}"#)
    #expect(v.lookup("a.b.1.c.1") == .number("6"))
    #expect(v.lookup("a.b.0.c") == .number("1"))
    #expect(v.lookup("a.b.2") == nil)
    #expect(v.lookup("a.b.-1") == nil)
    #expect(v.lookup("a.x") == nil)
    #expect(v.lookup("0") == .string("zero"))
    #expect(v.lookup("k.1") == .string("one"))
    #expect(v.lookup(components: ["a.b"]) == .number("2"))
    #expect(v.lookup("") == v)
  }

  @Test func keysCompareByCodePointsNotCanonicalEquivalence() throws {
    let v = try JSONValue.parse(#"{"\u00e9": 1, "e\u0301": 2}"#)
    #expect(v.objectValue?["\u{e9}"] == .number("1"))
    #expect(v.objectValue?["e\u{301}"] == .number("2"))
    #expect(pythonStr(v) == "{'é': 1, 'é': 2}")
  }

  @Test func extractFieldsMatchesFullParse() throws {
    let docs = [
      #"{"text": "中文\n", "meta": {"x": [1, {"text": "inner"}]}, "id": 7}"#,
      #"{"id": 1, "text": "a", "text": "b"}"#,
      #"{"t\u0065xt": "escaped key", "other": "\u00e9"}"#,
      #"{}"#,
    ]
    for doc in docs {
      let full = try #require(try JSONValue.parse(doc).objectValue)
      let got = try #require(try JSONValue.extractFields(["text", "id", "missing"], from: Array(doc.utf8)))
      #expect(got == [full["text"], full["id"], nil], "\(doc)")
    }
    #expect(try JSONValue.extractFields(["a"], from: Array("[1]".utf8)) == nil)
  }

  @Test func extractFieldsRejectsWhatParseRejects() throws {
    expectRejectionsLikeParse("extractFields") { doc throws(JSONError) in
      _ = try JSONValue.extractFields(["text"], from: doc)
    }
  }

  /// `withStringField` hands over exactly the bytes of the string `parse` builds, says missing / not a
  /// string / not an object as `parse` would, and fails with `parse`'s error on every bad document.
  @Test func withStringFieldMatchesFullParse() throws {
    func field(_ doc: [UInt8]) throws(JSONError) -> StringField<[UInt8]> {
      let result: Result<StringField<[UInt8]>, JSONError> = doc.withUnsafeBytes { raw in
        do throws(JSONError) {
          return .success(try JSONValue.withStringField("text", from: raw) { Array($0.bytes) })
        } catch {
          return .failure(error)
        }
      }
      return try result.get()
    }
    let docs = [
      #"{"text": "中文\n", "meta": {"x": [1, {"text": "inner"}]}, "id": 7}"#,
      #"{"id": 1, "text": "a", "text": "b \"q\" \\ \/ \b\f\r\t \u00e9 \ud83d\ude00"}"#,
      #"{"t\u0065xt": "escaped key", "other": "\u00e9"}"#,
      #"{"text": "plain, no escapes: ünïcödé"}"#,
      #"{"text": "lone \udc00 \ud800 x"}"#,
      #"{"text": ""}"#,
      #"{"text": "\n"}"#,
      #"  {"text" : "spaced" }  "#,
      // Escapes after the decoded field must not overwrite it; the last of repeated keys wins.
      #"{"text": "a\nb \u4e2d", "other": "x\ty\u00e9\"", "t\u0065xt2": 1}"#,
      #"{"text": "first\n", "text": "second plain"}"#,
      #"{"text": "first plain", "x": "\n", "text": "second\tescaped", "y": "\r\n\r\n\r\n"}"#,
    ]
    for doc in docs {
      let full = try #require(try JSONValue.parse(doc).objectValue)
      guard case .string(let bytes) = try field(Array(doc.utf8)) else {
        Issue.record("no string in \(doc)")
        continue
      }
      #expect(full["text"] == .string(String(decoding: bytes, as: UTF8.self)), "\(doc)")
    }
    guard case .missing = try field(Array(#"{"id": 1, "texts": "x"}"#.utf8)) else {
      Issue.record("a missing field was found")
      return
    }
    guard case .notAString(let value) = try field(Array(#"{"text": [1, "a"]}"#.utf8)) else {
      Issue.record("a list was taken for a string")
      return
    }
    #expect(value == (try JSONValue.parse(#"[1, "a"]"#)))
    guard case .notAnObject = try field(Array("[1]".utf8)) else {
      Issue.record("a list document was taken for an object")
      return
    }
    expectRejectionsLikeParse("withStringField") { doc throws(JSONError) in _ = try field(doc) }
  }
}

/// Documents every reader must reject: invalid UTF-8 inside and outside the wanted field, a trailing comma,
/// a bad escape, an unterminated string, a leading zero, trailing content.
private let badDocuments: [[UInt8]] = [
  Array(#"{"text": "ok", "x": "a"#.utf8) + [0xFF] + Array(#""}"#.utf8),
  Array(#"{"text": "o"#.utf8) + [0xC3] + Array(#"k"}"#.utf8),
  Array(#"{"text": "ok", "x": [1,]}"#.utf8),
  Array(#"{"x": "\q", "text": 1}"#.utf8),
  Array(#"{"text": "unterminated}"#.utf8),
  Array(#"{"x": 01}"#.utf8),
  Array(#"{"x": 1} 2"#.utf8),
]

extension JSONParserTests {
  /// Expects `read` to fail on every bad document with exactly the error `parse` gives.
  func expectRejectionsLikeParse(_ name: String, _ read: ([UInt8]) throws(JSONError) -> Void) {
    for doc in badDocuments {
      guard case .failure(let expected) = parse(doc) else {
        Issue.record("parse accepted \(doc)")
        continue
      }
      do throws(JSONError) {
        try read(doc)
        Issue.record("\(name) accepted \(doc)")
      } catch {
        #expect(error == expected, "\(name)")
      }
    }
  }
}
