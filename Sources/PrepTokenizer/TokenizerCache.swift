import PrepCore

#if canImport(Glibc)
  import Glibc
#endif
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// Compiled tokenizers on disk, so that a `prep` command does not rebuild the tables from the tokenizer
/// file every time (about 0.15 s of CPU for Qwen3's: parsing 7 MB of JSON, resolving 151,387 merges,
/// the character tables). A compiled file holds the built tables byte for byte.
///
/// A file is used only when its name, a SHA-256 over the tokenizer files' fingerprint (`TokenizerSource`)
/// and the running executable's build id, matches, and when the checksum of its own bytes, stored at its
/// end, holds: any change to the tokenizer files or to prep (a rebuild changes the build id) means another
/// file, and a damaged file is rebuilt. Nothing about the ids can differ from a fresh load: the tests compare every
/// table and the ids of the golden corpus both ways.
///
/// Writing is best effort (a read-only or missing cache directory only costs the rebuild); a file
/// appears atomically (temporary name, then rename), and the directory keeps the 8 newest files.
public struct TokenizerCache: Sendable, Equatable {
  /// The directory holding compiled files.
  public let directory: String

  /// A cache in `directory` (created when first written).
  public init(directory: String) { self.directory = directory }

  /// The cache the environment asks for: `PREP_TOKENIZER_CACHE` (a directory, or `off`), else
  /// `$XDG_CACHE_HOME/prep/tokenizers`, else `$HOME/.cache/prep/tokenizers`; nil when off or without a home.
  public static func fromEnvironment() -> TokenizerCache? {
    let env = ProcessInfo.processInfo.environment
    if let chosen = env["PREP_TOKENIZER_CACHE"], !chosen.isEmpty {
      return chosen == "off" ? nil : TokenizerCache(directory: chosen)
    }
    if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
      return TokenizerCache(directory: xdg + "/prep/tokenizers")
    }
    if let home = env["HOME"], home.hasPrefix("/") {
      return TokenizerCache(directory: home + "/.cache/prep/tokenizers")
    }
    return nil
  }

  /// How many compiled files the directory keeps.
  static let keep = 8
  /// How many remembered fingerprints (`fingerprint(directory:)`) it keeps.
  static let keepFingerprints = 64
  static let magic: [UInt8] = Array("PREPTOKC".utf8)
  static let formatVersion: UInt64 = 3
  /// Bytes of the checksum at the end of a file (see `checksum`).
  static let checksumBytes = 8

  /// The compiled file for the tokenizer files of `directory` as `load(directory:)` would read them, or nil
  /// when they cannot be read (the normal load then reports why).
  func path(forTokenizerDirectory tokenizer: String) -> String? {
    guard let fingerprint = try? fingerprint(directory: tokenizer) else { return nil }
    return path(forFingerprint: fingerprint)
  }

  /// `TokenizerSource.fingerprint(directory:)`, remembered in this directory by the identity of the files
  /// (device, inode, size, modification and change times, as `git` trusts its index): hashing the 11 MB of
  /// Qwen's files took about 12 ms of every command's start. A file written in any way gets a new change
  /// time, so a remembered fingerprint is never used for other bytes. Only files whose times are at least
  /// `settle` seconds old are remembered: a file rewritten within the clock's resolution of the first
  /// hash could otherwise keep its times.
  public func fingerprint(directory tokenizer: String, settle: Double = 1) throws(TokenizerError) -> String {
    guard let layout = try? TokenizerLayout(directory: tokenizer) else {
      return try TokenizerSource.fingerprint(directory: tokenizer)
    }
    var key = SHA256()
    key.update(Array("prep tokenizer fingerprint 1\n".utf8))
    var newest = 0.0
    for name in layout.files {
      var info = stat()
      guard stat(tokenizer + "/" + name, &info) == 0 else {
        if name == "tokenizer_config.json" && errno == ENOENT { continue }
        return try TokenizerSource.fingerprint(directory: tokenizer)
      }
      let fields = [
        UInt64(info.st_dev), UInt64(info.st_ino), UInt64(info.st_size), UInt64(info.st_mtim.tv_sec),
        UInt64(info.st_mtim.tv_nsec), UInt64(info.st_ctim.tv_sec), UInt64(info.st_ctim.tv_nsec),
      ]
      key.update(Array("\(name) \(fields.map(String.init).joined(separator: " "))\n".utf8))
      let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
      let changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
      newest = max(newest, modified, changed)
    }
    let memo = directory + "/fp-" + key.finalize().hexString + ".txt"
    if let bytes = try? TokenizerSource.readBytes(memo), let text = String(validating: bytes, as: UTF8.self),
      TokenizerCache.isFingerprint(text)
    {
      return text
    }
    let fingerprint = try TokenizerSource.fingerprint(directory: tokenizer)
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    if Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - newest >= settle {
      writeAtomically(Array(fingerprint.utf8), to: memo)
    }
    return fingerprint
  }

  /// Whether `text` is a fingerprint as `TokenizerSource.fingerprint` writes it.
  static func isFingerprint(_ text: String) -> Bool {
    let hex = text.utf8.dropFirst(7)
    return text.hasPrefix("sha256:") && hex.count == 64
      && hex.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
  }

  /// The compiled file for tokenizer files of this fingerprint (`TokenizerSource.fingerprint`).
  func path(forFingerprint fingerprint: String) -> String {
    var key = SHA256()
    key.update(Array("prep compiled tokenizer \(TokenizerCache.formatVersion)\n".utf8))
    key.update(BuildIdentity.current)
    key.update(Array("\n\(fingerprint)".utf8))
    return directory + "/" + key.finalize().hexString + ".bin"
  }

  /// The tokenizer compiled in `path`, or nil when the file is missing, of another format or damaged.
  /// The file is mapped, and the tokenizer's tables are used where they lie in it (see `MappedFile`).
  func read(_ path: String) -> Tokenizer? {
    guard let file = MappedFile(path: path),
      file.bytes.count > TokenizerCache.checksumBytes + TokenizerCache.magic.count
    else { return nil }
    let raw = file.bytes
    let body = raw.count - TokenizerCache.checksumBytes
    guard
      TokenizerCache.checksum(UnsafeRawBufferPointer(rebasing: raw[..<body]))
        == raw.loadUnaligned(fromByteOffset: body, as: UInt64.self).littleEndian
    else { return nil }
    var reader = ImageReader(file: file, end: body)
    guard let parts = reader.parts() else { return nil }
    return Tokenizer(parts: parts)
  }

  /// A 64-bit checksum of a compiled file's body, fast enough not to matter at start-up (SHA-256 of the
  /// 8 MB took longer than reading the tables). It is there to catch damage (a cut-off or corrupted file),
  /// not forgery: whoever can write the cache directory can change what prep runs anyway. Four lanes of
  /// `rotate((lane ^ word) * odd, 29)`, each step a bijection of the word, so changing any one word always
  /// changes its lane; the lanes, the tail and the length are then mixed together.
  static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let prime: UInt64 = 0x9E37_79B9_7F4A_7C15
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (1, 2, 3, 4)
    @inline(__always) func step(_ lane: UInt64, _ word: UInt64) -> UInt64 {
      let x = (lane ^ word) &* prime
      return x << 29 | x >> 35
    }
    let count = bytes.count
    var at = 0
    while at + 32 <= count {
      lanes.0 = step(lanes.0, bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
      lanes.1 = step(lanes.1, bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
      lanes.2 = step(lanes.2, bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))
      lanes.3 = step(lanes.3, bytes.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))
      at += 32
    }
    var tail = UInt64(count)
    while at < count {
      tail = step(tail, UInt64(bytes[at]))
      at += 1
    }
    var h = step(step(step(step(tail, lanes.0), lanes.1), lanes.2), lanes.3)
    h ^= h >> 31
    h = h &* 0xBF58_476D_1CE4_E5B9
    return h ^ h >> 29
  }

  /// Writes `tokenizer` compiled to `path` (best effort), then trims the directory to the newest files.
  func write(_ tokenizer: Tokenizer, to path: String) {
    var bytes = tokenizer.compiledImage()
    let sum = bytes.withUnsafeBytes { TokenizerCache.checksum($0) }
    withUnsafeBytes(of: sum.littleEndian) { bytes.append(contentsOf: $0) }
    writeAtomically(bytes, to: path)
  }

  /// Writes a file of the directory under a temporary name, renames it to `path` (best effort), then trims
  /// the directory.
  private func writeAtomically(_ bytes: [UInt8], to path: String) {
    let manager = FileManager.default
    try? manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let temporary = path + ".tmp-\(getpid())"
    guard manager.createFile(atPath: temporary, contents: Data(bytes)) else { return }
    guard rename(temporary, path) == 0 else {
      try? manager.removeItem(atPath: temporary)
      return
    }
    trim()
  }

  /// Removes all but the `keep` newest compiled files and the `keepFingerprints` newest remembered
  /// fingerprints, and temporary files a killed process left (older than ten minutes).
  private func trim() {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return }
    var compiled: [(path: String, modified: Date)] = []
    var fingerprints: [(path: String, modified: Date)] = []
    let stale = Date(timeIntervalSinceNow: -600)
    for name in names where name.hasSuffix(".bin") || name.hasSuffix(".txt") || name.contains(".tmp-") {
      let path = directory + "/" + name
      let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
      if name.contains(".tmp-") {
        if modified < stale { try? manager.removeItem(atPath: path) }
      } else if name.hasSuffix(".bin") {
        compiled.append((path, modified))
      } else if name.hasPrefix("fp-") {
        fingerprints.append((path, modified))
      }
    }
    for (var files, keep) in [(compiled, TokenizerCache.keep), (fingerprints, TokenizerCache.keepFingerprints)]
    where files.count > keep {
      files.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.path < $1.path }
      for file in files[keep...] { try? manager.removeItem(atPath: file.path) }
    }
  }
}

