import CFileSync

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Creates the directory `path` and its missing parents (`mkdir -p`); the error names the directory that could
/// not be made and why.
public func makeDirectories(_ path: String) throws(ShardError) { try Platform.makeDirectories(path) }

/// The few POSIX file calls the shard module needs, each wrapped once with errors that name the path.
enum Platform {
  static func errorMessage() -> String { String(cString: strerror(errno)) }

  /// `open(2)` for reading.
  static func openForReading(_ path: String) throws(ShardError) -> Int32 {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open", message: errorMessage()) }
    return fd
  }

  /// `open(2)` with `O_CREAT | O_EXCL`: a new file that nobody else holds.
  static func createExclusive(_ path: String) throws(ShardError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw .io(path: path, operation: "create", message: errorMessage()) }
    return fd
  }

  /// `write(2)` until every byte is written.
  static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(ShardError) {
    var failure: String? = nil
    bytes.withUnsafeBytes { buffer in
      var done = 0
      while done < buffer.count {
        guard let base = buffer.baseAddress else { return }
        let n = write(fd, base + done, buffer.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          failure = errorMessage()
          return
        }
        done += n
      }
    }
    if let failure { throw .io(path: path, operation: "write", message: failure) }
  }

  /// `pread(2)` of exactly `count` bytes at `offset`.
  static func readExactly(_ fd: Int32, offset: Int, count: Int, path: String) throws(ShardError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var failure: String? = nil
    var short = false
    out.withUnsafeMutableBytes { buffer in
      var done = 0
      while done < count {
        guard let base = buffer.baseAddress else { return }
        let n = pread(fd, base + done, count - done, off_t(offset + done))
        if n < 0 {
          if errno == EINTR { continue }
          failure = errorMessage()
          return
        }
        if n == 0 {
          short = true
          return
        }
        done += n
      }
    }
    if let failure { throw .io(path: path, operation: "read", message: failure) }
    if short {
      throw .corruptShard(file: path, offset: offset, reason: "file ends before \(count) bytes at this offset")
    }
    return out
  }

  /// `open(2)` of an existing file for writing, cut to `length` bytes, positioned at its end.
  static func openTruncated(_ path: String, length: Int) throws(ShardError) -> Int32 {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open", message: errorMessage()) }
    if ftruncate(fd, off_t(length)) != 0 || lseek(fd, off_t(length), SEEK_SET) < 0 {
      let message = errorMessage()
      close(fd)
      throw .io(path: path, operation: "truncate", message: message)
    }
    return fd
  }

  /// The size of the file at `path`, or nil when there is none.
  static func fileSize(_ path: String) -> Int? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    return Int(st.st_size)
  }

  /// The size of an open file (`fstat(2)`).
  static func size(_ fd: Int32, path: String) throws(ShardError) -> Int {
    var st = stat()
    if fstat(fd, &st) != 0 { throw .io(path: path, operation: "stat", message: errorMessage()) }
    return Int(st.st_size)
  }

  /// Whether something exists at `path` (`lstat(2)`).
  static func exists(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0
  }

  /// Whether `path` is a directory.
  static func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }

  /// Removes `path` if it is an empty directory (`rmdir(2)`); whether it was removed.
  @discardableResult
  static func removeEmptyDirectory(_ path: String) -> Bool {
    rmdir(path) == 0
  }

  /// `mkdir -p`.
  static func makeDirectories(_ path: String) throws(ShardError) {
    if isDirectory(path) { return }
    if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
      try makeDirectories(String(path[..<slash]))
    }
    if mkdir(path, 0o755) != 0 {
      if errno != EEXIST { throw .io(path: path, operation: "mkdir", message: errorMessage()) }
      // Made by someone else meanwhile, or a file of that name: only a directory will do.
      if !isDirectory(path) { throw .io(path: path, operation: "mkdir", message: "a file of that name exists") }
    }
  }

  /// Starts writing `count` bytes at `offset` of the file to disk without waiting (Linux
  /// `sync_file_range(2)`, see `prep_start_writeback`; nothing elsewhere), so that the `fsync` that
  /// completes a shard finds little left to write: that wait, at the end of a run, kept both cores idle
  /// (13 ms of a 0.7 s run). Best effort: `fsync` still decides durability.
  static func startWriteback(_ fd: Int32, offset: Int, count: Int) {
    _ = prep_start_writeback(fd, Int64(offset), Int64(count))
  }

  /// `fsync(2)`.
  static func sync(_ fd: Int32, path: String) throws(ShardError) {
    if fsync(fd) != 0 { throw .io(path: path, operation: "fsync", message: errorMessage()) }
  }

  /// `fsync(2)` on a directory, so that a rename inside it is durable.
  static func syncDirectory(_ path: String) throws(ShardError) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open directory", message: errorMessage()) }
    defer { close(fd) }
    if fsync(fd) != 0 { throw .io(path: path, operation: "fsync directory", message: errorMessage()) }
  }

  /// `close(2)`.
  static func closeFile(_ fd: Int32, path: String) throws(ShardError) {
    if close(fd) != 0 { throw .io(path: path, operation: "close", message: errorMessage()) }
  }

  /// `rename(2)`.
  static func renameFile(_ from: String, _ to: String) throws(ShardError) {
    if rename(from, to) != 0 { throw .io(path: from, operation: "rename to \(to)", message: errorMessage()) }
  }

  /// `unlink(2)`; a missing file is not an error.
  static func remove(_ path: String) throws(ShardError) {
    if unlink(path) != 0 && errno != ENOENT { throw .io(path: path, operation: "unlink", message: errorMessage()) }
  }

  /// The names in a directory (`opendir`/`readdir`), sorted, without `.` and `..`.
  static func listDirectory(_ path: String) throws(ShardError) -> [String] {
    guard let dir = opendir(path) else { throw .io(path: path, operation: "opendir", message: errorMessage()) }
    defer { closedir(dir) }
    var names = [String]()
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// Reads a whole (small) file.
  static func readFile(_ path: String) throws(ShardError) -> [UInt8] {
    let fd = try openForReading(path)
    defer { close(fd) }
    let size = try size(fd, path: path)
    return try readExactly(fd, offset: 0, count: size, path: path)
  }

  /// Writes a small file atomically: a hidden temporary name in the same directory, fsync, rename,
  /// fsync of the directory. The temporary file is removed if anything fails.
  static func writeFileAtomically(_ bytes: [UInt8], directory: String, name: String) throws(ShardError) {
    let temp = directory + "/." + name + ".tmp"
    let final = directory + "/" + name
    try remove(temp)
    let fd = try createExclusive(temp)
    do {
      try writeAll(fd, bytes, path: temp)
      try sync(fd, path: temp)
    } catch {
      close(fd)
      try? remove(temp)
      throw error
    }
    do {
      try closeFile(fd, path: temp)
      try renameFile(temp, final)
    } catch {
      try? remove(temp)
      throw error
    }
    try syncDirectory(directory)
  }
}
