/// A compact binary encoding of in-memory state, for checkpoints that let an interrupted run resume exactly.
///
/// Integers are unsigned LEB128 (signed ones zigzag-encoded), byte strings and arrays carry their length first.
/// There is no schema: the reader must ask for the same things in the same order as the writer wrote them.
/// A reader that runs past the end or finds a malformed value throws `StateDecodingError`, never traps.
public struct StateWriter: Sendable {
  /// The encoded bytes so far.
  public private(set) var bytes: [UInt8] = []

  /// An empty writer.
  public init() {}

  /// An unsigned integer.
  public mutating func write(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  /// A signed integer (zigzag).
  public mutating func write(_ value: Int) {
    let v = Int64(value)
    write(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
  }

  /// A boolean.
  public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

  /// A double, by its bit pattern.
  public mutating func write(_ value: Double) { write(value.bitPattern) }

  /// A UTF-8 string.
  public mutating func write(_ value: String) { write(Array(value.utf8)) }

  /// Raw bytes, length first.
  public mutating func write(_ value: [UInt8]) {
    write(UInt64(value.count))
    bytes += value
  }

  /// Token ids, length first.
  public mutating func write(_ value: [UInt32]) {
    write(UInt64(value.count))
    for x in value { write(UInt64(x)) }
  }

  /// A sample: ids, trained flags and boundaries.
  public mutating func write(_ sample: Sample) {
    write(sample.ids)
    write(sample.trained)
    write(sample.boundaries)
  }
}

/// Reads what a `StateWriter` wrote, in the same order.
public struct StateReader: Sendable {
  private let bytes: [UInt8]
  private var position = 0

  /// A reader over `bytes`.
  public init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// Whether every byte has been read.
  public var atEnd: Bool { position == bytes.count }

  /// An unsigned integer.
  public mutating func readUInt64() throws(StateDecodingError) -> UInt64 {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard position < bytes.count else { throw StateDecodingError(position: position, "truncated integer") }
      let b = bytes[position]
      position += 1
      if shift == 63 && b > 1 { throw StateDecodingError(position: position - 1, "integer too large") }
      value |= UInt64(b & 0x7F) << shift
      if b < 0x80 { return value }
      shift += 7
    }
  }

  /// A signed integer (zigzag).
  public mutating func readInt() throws(StateDecodingError) -> Int {
    let u = try readUInt64()
    return Int(Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
  }

  /// A count that must be plausible for the bytes left (each element takes at least `minimumBytes`).
  private mutating func readCount(minimumBytes: Int) throws(StateDecodingError) -> Int {
    let u = try readUInt64()
    guard u <= UInt64(bytes.count - position) / UInt64(max(1, minimumBytes)) else {
      throw StateDecodingError(position: position, "length \(u) runs past the end")
    }
    return Int(u)
  }

  /// A boolean.
  public mutating func readBool() throws(StateDecodingError) -> Bool {
    guard position < bytes.count else { throw StateDecodingError(position: position, "truncated boolean") }
    let b = bytes[position]
    guard b <= 1 else { throw StateDecodingError(position: position, "boolean \(b)") }
    position += 1
    return b == 1
  }

  /// A double.
  public mutating func readDouble() throws(StateDecodingError) -> Double { Double(bitPattern: try readUInt64()) }

  /// A UTF-8 string.
  public mutating func readString() throws(StateDecodingError) -> String {
    String(decoding: try readBytes(), as: UTF8.self)
  }

  /// Raw bytes.
  public mutating func readBytes() throws(StateDecodingError) -> [UInt8] {
    let n = try readCount(minimumBytes: 1)
    defer { position += n }
    return Array(bytes[position..<(position + n)])
  }

  /// Token ids.
  public mutating func readIDs() throws(StateDecodingError) -> [UInt32] {
    let n = try readCount(minimumBytes: 1)
    var out: [UInt32] = []
    out.reserveCapacity(n)
    for _ in 0..<n {
      let v = try readUInt64()
      guard v <= UInt64(UInt32.max) else { throw StateDecodingError(position: position, "id \(v) too large") }
      out.append(UInt32(v))
    }
    return out
  }

  /// A sample.
  public mutating func readSample() throws(StateDecodingError) -> Sample {
    let ids = try readIDs()
    let trained = try readBytes()
    let boundaries = try readIDs()
    guard trained.count == ids.count, boundaries.count >= 2 else {
      throw StateDecodingError(position: position, "malformed sample")
    }
    return Sample(ids: ids, trained: trained, boundaries: boundaries)
  }
}

/// Checkpoint bytes that do not decode: where and why.
public struct StateDecodingError: Error, CustomStringConvertible, Sendable {
  /// Byte offset in the encoded state.
  public let position: Int
  /// What was wrong.
  public let reason: String

  /// An error at `position`.
  public init(position: Int, _ reason: String) {
    self.position = position
    self.reason = reason
  }

  public var description: String { "checkpoint state at byte \(position): \(reason)" }
}
