internal import CZstd
import Synchronization

/// A zstd failure, with the library's own message.
public struct ZstdError: Error, CustomStringConvertible, Sendable {
  /// What failed and why, in zstd's words.
  public var description: String
}

/// One-shot zstd compression and decompression, with the compression mode pinned so that output
/// bytes never depend on the machine: single-threaded (`nbWorkers = 0`) always.
public enum Zstd {
  /// The linked libzstd's version, e.g. `1.5.4` (recorded in index.json: output can change between releases).
  public static var version: String {
    let n = ZSTD_versionNumber()
    return "\(n / 10000).\(n / 100 % 100).\(n % 100)"
  }

  /// Compresses `input` as one zstd frame with its content size and a content checksum, at `level`
  /// and with minimum match length `minMatch` (`ZSTD_c_minMatch`, 3...7; 0 keeps the level's own).
  ///
  /// The compression context comes from a small pool and goes back to it: a fresh context per call
  /// would allocate and zero its tables (about 1 MiB at level 3) every time. The output does not depend
  /// on which context compresses: `ZSTD_compress2` starts a new frame with the parameters set here.
  ///
  /// The corresponding C functions are `ZSTD_compress2` and `ZSTD_CCtx_setParameter`.
  public static func compress(_ input: [UInt8], level: Int32, minMatch: Int32 = 0) throws(ZstdError) -> [UInt8] {
    let cctx = try contexts.take()
    defer { contexts.give(cctx) }
    try check(unsafe ZSTD_CCtx_setParameter(cctx.pointer, ZSTD_c_compressionLevel, level), "set level")
    try check(unsafe ZSTD_CCtx_setParameter(cctx.pointer, ZSTD_c_checksumFlag, 1), "set checksum")
    try check(unsafe ZSTD_CCtx_setParameter(cctx.pointer, ZSTD_c_nbWorkers, 0), "set workers")
    // 0 also restores the level's own value on a reused context.
    try check(unsafe ZSTD_CCtx_setParameter(cctx.pointer, ZSTD_c_minMatch, minMatch), "set minimum match")
    let bound = ZSTD_compressBound(input.count)
    var code = 0
    let out = unsafe [UInt8](unsafeUninitializedCapacity: bound) { dst, initialized in
      code = unsafe input.withUnsafeBytes { src in
        unsafe ZSTD_compress2(cctx.pointer, dst.baseAddress, dst.count, src.baseAddress, src.count)
      }
      initialized = ZSTD_isError(code) != 0 ? 0 : code
    }
    try check(code, "compress")
    return out
  }

  /// Compression contexts not in use (at most one per thread that compressed at the same time).
  private static let contexts = ContextPool()

  /// Decompresses one or more complete frames. `expectedSize` must be the exact decompressed size
  /// when known (a shard's index records it); otherwise the frame header's content size is used.
  ///
  /// The corresponding C functions are `ZSTD_getFrameContentSize` and `ZSTD_decompress`.
  public static func decompress(_ input: [UInt8], expectedSize: Int? = nil) throws(ZstdError) -> [UInt8] {
    var size = expectedSize ?? -1
    if size < 0 {
      let declared = unsafe input.withUnsafeBytes { unsafe ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
      guard declared != ZSTD_CONTENTSIZE_UNKNOWN, declared != ZSTD_CONTENTSIZE_ERROR, declared < UInt64(Int.max)
      else { throw ZstdError(description: "zstd frame has no usable content size") }
      size = Int(declared)
    }
    var out = [UInt8](repeating: 0, count: size)
    let got = unsafe out.withUnsafeMutableBytes { dst in
      unsafe input.withUnsafeBytes { src in
        unsafe ZSTD_decompress(dst.baseAddress, dst.count, src.baseAddress, src.count)
      }
    }
    try check(got, "decompress")
    guard got == size else { throw ZstdError(description: "zstd frame holds \(got) bytes, expected \(size)") }
    return out
  }

  fileprivate static func check(_ code: Int, _ what: String) throws(ZstdError) {
    if ZSTD_isError(code) != 0 {
      let name = unsafe String(cString: ZSTD_getErrorName(code))
      throw ZstdError(description: "zstd \(what): \(name)")
    }
  }
}

/// A `ZSTD_CCtx` handed between threads by `ContextPool`, used by one thread at a time.
@safe private struct CompressionContext: @unchecked Sendable {
  let pointer: OpaquePointer
}

/// The compression contexts `Zstd.compress` reuses.
private final class ContextPool: Sendable {
  private let free = Mutex<[CompressionContext]>([])

  func take() throws(ZstdError) -> CompressionContext {
    if let context = free.withLock({ $0.popLast() }) { return context }
    guard let cctx = unsafe ZSTD_createCCtx() else { throw ZstdError(description: "ZSTD_createCCtx failed") }
    return unsafe CompressionContext(pointer: cctx)
  }

  func give(_ context: CompressionContext) {
    free.withLock { $0.append(context) }
  }
}

/// Streaming decompression of a `.zst` file read piece by piece (inputs larger than memory).
///
/// Owns a `ZSTD_DCtx`; feed compressed bytes in any split and receive decompressed bytes.
@safe public final class ZstdStreamDecoder {
  private nonisolated(unsafe) let dctx: OpaquePointer
  /// Whether the bytes fed so far end inside a frame: the stream is cut short if no more come.
  public private(set) var insideFrame = false
  /// Compressed bytes consumed so far, and where the last whole frame ended (for the error messages).
  private var consumed = 0
  private var lastFrameEnd: Int? = nil

  /// Creates a decoder. The corresponding C function is `ZSTD_createDCtx`.
  public init() throws(ZstdError) {
    guard let d = unsafe ZSTD_createDCtx() else { throw ZstdError(description: "ZSTD_createDCtx failed") }
    unsafe dctx = d
  }

  deinit { unsafe _ = ZSTD_freeDCtx(dctx) }

  /// One decoding step: reads from `input` and writes into `output` as far as either goes; returns the bytes
  /// consumed and produced. Output that did not fit stays in the decoder for the next step, which may then be
  /// given no input.
  ///
  /// The corresponding C function is `ZSTD_decompressStream`.
  public func step(
    _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
  ) throws(ZstdError) -> (consumed: Int, produced: Int) {
    var inBuf = unsafe ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
    var outBuf = unsafe ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
    let code = unsafe ZSTD_decompressStream(dctx, &outBuf, &inBuf)
    if ZSTD_isError(code) != 0 {
      let name = unsafe String(cString: ZSTD_getErrorName(code))
      // An unknown prefix where a frame should start: the bytes are not zstd, or no longer are.
      if ZSTD_getErrorCode(code) == ZSTD_error_prefix_unknown {
        guard let end = lastFrameEnd else {
          throw ZstdError(description: "the file does not start with a zstd frame: it is not zstd data (zstd: \(name))")
        }
        throw ZstdError(
          description: "the file holds something else (at byte \(end)) after its zstd data (zstd: \(name))")
      }
      throw ZstdError(description: "the zstd data is corrupt near byte \(unsafe consumed + inBuf.pos) (zstd: \(name))")
    }
    unsafe consumed += inBuf.pos
    // 0: a frame is complete and all of it was written out; anything else asks for more.
    insideFrame = code != 0
    if code == 0 { lastFrameEnd = consumed }
    return unsafe (inBuf.pos, outBuf.pos)
  }
}