extension Tokenizer {
  /// Loads an HF tokenizer directory as `load(directory:)` does, through `cache` when one is given: the
  /// compiled file when it is there and sound, else a fresh load that is then compiled into the cache.
  ///
  /// `fingerprint` is the directory's `TokenizerSource.fingerprint` when the caller has it already (it is
  /// the cache key; computed here otherwise).
  public static func load(
    directory: String, cache: TokenizerCache?, fingerprint: String? = nil
  ) throws(TokenizerError) -> Tokenizer {
    guard let cache, let key = try? fingerprint ?? cache.fingerprint(directory: directory) else {
      return try load(directory: directory)
    }
    let path = cache.path(forFingerprint: key)
    if let cached = cache.read(path) { return cached }
    let tokenizer = try load(directory: directory)
    cache.write(tokenizer, to: path)
    return tokenizer
  }

  /// The tables as a compiled file's body (see `ImageReader` for the layout).
  func compiledImage() -> [UInt8] {
    var w = ImageWriter()
    w.bytes.append(contentsOf: TokenizerCache.magic)
    w.u64(TokenizerCache.formatVersion)
    w.u64(UInt64(parts.mergeCapacity))
    w.u64(UInt64(parts.mergeCount))
    w.u64(UInt64(parts.vocabCapacity))
    w.u64(UInt64(parts.regularTokenCount))
    w.u64(UInt64(parts.vocabularySize))
    w.u64(parts.mergedIsOffset ? 1 : 0)
    w.u64(UInt64(parts.mergedOffset))
    w.u64(parts.normalizeNFC ? 1 : 0)
    w.u64(parts.ignoreMerges ? 1 : 0)
    w.array(Array(parts.fingerprint.utf8))
    w.array(parts.pieceBytes)
    parts.pieceOffsets.withUnsafeBytes { w.array($0) }
    w.array(parts.pieceIsByteLevel.map { $0 ? 1 : 0 })
    w.array(parts.pieceExists.map { $0 ? 1 : 0 })
    w.u64(UInt64(parts.added.count))
    for token in parts.added {
      w.u64(UInt64(token.id) | (token.special ? 1 << 32 : 0) | token.options << 33)
      w.array(Array(token.content.utf8))
    }
    for table in parts.tables { w.array(UnsafeRawBufferPointer(start: table.pointer, count: table.bytes)) }
    return w.bytes
  }
}

