import PrepCore
import PrepJSON
import Testing

@Suite struct JSONWriterTests {
  @Test func writesCompactJSONThatParsesBack() throws {
    let text = #"{"a": [1, -0.5, true, null, "x\"\\\n\t\u0001\u007f é😀"], "b": {}, "c": [], "a": "dup"}"#
    let v = try JSONValue.parse(text)
    #expect(v.jsonText == #"{"a":[1,-0.5,true,null,"x\"\\\n\t\u0001"# + "\u{7f} é😀\"],\"b\":{},\"c\":[],\"a\":\"dup\"}")
    #expect(try JSONValue.parse(v.jsonBytes) == v)
  }

  @Test func escapesEveryControlCharacter() throws {
    var s = ""
    for c in 0..<0x20 { s.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
    let v = JSONValue.string(s)
    let text = v.jsonText
    #expect(text.hasPrefix(#""\u0000\u0001"#))
    #expect(text.contains(#"\b\t\n\u000b\f\r\u000e"#))
    #expect(try JSONValue.parse(text) == v)
  }

  /// Numbers are written as Swift prints them: every value below 200,000 (all token ids of Qwen's vocabulary), the
  /// powers of ten and their neighbours up to the largest 64-bit values, and random ones of every size.
  @Test func writesEveryNumberAsSwiftPrintsIt() {
    var values: [UInt64] = Array(0..<200_000)
    var power: UInt64 = 1
    for _ in 0..<20 {
      values += [power &- 1, power, power &+ 1]
      power = power.multipliedReportingOverflow(by: 10).overflow ? UInt64.max : power &* 10
    }
    values += [UInt64.max, UInt64.max - 1, UInt64(UInt32.max), UInt64(Int64.max)]
    var random = SplitMix64(seed: 2026_11_24)
    for _ in 0..<20_000 { values.append(random.next() >> (random.next() % 64)) }
    var w = JSONWriter()
    var wrong: [UInt64] = []
    for v in values {
      w.reset()
      w.writeUnsigned(v)
      if w.bytes != Array(String(v).utf8) { wrong.append(v) }
    }
    let wrongCount = wrong.count
    #expect(wrongCount == 0, "written differently, the first: \(wrong.prefix(10))")
    let ids = values.filter { $0 <= UInt64(UInt32.max) }.map { UInt32($0) }
    w.reset()
    w.writeArray(ids)
    #expect(w.bytes == Array(("[" + ids.map(String.init).joined(separator: ",") + "]").utf8))
    let signed = values.map { Int(truncatingIfNeeded: $0) }
    w.reset()
    w.writeArray(signed)
    #expect(w.bytes == Array(("[" + signed.map(String.init).joined(separator: ",") + "]").utf8))
  }

  @Test func writesTokenLinesWithoutStrings() {
    var w = JSONWriter()
    w.writeRaw(#"{"input_ids":"#)
    w.writeArray([1, 2, 151643] as [UInt32])
    w.writeRaw(#","labels":"#)
    w.writeLabels(ids: [1, 2, 151643], trained: [0, 1, 1])
    w.writeRaw(#","x":"#)
    w.writeArray([Int.min, -1, 0, 9, 10, Int.max])
    w.writeByte(UInt8(ascii: "}"))
    #expect(
      String(decoding: w.bytes, as: UTF8.self)
        == #"{"input_ids":[1,2,151643],"labels":[-100,2,151643],"x":[-9223372036854775808,-1,0,9,10,9223372036854775807]}"#
    )
    w.reset()
    w.writeArray([-100, 5] as [Int32])
    #expect(w.bytes == Array("[-100,5]".utf8))
  }
}
