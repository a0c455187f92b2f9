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
