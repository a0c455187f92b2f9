#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads the records of one or more input files, in order, as a sequence of `Chunk`s. Never holds a whole
/// file: each file is read block by block, and a chunk holds whole records only (a partial last record is
/// carried into the next chunk). A chunk never spans two files.
///
/// Bad records never stop the run: over-long records become `line_too_long` entries in the chunk, and
/// parse failures are found by `Chunk.parseRecord` in the workers. Only whole-file failures (missing file,
/// read error, corrupt zstd stream, malformed XML) throw `InputError`.
public final class InputReader {
  /// The input files in reading order (globs expanded, each pattern's matches sorted by byte order).
  public let files: [String]
  /// Total on-disk size of the inputs (compressed size for `.zst`), for progress and ETA.
  public let totalBytes: Int
  /// The settings.
  public let options: InputOptions

  private var fileIndex = 0
  private var chunkIndex = 0
  private var doneBytes = 0
  private var current: Current? = nil

  private enum Current {
    case records(RecordSplitter)
    case xml(XMLRecordReader)

    var source: ByteSource {
      switch self {
      case .records(let s): return s.source
      case .xml(let x): return x.source
      }
    }
  }

  /// Opens the inputs: every path or glob pattern (`data/*.jsonl`) in `paths`, in order. A pattern or
  /// path that matches nothing throws `InputError` of kind `.noMatch`; files are opened lazily, one at a time.
  public init(paths: [String], options: InputOptions = InputOptions()) throws(InputError) {
    self.files = try expandInputPaths(paths)
    self.options = options
    var total = 0
    for file in files {
      var st = stat()
      guard stat(file, &st) == 0 else {
        throw InputError(.cannotOpen, file: file, String(cString: strerror(errno)))
      }
      total += Int(st.st_size)
    }
    self.totalBytes = total
  }

  /// On-disk bytes read so far (compressed bytes for `.zst`), comparable with `totalBytes`.
  public var bytesConsumed: Int { doneBytes + (current?.source.file.consumed ?? 0) }

  /// The next chunk, or nil when every file has been read.
  public func next() throws(InputError) -> Chunk? {
    while true {
      if current == nil {
        guard fileIndex < files.count else { return nil }
        let path = files[fileIndex]
        let kind = options.kind(of: path)
        let source = try ByteSource(path: path, compression: kind.compression, blockSize: options.readBlockSize)
        if kind.format == .xml {
          current = .xml(try XMLRecordReader(source: source, path: path, options: options))
        } else {
          current = .records(RecordSplitter(source: source, path: path, format: kind.format, options: options))
        }
      }
      let got: (bytes: [UInt8], records: [ChunkRecord])?
      switch current {
      case .records(let s): got = try s.nextChunk()
      case .xml(let x): got = try x.nextChunk()
      case nil: got = nil
      }
      if let got {
        defer { chunkIndex += 1 }
        return Chunk(
          index: chunkIndex, file: files[fileIndex], bytes: got.bytes, records: got.records,
          maxRecordBytes: options.maxRecordBytes)
      }
      doneBytes += current?.source.file.size ?? 0
      current = nil
      fileIndex += 1
    }
  }
}

/// Expands each entry of `patterns` that contains `*`, `?` or `[` with POSIX `glob` (matches sorted by byte
/// order, no tilde or brace expansion); other entries must exist. Order: pattern by pattern.
public func expandInputPaths(_ patterns: [String]) throws(InputError) -> [String] {
  var out: [String] = []
  for pattern in patterns {
    if !pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
      guard access(pattern, F_OK) == 0 else { throw InputError(.noMatch, file: pattern, "no such file") }
      out.append(pattern)
      continue
    }
    var g = glob_t()
    defer { globfree(&g) }
    // The corresponding C function is `glob` (sorted output: GLOB_NOSORT is not set).
    let rc = glob(pattern, 0, nil, &g)
    guard rc == 0 else { throw InputError(.noMatch, file: pattern, "the pattern matches no file") }
    var matches: [String] = []
    for i in 0..<Int(g.gl_pathc) {
      if let p = g.gl_pathv[i] { matches.append(String(cString: p)) }
    }
    // Byte order, whatever the locale's collation.
    matches.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    out.append(contentsOf: matches)
  }
  return out
}
