internal import CBzip2
internal import CLzma
internal import CZlib
import PrepZstd

/// A compressed stream that cannot be read: corrupt, cut short, or followed by bytes of another kind.
public struct DecompressError: Error, CustomStringConvertible, Sendable {
  /// What is wrong, in words.
  public var description: String
}

/// The compressions `StreamDecoder` reads.
public enum StreamFormat: String, Sendable, CaseIterable {
  /// zstd frames (`.zst`), one after another.
  case zstd
  /// gzip members (`.gz`), one after another (`cat a.gz b.gz`, pigz, bgzip).
  case gzip
  /// bzip2 streams (`.bz2`), one after another (pbzip2, Wikipedia's multistream dumps).
  case bzip2
  /// xz streams (`.xz`), one after another.
  case xz

  /// What one self-contained unit of this compression is called in messages, with its article.
  var unit: String {
    switch self {
    case .zstd: return "a zstd frame"
    case .gzip: return "a gzip member"
    case .bzip2: return "a bzip2 stream"
    case .xz: return "an xz stream"
    }
  }
}

/// Streaming decompression of a file read piece by piece, in bounded memory: each call appends at most a given
/// number of bytes, however much the input expands (a file of zeros compresses a thousand to one or more).
/// Every unit of a file that holds several one after another is read in turn; bytes after the last unit that do
/// not start another one are an error, not ignored. `finish` tells a file cut short (an interrupted download)
/// from a whole one.
public final class StreamDecoder {
  /// The compression read.
  public let format: StreamFormat
  private let codec: any Codec

  /// Creates a decoder for `format`, whose input starts at byte `offset` of the file (for messages; the input
  /// must start where a unit does).
  public init(_ format: StreamFormat, offset: Int = 0) throws(DecompressError) {
    self.format = format
    switch format {
    case .zstd: codec = try ZstdCodec()
    case .gzip: codec = try GzipCodec(offset: offset)
    case .bzip2: codec = try Bzip2Codec(offset: offset)
    case .xz: codec = try XzCodec(offset: offset)
    }
  }

  /// Decodes `input` from `at` on, appending at most `limit` bytes (at least 1) to `output`, and moves `at` past
  /// the bytes it consumed. Returns true when it stopped because `limit` was reached: the decoder may then hold
  /// output that needs no more input, so call it again (with the same input) before feeding the next piece.
  /// Returns false once all of `input` is consumed and all of its output appended.
  public func decode(
    _ input: [UInt8], at: inout Int, appendingTo output: inout [UInt8], limit: Int
  ) throws(DecompressError) -> Bool {
    var room = max(1, limit)
    while true {
      var consumed = 0
      var produced = 0
      var failure: DecompressError? = nil
      let start = at
      input.withUnsafeBytes { src in
        output.append(addingCapacity: room) { span in
          span.withUnsafeMutableBufferPointer { dst, initialized in
            do throws(DecompressError) {
              (consumed, produced) = try codec.step(
                UnsafeRawBufferPointer(rebasing: src[start...]), into: UnsafeMutableRawBufferPointer(dst))
            } catch { failure = error }
            initialized = produced
          }
        }
      }
      if let failure { throw failure }
      at += consumed
      room -= produced
      if room == 0 { return true }
      // The step had room to spare: it wrote out everything the input it consumed holds. With input left over it
      // stopped at the end of a unit (the next step starts the next one); without, it needs the next piece.
      if at >= input.count { return false }
      if consumed == 0 && produced == 0 {
        throw DecompressError(description: "\(format.rawValue) decoder made no progress")
      }
    }
  }

  /// Whether the bytes decoded so far end inside a unit (a frame, member or stream): the input is cut short if
  /// no more come.
  public var insideUnit: Bool { codec.insideUnit }

  /// Checks, once the input has ended, that it did not end inside a unit; `size` (the file's size in bytes) goes
  /// into the message.
  public func finish(size: Int) throws(DecompressError) {
    if try codec.endsInsideUnit() {
      throw DecompressError(
        description: "the file (\(size) bytes) ends inside \(format.unit): it is truncated, perhaps by an "
          + "interrupted download or copy")
    }
  }
}

