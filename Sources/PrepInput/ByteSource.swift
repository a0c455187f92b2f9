import PrepDecompress

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// An open file read block by block with POSIX `read`. Owns its descriptor.
final class InputFile {
  let path: String
  private let fd: Int32
  /// On-disk size at open time.
  let size: Int
  /// Whether it is a regular file (a pipe's size says nothing of what it will deliver).
  let isRegular: Bool
  /// On-disk bytes read so far.
  private(set) var consumed = 0
  private var block: [UInt8]

  /// Opens `path`. The corresponding C functions are `open` and `fstat`.
  init(path: String, blockSize: Int) throws(InputError) {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw InputError(.cannotOpen, file: path, InputFile.errnoMessage()) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      let message = InputFile.errnoMessage()
      close(fd)
      throw InputError(.cannotOpen, file: path, message)
    }
    self.fd = fd
    self.size = Int(st.st_size)
    self.isRegular = st.st_mode & S_IFMT == S_IFREG
    self.block = [UInt8](repeating: 0, count: blockSize)
  }

  deinit { close(fd) }

  static func errnoMessage() -> String { String(cString: strerror(errno)) }

  /// Reads up to one block; returns the bytes read (empty at end of file). The corresponding C function
  /// is `read`, retried on `EINTR`.
  func readBlock() throws(InputError) -> ArraySlice<UInt8> {
    let n = block.withUnsafeMutableBytes { raw in InputFile.retryingEINTR { read(fd, raw.baseAddress, raw.count) } }
    guard n >= 0 else { throw InputError(.readFailed, file: path, InputFile.errnoMessage()) }
    consumed += n
    return block[0..<n]
  }

  /// `call` (a `read` or `pread`), again while it fails with `EINTR`; its result.
  private static func retryingEINTR(_ call: () -> Int) -> Int {
    while true {
      let r = call()
      if r < 0 && errno == EINTR { continue }
      return r
    }
  }

  /// Moves the read position to `offset` (counted as consumed). The corresponding C function is `lseek`.
  func seek(to offset: Int) throws(InputError) {
    guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
      throw InputError(.readFailed, file: path, InputFile.errnoMessage())
    }
    consumed = offset
  }

  /// Up to `count` bytes from the start of the file, read with `pread` (the read position does not move);
  /// none from a pipe, which has no start to go back to.
  func head(_ count: Int) throws(InputError) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
      let n = bytes.withUnsafeMutableBytes { raw in
        InputFile.retryingEINTR { pread(fd, raw.baseAddress! + got, count - got, off_t(got)) }
      }
      if n < 0 && errno == ESPIPE { return [] }
      guard n >= 0 else { throw InputError(.readFailed, file: path, InputFile.errnoMessage()) }
      if n == 0 { break }
      got += n
    }
    return Array(bytes[0..<got])
  }

  /// The first line that starts at or after `offset` (a line starts after a `\n`; `offset` > 0) and its
  /// 1-based number, or nil when none does: reads the file from its start to that line through the read
  /// block, counting newlines, with `pread` (the read position does not move).
  func firstLine(atOrAfter offset: Int) throws(InputError) -> LineStart? {
    var at = 0
    var newlines = 0
    // Newlines before `offset - 1`, then the first one at or after it.
    let searchFrom = offset - 1
    while true {
      let n = block.withUnsafeMutableBytes { raw in
        InputFile.retryingEINTR { pread(fd, raw.baseAddress, raw.count, off_t(at)) }
      }
      guard n >= 0 else { throw InputError(.readFailed, file: path, InputFile.errnoMessage()) }
      if n == 0 { return nil }
      let found: Int? = block.withUnsafeBytes { raw -> Int? in
        let p = raw.bindMemory(to: UInt8.self)
        var i = 0
        // Count up to the search start (branch-free), then look for the newline that ends the search.
        let countEnd = min(n, max(0, searchFrom - at))
        var count = 0
        while i < countEnd {
          count &+= p[i] == 0x0A ? 1 : 0
          i &+= 1
        }
        newlines &+= count
        while i < n {
          if p[i] == 0x0A { return i }
          i &+= 1
        }
        return nil
      }
      if let found { return LineStart(offset: at + found + 1, line: newlines + 2) }
      at += n
    }
  }

  /// Reads up to one block straight into the spare capacity of `buffer` (no copy through `block`); returns
  /// how many bytes it appended (0 at end of file).
  func readBlock(appendingTo buffer: inout [UInt8]) throws(InputError) -> Int {
    let count = block.count
    var n = 0
    var failure: Int32 = 0
    buffer.append(addingCapacity: count) { span in
      span.withUnsafeMutableBufferPointer { raw, initialized in
        n = InputFile.retryingEINTR { read(fd, raw.baseAddress, raw.count) }
        if n < 0 { failure = errno } else { initialized = n }
      }
    }
    guard n >= 0 else { throw InputError(.readFailed, file: path, String(cString: strerror(failure))) }
    consumed += n
    return n
  }
}