/// Little-endian words and length-prefixed byte arrays, each array padded to 8 bytes.
struct ImageWriter {
  var bytes: [UInt8] = []

  mutating func u64(_ v: UInt64) {
    for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
  }

  mutating func array(_ raw: UnsafeRawBufferPointer) {
    u64(UInt64(raw.count))
    bytes.append(contentsOf: raw)
    while bytes.count % 8 != 0 { bytes.append(0) }
  }

  mutating func array(_ data: [UInt8]) { data.withUnsafeBytes { array($0) } }
}

/// Reads what `Tokenizer.compiledImage()` wrote: the magic and version, nine sizes and flags (merge table
/// capacity, merge count, vocabulary table capacity, regular token count, vocabulary size, merged-is-offset,
/// merged offset, NFC, ignore-merges), the fingerprint, the piece bytes, offsets and flags, the added tokens
/// (id and special flag, then content) and the nine raw tables of `TokenizerParts.tables`, which stay in
/// the mapped file (each starts at a multiple of 8 from the page-aligned start). Every size is checked
/// against what the others imply; anything off gives nil.
struct ImageReader {
  let file: MappedFile
  let bytes: UnsafeRawBufferPointer
  let end: Int
  var position = 0

  init(file: MappedFile, end: Int) {
    self.file = file
    bytes = file.bytes
    self.end = end
  }