/// One compression library's decoding step.
protocol Codec: AnyObject {
  /// Reads from `input` and writes into `output` as far as either goes; returns the bytes consumed and produced.
  /// Output that did not fit stays inside for the next step (which may have no input). A step stops at the end of
  /// a unit; the next one starts the next unit.
  func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecompressError) -> (consumed: Int, produced: Int)
  /// Whether the input consumed so far ends inside a unit.
  var insideUnit: Bool { get }
  /// Whether the input, now ended, ends inside a unit (for xz, the library is asked, and padding checked).
  func endsInsideUnit() throws(DecompressError) -> Bool
}

extension Codec {
  func endsInsideUnit() throws(DecompressError) -> Bool { insideUnit }
}

/// zstd frames, through PrepZstd's decoder.
final class ZstdCodec: Codec {
  private let decoder: ZstdStreamDecoder

  init() throws(DecompressError) {
    do { decoder = try ZstdStreamDecoder() } catch { throw DecompressError(description: error.description) }
  }

  func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecompressError) -> (consumed: Int, produced: Int) {
    do { return try decoder.step(input, into: output) } catch { throw DecompressError(description: error.description) }
  }

  var insideUnit: Bool { decoder.insideFrame }
}

/// gzip members, through zlib's `inflate`. The stream state lives at a fixed address: zlib checks that it has
/// not moved between calls.
final class GzipCodec: Codec {
  private let stream: UnsafeMutablePointer<z_stream>
  /// Whether the member being read has consumed any input (false before the first and after each member's end).
  private(set) var insideUnit = false
  /// Members read to their end.
  private var members = 0
  /// Whether zero bytes follow the last member (padding, which `gzip -d` ignores too).
  private var padding = false
  /// The file offset of the next input byte, for messages.
  private var offset: Int

  /// The corresponding C function is `inflateInit2`.
  init(offset: Int) throws(DecompressError) {
    self.offset = offset
    stream = .allocate(capacity: 1)
    stream.initialize(to: z_stream())
    let rc = prep_inflate_init_gzip(stream)
    guard rc == Z_OK else {
      stream.deallocate()
      throw DecompressError(description: "gzip: zlib could not start a decoder (code \(rc))")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
  }

  /// The corresponding C functions are `inflate` and, at the end of a member, `inflateReset`.
  func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecompressError) -> (consumed: Int, produced: Int) {
    if members > 0 && !insideUnit, let first = input.first, first == 0 || padding {
      let zeros = input.prefix(while: { $0 == 0 }).count
      padding = true
      if zeros < input.count {
        throw DecompressError(
          description: "the file holds something else (at byte \(offset + zeros)) after its gzip data and the "
            + "zero bytes that may pad it")
      }
      offset += zeros
      return (zeros, 0)
    }
    // A member starts with the bytes 1F 8B: anything else where one starts is not gzip data.
    if !insideUnit && (input.count >= 1 && input[0] != 0x1F || input.count >= 2 && input[1] != 0x8B) {
      if members == 0 {
        throw DecompressError(description: "the file does not start with gzip's signature: it is not gzip data")
      }
      throw DecompressError(
        description: "the bytes after the end of a gzip member (at byte \(offset)) are not another gzip member: "
          + "the file holds something else after its gzip data")
    }
    let inCount = UInt32(min(input.count, Int(UInt32.max)))
    let outCount = UInt32(min(output.count, Int(UInt32.max)))
    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = inCount
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = outCount
    let rc = inflate(stream, Z_NO_FLUSH)
    let consumed = Int(inCount - stream.pointee.avail_in)
    let produced = Int(outCount - stream.pointee.avail_out)
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    let at = offset
    offset += consumed
    switch rc {
    case Z_STREAM_END:
      members += 1
      insideUnit = false
      inflateReset(stream)
    case Z_OK:
      if consumed > 0 { insideUnit = true }
    case Z_BUF_ERROR where consumed == 0 && produced == 0:
      // No progress possible: the caller had no input or no room.
      break
    default:
      let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
      throw DecompressError(description: "the gzip data is corrupt near byte \(at + consumed): \(reason)")
    }
    return (consumed, produced)
  }
}