/// Decompressed (or plain) bytes of one input file, appended to a caller's buffer piece by piece. A compressed
/// file is decoded a read block at a time, and each `fill` appends at most `outputLimit` bytes, however much the
/// block expands: memory stays bounded on a file that compresses a thousand to one.
final class ByteSource {
  let file: InputFile
  /// The file's compression (nil: plain bytes).
  private let format: StreamFormat?
  /// The streaming decoder of a compressed file, from the start or from where `parallel` handed over.
  private var decoder: StreamDecoder?
  /// A bzip2 file decoded on several threads, until it ends or goes back to `decoder`.
  private var parallel: ParallelStreams?
  /// Compressed bytes to decode, in order, before reading the file on (what `parallel` handed back).
  private var replay: [[UInt8]] = []
  private(set) var atEnd = false
  /// The read block being decoded, and how far into it the decoder is.
  private var pending: [UInt8] = []
  private var pendingAt = 0
  /// Whether the last decoding step stopped at `outputLimit`: the decoder may hold output that needs no input.
  private var outputHeld = false
  /// The most a `fill` of a compressed file appends: four read blocks (1 MiB by default).
  let outputLimit: Int

  /// Opens `path`. With `decodeThreads` above 1, a bzip2 file of many streams is decoded on that many threads, in
  /// jobs of at least `decodeJobBytes`, unless no second stream starts within its first `decodeScanBytes`.
  init(
    path: String, compression: InputCompression, blockSize: Int, decodeThreads: Int = 1,
    decodeJobBytes: Int = 1 << 20, decodeScanBytes: Int = 16 << 20
  ) throws(InputError) {
    file = try InputFile(path: path, blockSize: blockSize)
    format = compression.streamFormat
    outputLimit = max(1, blockSize) * 4
    if format == .bzip2 && decodeThreads > 1 {
      parallel = ParallelStreams(
        file: file, threads: decodeThreads, jobBytes: decodeJobBytes, maxScanBytes: decodeScanBytes)
    } else if let format {
      try startDecoder(format, at: 0)
    }
  }

  /// The kind of error a corrupt or cut-off file raises.
  private var errorKind: InputError.Kind { format == .zstd ? .zstd : .decompress }

  /// Starts the streaming decoder on input that begins at file offset `offset`.
  private func startDecoder(_ format: StreamFormat, at offset: Int) throws(InputError) {
    do { decoder = try StreamDecoder(format, offset: offset) } catch {
      throw InputError(errorKind, file: file.path, error.description)
    }
  }

  /// Appends more bytes to `buffer`; returns false (appending nothing) once the input is exhausted.
  func fill(_ buffer: inout [UInt8]) throws(InputError) -> Bool {
    guard let format else {
      if atEnd { return false }
      if try file.readBlock(appendingTo: &buffer) == 0 {
        atEnd = true
        return false
      }
      return true
    }
    if let parallel {
      switch try parallel.next(limit: outputLimit) {
      case .bytes(let piece):
        buffer.append(contentsOf: piece)
        return true
      case .end:
        self.parallel = nil
        atEnd = true
        return false
      case .fallback(let rest):
        self.parallel = nil
        replay = rest.pieces.filter { !$0.isEmpty }
        try startDecoder(format, at: rest.offset)
      }
    }
    guard let decoder = self.decoder else { return false }
    while !atEnd {
      if !outputHeld && pendingAt >= pending.count && !replay.isEmpty {
        pending = replay.removeFirst()
        pendingAt = 0
      } else if !outputHeld && pendingAt >= pending.count {
        pending.removeAll(keepingCapacity: true)
        pendingAt = 0
        if try file.readBlock(appendingTo: &pending) == 0 {
          atEnd = true
          do { try decoder.finish(size: file.consumed) } catch {
            throw InputError(errorKind, file: file.path, error.description)
          }
          return false
        }
      }
      let before = buffer.count
      do {
        outputHeld = try decoder.decode(pending, at: &pendingAt, appendingTo: &buffer, limit: outputLimit)
      } catch {
        throw InputError(errorKind, file: file.path, error.description)
      }
      if buffer.count > before { return true }
    }
    return false
  }
}

extension InputCompression {
  /// The decoder's format (nil: plain bytes).
  var streamFormat: StreamFormat? {
    switch self {
    case .none: return nil
    case .zstd: return .zstd
    case .gzip: return .gzip
    case .bzip2: return .bzip2
    case .xz: return .xz
    }
  }
}
