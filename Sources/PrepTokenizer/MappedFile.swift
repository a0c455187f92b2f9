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

  /// The mapping of `path`, or nil when it cannot be made (no such regular file, empty, or no `mmap`): the
  /// caller then reads the file instead. The corresponding C functions are `open`, `fstat` and `mmap`.
  init?(path: String) {
    #if canImport(Glibc)
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { return nil }
      defer { close(fd) }
      var info = stat()
      guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
      let size = Int(info.st_size)
      // Populated at once: every byte is read right away (hashed or checked).
      guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
        return nil
      }
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
