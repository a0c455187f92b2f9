import PrepJSON
import PrepTestSupport
import Testing

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

@Suite struct PythonReprTests {
  /// Every line of fixtures/json/repr_golden.jsonl (made by scripts/json/make_repr_golden.py): the input text
  /// parses exactly when Python's json.loads accepts it, and renders as Python's f-string does.
  @Test func matchesPythonGoldenRendering() throws {
    let data = try #require(FileManager.default.contents(atPath: TestPaths.fixture("json/repr_golden.jsonl")))
    var checked = 0
    for line in [UInt8](data).split(separator: UInt8(ascii: "\n")) {
      let golden = try #require(try JSONValue.parse(line).objectValue)
      let text = try #require(golden["json"]?.stringValue)
      let input = Array(text.utf8)
      if golden["error"] != nil {
        #expect(throws: JSONError.self, "\(text)") { try JSONValue.parse(input) }
      } else if golden["lone_surrogate"] != nil {
        var replaced = 0
        _ = try input.withUnsafeBytes { raw in try JSONValue.parse(raw, loneSurrogates: &replaced) }
        #expect(replaced > 0, "\(text)")
      } else {
        let value = try JSONValue.parse(input)
        #expect(pythonStr(value) == golden["str"]?.stringValue, "\(text)")
      }
      checked += 1
    }
    #expect(checked > 2000)
  }

  /// The printability table agrees with Python's str.isprintable() on every code point.
  @Test func printabilityMatchesPythonEverywhere() throws {
    let data = try #require(FileManager.default.contents(atPath: TestPaths.fixture("json/nonprintable.txt")))
    var nonPrintable = [Bool](repeating: false, count: 0x110000)
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
      let parts = line.split(separator: " ")
      let a = try #require(Int(parts[0], radix: 16))
      let b = try #require(Int(parts[1], radix: 16))
      for cp in a...b { nonPrintable[cp] = true }
    }
    var mismatches: [String] = []
    for cp in 0..<0x110000 {
      guard let scalar = Unicode.Scalar(UInt32(cp)) else { continue }  // surrogates
      if PythonRepr.isPrintable(scalar) == nonPrintable[cp] { mismatches.append(String(cp, radix: 16)) }
    }
    #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
  }

  @Test func floatReprFollowsPython() {
    let cases: [(Double, String)] = [
      (1, "1.0"), (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-5, "1e-05"), (1e-4, "0.0001"),
      (0.1, "0.1"), (1e5, "100000.0"), (-0.0, "-0.0"), (.infinity, "inf"), (-.infinity, "-inf"),
      (.nan, "nan"), (Double.leastNonzeroMagnitude, "5e-324"), (1.5e300, "1.5e+300"), (123.456, "123.456"),
      (1.7976931348623157e308, "1.7976931348623157e+308"), (0.30000000000000004, "0.30000000000000004"),
    ]
    for (d, s) in cases { #expect(PythonNumber.floatRepr(d) == s) }
  }

  @Test func stringReprChoosesQuotesLikeCPython() {
    #expect(PythonRepr.stringRepr("it's") == #""it's""#)
    #expect(PythonRepr.stringRepr(#"say "hi""#) == #"'say "hi"'"#)
    #expect(PythonRepr.stringRepr(#"both ' and ""#) == #"'both \' and "'"#)
    #expect(
      PythonRepr.stringRepr("a\u{0}\u{7f}\u{85}\u{a0}\u{200b}\u{e000}\u{10ffff}")
        == #"'a\x00\x7f\x85\xa0\u200b\ue000\U0010ffff'"#)
    #expect(pythonStr(.array([.string("Children's Books"), .string("Art")])) == #"["Children's Books", 'Art']"#)
  }
}