  mutating func u64() -> UInt64? {
    guard position + 8 <= end else { return nil }
    let v = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self).littleEndian
    position += 8
    return v
  }

  /// The next array, if it holds exactly `expected` bytes (any count when nil).
  mutating func array(expected: Int? = nil) -> UnsafeRawBufferPointer? {
    guard let count = u64().map(Int.init), count >= 0, count <= end - position else { return nil }
    if let expected, expected != count { return nil }
    let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    position += (count + 7) & ~7
    guard position <= end else { return nil }
    return slice
  }

  mutating func parts() -> TokenizerParts? {
    guard end >= 8, Array(bytes[0..<8]) == TokenizerCache.magic else { return nil }
    position = 8
    guard u64() == TokenizerCache.formatVersion, let mergeCapacity = u64().map(Int.init),
      let mergeCount = u64().map(Int.init), let vocabCapacity = u64().map(Int.init),
      let regularTokenCount = u64().map(Int.init), let vocabularySize = u64().map(Int.init),
      let mergedIsOffset = u64(), let mergedOffset = u64(), let nfc = u64(), let ignoreMerges = u64(),
      mergeCapacity > 0, mergeCapacity & (mergeCapacity - 1) == 0, vocabCapacity > 0,
      vocabCapacity & (vocabCapacity - 1) == 0, mergeCount < mergeCapacity, vocabularySize < EncoderCore.idLimit,
      let fingerprint = array(), let pieceBytes = array(),
      let offsetBytes = array(expected: 4 * (vocabularySize + 1)),
      let byteLevel = array(expected: vocabularySize), let exists = array(expected: vocabularySize),
      let addedCount = u64().map(Int.init), addedCount <= vocabularySize
    else { return nil }
    var offsets = [UInt32](repeating: 0, count: vocabularySize + 1)
    offsets.withUnsafeMutableBytes { $0.copyMemory(from: offsetBytes) }
    guard offsets.last.map(Int.init) == pieceBytes.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
    else { return nil }
    var added: [AddedToken] = []
    for _ in 0..<addedCount {
      guard let word = u64(), let content = array() else { return nil }
      let id = UInt32(truncatingIfNeeded: word)
      guard Int(id) < vocabularySize, let text = String(validating: content, as: UTF8.self) else { return nil }
      added.append(AddedToken(content: text, id: id, special: word >> 32 & 1 == 1, options: word >> 33 & 15))
    }
    guard let text = String(validating: fingerprint, as: UTF8.self) else { return nil }
    var tables: [UnsafeRawPointer] = []
    let sizes = TokenizerParts.tableBytes(
      mergeCapacity: mergeCapacity, mergeCount: mergeCount, vocabCapacity: vocabCapacity)
    for size in sizes {
      guard let data = array(expected: size), let base = data.baseAddress else { return nil }
      tables.append(base)
    }
    guard position == end else { return nil }
    var parts = TokenizerParts(
      mergeCapacity: mergeCapacity, mergeCount: mergeCount, vocabCapacity: vocabCapacity,
      pieceBytes: Array(pieceBytes), pieceOffsets: offsets, pieceIsByteLevel: byteLevel.map { $0 != 0 },
      pieceExists: exists.map { $0 != 0 }, added: added, regularTokenCount: regularTokenCount,
      vocabularySize: vocabularySize, normalizeNFC: nfc != 0, ignoreMerges: ignoreMerges != 0,
      mapped: (file, tables))
    parts.mergedIsOffset = mergedIsOffset != 0
    parts.mergedOffset = UInt32(truncatingIfNeeded: mergedOffset)
    parts.fingerprint = text
    return parts
  }
}