/// bzip2 streams, through libbz2. Each stream of a file that holds several is decoded by a decoder of its own.
final class Bzip2Codec: Codec {
  private let stream: UnsafeMutablePointer<bz_stream>
  private var open = false
  private(set) var insideUnit = false
  private var offset: Int

  init(offset: Int) throws(DecompressError) {
    self.offset = offset
    stream = .allocate(capacity: 1)
    stream.initialize(to: bz_stream())
    try start()
  }

  deinit {
    if open { BZ2_bzDecompressEnd(stream) }
    stream.deallocate()
  }

  /// The corresponding C function is `BZ2_bzDecompressInit`.
  private func start() throws(DecompressError) {
    stream.pointee = bz_stream()
    let rc = BZ2_bzDecompressInit(stream, 0, 0)
    guard rc == BZ_OK else { throw DecompressError(description: "bzip2: could not start a decoder (code \(rc))") }
    open = true
  }

  /// The corresponding C function is `BZ2_bzDecompress`; at the end of a stream, `BZ2_bzDecompressEnd`, and a
  /// new decoder for the next.
  func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecompressError) -> (consumed: Int, produced: Int) {
    if !open {
      guard !input.isEmpty else { return (0, 0) }
      try start()
    }
    let inCount = UInt32(min(input.count, Int(UInt32.max)))
    let outCount = UInt32(min(output.count, Int(UInt32.max)))
    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: CChar.self))
    stream.pointee.avail_in = inCount
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: CChar.self)
    stream.pointee.avail_out = outCount
    let rc = BZ2_bzDecompress(stream)
    let consumed = Int(inCount - stream.pointee.avail_in)
    let produced = Int(outCount - stream.pointee.avail_out)
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    let at = offset
    offset += consumed
    switch rc {
    case BZ_STREAM_END:
      insideUnit = false
      BZ2_bzDecompressEnd(stream)
      open = false
    case BZ_OK:
      if consumed > 0 { insideUnit = true }
    case BZ_DATA_ERROR_MAGIC where at > 0 && !insideUnit:
      throw DecompressError(
        description: "the bytes after the end of a bzip2 stream (at byte \(at)) are not another bzip2 stream: the "
          + "file holds something else after its bzip2 data")
    case BZ_DATA_ERROR_MAGIC:
      throw DecompressError(description: "the file does not start with bzip2's signature: it is not bzip2 data")
    case BZ_DATA_ERROR:
      throw DecompressError(
        description: "the bzip2 data is corrupt near byte \(at + consumed) (a block's checksum or structure is wrong)")
    case BZ_MEM_ERROR:
      throw DecompressError(description: "bzip2: out of memory")
    default:
      throw DecompressError(description: "bzip2: decoder error \(rc) near byte \(at + consumed)")
    }
    return (consumed, produced)
  }
}

/// xz streams, through liblzma, one decoder per stream. Between streams, stream padding (zero bytes, four at a
/// time) is skipped as `xz` itself does; other bytes there start a next stream or are an error that says the file
/// holds something else after its xz data. (liblzma's own `LZMA_CONCATENATED` mode cannot tell those bytes from a
/// stream that is corrupt or cut short.)
final class XzCodec: Codec {
  private let stream: UnsafeMutablePointer<lzma_stream>
  private(set) var insideUnit = false
  private var offset: Int
  /// Where the input started.
  private let start: Int
  /// After a stream's end: zero bytes of padding seen since, and whether a next stream has started.
  private var betweenStreams = false
  private var padding = 0
  /// Where the stream being decoded started, and whether one ended before it.
  private var streamStart: Int
  private var streamsEnded = 0

  /// The corresponding C function is `lzma_stream_decoder`.
  init(offset: Int) throws(DecompressError) {
    self.offset = offset
    start = offset
    streamStart = offset
    stream = .allocate(capacity: 1)
    stream.initialize(to: lzma_stream())
    do throws(DecompressError) { try startDecoder() } catch {
      stream.deallocate()
      throw error
    }
  }

  deinit {
    lzma_end(stream)
    stream.deallocate()
  }

  /// The corresponding C function is `lzma_stream_decoder` (one stream, no flags).
  private func startDecoder() throws(DecompressError) {
    let rc = lzma_stream_decoder(stream, UInt64.max, 0)
    guard rc == LZMA_OK else {
      throw DecompressError(description: "xz: could not start a decoder (code \(rc.rawValue))")
    }
  }

