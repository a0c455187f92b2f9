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
/// read error, corrupt or cut-off compressed data, malformed XML) throw `InputError`.
public final class InputReader {
  /// The input files in reading order (globs expanded, each pattern's matches sorted by byte order); with a
  /// partition, only those this slice reads.
  public let files: [String]
  /// Where each of `files` stands in the run's whole list of input files (0, 1, 2, ... without a partition): a
  /// file cut between two slices is listed by both, at the same position.
  public let fileNumbers: [Int]
  /// Total on-disk size of the inputs (compressed size for compressed files), for progress and ETA; with a partition,
  /// the bytes this slice owns.
  public let totalBytes: Int
  /// The settings.
  public let options: InputOptions
  /// The slice of the input this reader reads (nil: all of it).
  public let partition: InputPartition?

  private let slices: [FileSlice]
  private var sliceIndex = 0
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
  /// With `partition`, only the records of that slice are read (see `InputPartition`).
  public init(
    paths: [String], options: InputOptions = InputOptions(), partition: InputPartition? = nil
  ) throws(InputError) {
    let all = try expandInputPaths(paths)
    self.options = options
    self.partition = partition
    var sizes: [Int] = []
    for file in all {
      var st = stat()
      guard stat(file, &st) == 0 else {
        throw InputError(.cannotOpen, file: file, String(cString: strerror(errno)))
      }
      sizes.append(Int(st.st_size))
    }
    if let partition {
      slices = try partition.plan(sizes: sizes) { (i: Int) throws(InputError) -> Bool in
        try InputReader.canSplitBetweenLines(all[i], options: options)
      }
    } else {
      slices = sizes.indices.map { FileSlice(file: $0, from: 0, limit: Int.max, ownedBytes: sizes[$0]) }
    }
    files = slices.map { all[$0.file] }
    fileNumbers = slices.map(\.file)
    totalBytes = slices.reduce(0) { $0 + $1.ownedBytes }
  }

  /// On-disk bytes read so far (compressed bytes for compressed files), comparable with `totalBytes`.
  public var bytesConsumed: Int {
    guard let current, sliceIndex < slices.count else { return doneBytes }
    let slice = slices[sliceIndex]
    return doneBytes + min(max(0, current.source.file.consumed - slice.from), slice.ownedBytes)
  }

  /// Whether `path` can be cut between lines: JSON lines, without compression (the file is sniffed the way
  /// `RecordSplitter` reads it: `[` first makes it an array).
  static func canSplitBetweenLines(_ path: String, options: InputOptions) throws(InputError) -> Bool {
    let kind = options.kind(of: path)
    guard kind.compression == .none else { return false }
    switch kind.format {
    case .jsonArray, .xml: return false
    case .jsonl, .json:
      let source = try ByteSource(path: path, compression: .none, blockSize: 1 << 16)
      let splitter = RecordSplitter(source: source, path: path, format: .json, options: options)
      while try !splitter.prepare() {}
      return splitter.mode == .lines
    }
  }

  /// The next chunk, or nil when every file has been read.
  public func next() throws(InputError) -> Chunk? {
    while true {
      if current == nil {
        guard sliceIndex < slices.count else { return nil }
        let slice = slices[sliceIndex]
        let path = files[sliceIndex]
        let kind = options.kind(of: path)
        let source = try ByteSource(
          path: path, compression: kind.compression, blockSize: options.readBlockSize,
          decodeThreads: options.decodeThreads, decodeJobBytes: options.decodeJobBytes)
        // A file's first bytes tell what cannot be read as UTF-8 text. The splitter of a JSON file's first slice
        // looks at them as it reads (plain, piped or decompressed: `RecordSplitter.prepare`); a later slice of a
        // plain file and an XML dump look here. XML may be UTF-16: libxml2 reads it.
        if kind.compression == .none && (kind.format == .xml || slice.from > 0),
          let problem = RecordSplitter.unsupportedFormat(
            try source.file.head(RecordSplitter.signatureBytes)[...], path: path, byteOrderMarks: kind.format != .xml)
        {
          throw InputError(.unsupportedFormat, file: path, problem)
        }
        // An empty regular file (a pipe's size says nothing) under a name that promises some content.
        let empty = source.file.isRegular && source.file.size == 0
        if kind.compression != .none && empty {
          // Every compressed format starts with a header: an empty file is not one (a download that failed).
          let tool = kind.compression.rawValue
          throw InputError(
            kind.compression == .zstd ? .zstd : .decompress, file: path,
            "the file is empty (0 bytes), so it holds no \(tool) data: even an empty \(tool) file has a header "
              + "(a download that failed?)")
        }
        if kind.format == .xml && kind.compression == .none && empty {
          // libxml2 would say "Extra content at the end of the document".
          throw InputError(.xml, file: path, "the file is empty: it holds no XML document")
        }
        if kind.format == .xml {
          current = .xml(try XMLRecordReader(source: source, path: path, options: options))
        } else if slice.from == 0 {
          current = .records(
            RecordSplitter(source: source, path: path, format: kind.format, options: options, endOffset: slice.limit))
        } else if let start = try source.file.firstLine(atOrAfter: slice.from), start.offset < slice.limit {
          try source.file.seek(to: start.offset)
          current = .records(
            RecordSplitter(source: source, path: path, options: options, start: start, endOffset: slice.limit))
        } else {
          // No line of the file starts in this slice's part of it.
          doneBytes += slice.ownedBytes
          sliceIndex += 1
          continue
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
          index: chunkIndex, file: files[sliceIndex], bytes: got.bytes, records: got.records,
          maxRecordBytes: options.maxRecordBytes)
      }
      doneBytes += slices[sliceIndex].ownedBytes
      current = nil
      sliceIndex += 1
    }
  }
}

/// Expands each entry of `patterns` that contains `*`, `?` or `[` with POSIX `glob` (matches sorted by byte
/// order, no tilde or brace expansion); one that matches nothing but names a file is that file; other entries
/// must exist. Order: pattern by pattern.
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
    guard rc == 0 else {
      // A name that holds `[`, `*` or `?` itself (`data[1].jsonl`): the file it names, as the shell would leave it.
      if access(pattern, F_OK) == 0 {
        out.append(pattern)
        continue
      }
      throw InputError(.noMatch, file: pattern, "the pattern matches no file")
    }
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
