import PrepCore
import Testing

/// Everything written comes back in order, edge values included.
@Test func stateValuesRoundTrip() throws {
  var w = StateWriter()
  let ints = [0, 1, -1, 63, -64, 64, Int.max, Int.min, 1 << 40]
  for i in ints { w.write(i) }
  w.write(UInt64.max)
  w.write(true)
  w.write(false)
  w.write(0.1)
  w.write("héllo, 世界")
  w.write([UInt8]([0, 255, 7]))
  w.write([UInt32]([0, 127, 128, UInt32.max]))
  let sample = Sample(ids: [5, 6, 7], trained: [0, 1, 1], boundaries: [0, 1, 3])
  w.write(sample)
  var r = StateReader(w.bytes)
  for i in ints { #expect(try r.readInt() == i) }
  #expect(try r.readUInt64() == UInt64.max)
  #expect(try r.readBool() == true)
  #expect(try r.readBool() == false)
  #expect(try r.readDouble() == 0.1)
  #expect(try r.readString() == "héllo, 世界")
  #expect(try r.readBytes() == [0, 255, 7])
  #expect(try r.readIDs() == [0, 127, 128, UInt32.max])
  #expect(try r.readSample() == sample)
  #expect(r.atEnd)
}

/// Cut anywhere, the state throws instead of trapping or inventing values.
@Test func aTruncatedStateThrows() throws {
  var w = StateWriter()
  w.write([UInt32](repeating: 300, count: 10))
  w.write("end")
  for n in 0..<(w.bytes.count - 1) {
    var r = StateReader(Array(w.bytes.prefix(n)))
    #expect(throws: StateDecodingError.self) {
      _ = try r.readIDs()
      _ = try r.readString()
    }
  }
  // A length far past the end is refused before anything is allocated for it.
  var huge = StateWriter()
  huge.write(UInt64(1) << 60)
  var r = StateReader(huge.bytes)
  #expect(throws: StateDecodingError.self) { _ = try r.readBytes() }
}