  /// The corresponding C function is `lzma_code` with `LZMA_RUN`.
  func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(DecompressError) -> (consumed: Int, produced: Int) {
    guard betweenStreams else { return try code(input, output, LZMA_RUN) }
    var zeros = 0
    while zeros < input.count && input[zeros] == 0 { zeros += 1 }
    padding += zeros
    offset += zeros
    if zeros == input.count { return (zeros, 0) }
    // A byte other than padding: a next stream starts here, after padding of whole four-byte groups.
    guard padding % 4 == 0 else { throw somethingElse(at: offset) }
    betweenStreams = false
    padding = 0
    streamStart = offset
    try startDecoder()
    let (consumed, produced) = try code(UnsafeRawBufferPointer(rebasing: input[zeros...]), output, LZMA_RUN)
    return (zeros + consumed, produced)
  }

  private func somethingElse(at byte: Int) -> DecompressError {
    DecompressError(description: "the file holds something else (at byte \(byte)) after its xz data")
  }

  /// The corresponding C function is `lzma_code` with `LZMA_FINISH`, called until it ends the stream or fails:
  /// liblzma reports a stream that is not complete only on the second call in a row that makes no progress.
  func endsInsideUnit() throws(DecompressError) -> Bool {
    if betweenStreams {
      // Padding at the end too comes in whole four-byte groups.
      if padding % 4 != 0 { throw somethingElse(at: offset - padding) }
      return false
    }
    // An empty input (a pipe that delivered nothing) holds no stream.
    if offset == start { return false }
    // After a whole stream, fewer bytes than a stream header (12) are not a next stream cut short but other data.
    if streamsEnded > 0 && offset - streamStart < 12 { throw somethingElse(at: streamStart) }
    var byte: UInt8 = 0
    return try withUnsafeMutableBytes(of: &byte) { (out) throws(DecompressError) -> Bool in
      for _ in 0..<4 {
        do throws(DecompressError) {
          let (_, produced) = try code(UnsafeRawBufferPointer(start: nil, count: 0), out, LZMA_FINISH)
          if !insideUnit { return false }
          if produced > 0 {
            throw DecompressError(description: "xz: output after the end of the input")
          }
        } catch {
          if insideUnit { return true }
          throw error
        }
      }
      return true
    }
  }

  private func code(
    _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer, _ action: lzma_action
  ) throws(DecompressError) -> (consumed: Int, produced: Int) {
    stream.pointee.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
    stream.pointee.avail_in = input.count
    stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: UInt8.self)
    stream.pointee.avail_out = output.count
    let rc = lzma_code(stream, action)
    let consumed = input.count - stream.pointee.avail_in
    let produced = output.count - stream.pointee.avail_out
    stream.pointee.next_in = nil
    stream.pointee.next_out = nil
    let at = offset
    offset += consumed
    switch rc {
    case LZMA_OK:
      if consumed > 0 { insideUnit = true }
    case LZMA_STREAM_END:
      insideUnit = false
      betweenStreams = true
      streamsEnded += 1
    case LZMA_BUF_ERROR where action == LZMA_FINISH:
      throw DecompressError(description: "xz: the input ends inside a stream")
    case LZMA_BUF_ERROR:
      break
    case LZMA_FORMAT_ERROR:
      // No xz stream header where a stream must start.
      if streamsEnded > 0 { throw somethingElse(at: streamStart) }
      throw DecompressError(description: "the file does not start with an xz stream header: it is not xz data")
    case LZMA_DATA_ERROR:
      throw DecompressError(description: "the xz data is corrupt near byte \(at + consumed)")
    case LZMA_OPTIONS_ERROR:
      throw DecompressError(description: "the xz data near byte \(at) uses options this liblzma cannot read")
    case LZMA_MEM_ERROR, LZMA_MEMLIMIT_ERROR:
      throw DecompressError(description: "xz: out of memory")
    default:
      throw DecompressError(description: "xz: decoder error \(rc.rawValue) near byte \(at + consumed)")
    }
    return (consumed, produced)
  }
}
