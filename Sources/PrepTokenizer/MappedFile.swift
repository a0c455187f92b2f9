#if canImport(Glibc)
  import Glibc
#endif

/// A whole regular file mapped read-only, unmapped when the last reference goes. Reading through a mapping
/// takes the bytes from the page cache as they are: no copy into fresh memory, which the kernel must first
/// clear (for the 11 MB `tokenizer.json` and the 8 MB compiled tables, reading into new arrays took more of
/// a short run's start-up than hashing and checking them).
///
/// The file must not be cut short while mapped (reading past its new end would kill the process); prep's own
/// files are only ever replaced by a rename, which leaves a mapping of the old file intact.
final class MappedFile: @unchecked Sendable {
  let bytes: UnsafeRawBufferPointer

  /// The mapping of `path`, or nil when there is no such regular file, it is empty or cannot be read: the
  /// caller then reads the file its own way. On a file system that cannot map files (or with `mapFile`
  /// false, for tests), the bytes are read into a private mapping instead. The corresponding C functions are
  /// `open`, `fstat`, `mmap` and `pread`.
  init?(path: String, mapFile: Bool = true) {
    #if canImport(Glibc)
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { return nil }
      defer { close(fd) }
      var info = stat()
      guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
      let size = Int(info.st_size)
      // Populated at once: every byte is read right away (hashed or checked).
      if mapFile, let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED {
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        return
      }
      guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
        base != MAP_FAILED
      else { return nil }
      var done = 0
      while done < size {
        let got = pread(fd, base + done, size - done, off_t(done))
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else {
          munmap(base, size)
          return nil
        }
        done += got
      }
      _ = mprotect(base, size, PROT_READ)
      bytes = UnsafeRawBufferPointer(start: base, count: size)
    #else
      return nil
    #endif
  }

  deinit {
    #if canImport(Glibc)
      munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    #endif
  }
}