/// What identifies the running executable: its GNU build id when it has one, else a SHA-256 of its bytes.
/// A rebuilt prep, whose tables may differ, never reads another build's compiled tokenizers.
enum BuildIdentity {
  static let current: [UInt8] = {
    if let id = gnuBuildID(), !id.isEmpty { return Array("build-id ".utf8) + id }
    if let data = FileManager.default.contents(atPath: "/proc/self/exe") {
      return Array("exe-sha256 ".utf8)
        + data.withUnsafeBytes { raw in
          var h = SHA256()
          h.update(raw)
          return h.finalize().bytes
        }
    }
    // No way to tell builds apart: a fresh value per process never matches a file.
    return Array("process \(getpid()) \(UInt64.random(in: .min ... .max))".utf8)
  }()

  /// The `NT_GNU_BUILD_ID` note of the running executable (a 64-bit little-endian ELF file): its program
  /// headers, then the notes of each `PT_NOTE` segment.
  private static func gnuBuildID() -> [UInt8]? {
    let fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    func read(_ offset: Int, _ count: Int) -> [UInt8]? {
      guard count > 0, count <= 1 << 20 else { return nil }
      var out = [UInt8](repeating: 0, count: count)
      let got = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
      return got == count ? out : nil
    }
    func word<T: FixedWidthInteger>(_ bytes: [UInt8], _ at: Int, _: T.Type) -> Int {
      var v: UInt64 = 0
      for k in 0..<(T.bitWidth / 8) { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
      return Int(truncatingIfNeeded: v)
    }
    // ELF magic, 64-bit, little-endian.
    guard let header = read(0, 64), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46], header[4] == 2, header[5] == 1
    else { return nil }
    let tableOffset = word(header, 32, UInt64.self)
    let entrySize = word(header, 54, UInt16.self)
    let entries = word(header, 56, UInt16.self)
    guard entrySize >= 56, let table = read(tableOffset, entrySize * entries) else { return nil }
    for k in 0..<entries where word(table, k * entrySize, UInt32.self) == 4 {  // PT_NOTE
      let offset = word(table, k * entrySize + 8, UInt64.self)
      let size = word(table, k * entrySize + 32, UInt64.self)
      guard let notes = read(offset, size) else { continue }
      var at = 0
      while at + 12 <= notes.count {
        let nameSize = word(notes, at, UInt32.self)
        let descSize = word(notes, at + 4, UInt32.self)
        let type = word(notes, at + 8, UInt32.self)
        let descStart = at + 12 + ((nameSize + 3) & ~3)
        let next = descStart + ((descSize + 3) & ~3)
        guard next <= notes.count else { break }
        if type == 3 && nameSize == 4 && notes[(at + 12)..<(at + 16)] == [0x47, 0x4E, 0x55, 0] {  // "GNU"
          return Array(notes[descStart..<(descStart + descSize)])
        }
        at = next
      }
    }
    return nil
  }
}
