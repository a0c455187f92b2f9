import PrepCore
import PrepTestSupport
import Testing

@testable import PrepTokenizer

#if canImport(Glibc)
  import Glibc
#endif
#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A copy of the Qwen3 tokenizer directory that a test may change.
private func tokenizerCopy(_ name: String) throws -> String {
  let dir = TestPaths.temporaryDirectory(name)
  for file in ["tokenizer.json", "tokenizer_config.json"] {
    try FileManager.default.copyItem(atPath: TestPaths.tokenizer + "/" + file, toPath: dir + "/" + file)
  }
  return dir
}

struct CacheTests {
  /// The compiled tokenizer is the fresh one, table for table, and gives HF's ids on the golden corpus.
  @Test func compiledTokenizerEqualsAFreshLoad() throws {
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("tokenizer-cache") + "/compiled")
    let path = try #require(cache.path(forTokenizerDirectory: TestPaths.tokenizer))
    #expect(!FileManager.default.fileExists(atPath: path))
    let first = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)
    #expect(FileManager.default.fileExists(atPath: path), "a miss should write the compiled file")
    let compiled = try #require(cache.read(path))
    let viaCache = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)

    let fresh = qwen3.compiledImage()
    #expect(first.compiledImage() == fresh)
    #expect(compiled.compiledImage() == fresh)
    #expect(viaCache.compiledImage() == fresh)
    #expect(compiled.fingerprint == qwen3.fingerprint)
    #expect(compiled.addedTokens == qwen3.addedTokens)
    #expect(compiled.vocabularySize == qwen3.vocabularySize)
    #expect(compiled.regularTokenCount == qwen3.regularTokenCount)
    #expect(compiled.addedTokenID("<|im_end|>") == 151_645)

    var mismatches = 0
    var count = 0
    for line in try fixtureLines("corpus.jsonl") {
      let node = try parseLine(line)
      let text = try #require(node["text"]?.string)
      let expected = ids(node["ids"])
      if compiled.encode(text) != expected { mismatches += 1 }
      if compiled.decode(expected) != qwen3.decode(expected) { mismatches += 1 }
      count += 1
    }
    #expect(count > 1000)
    #expect(mismatches == 0)
    for id in [0, 220, 9707, 151_643, 151_668] as [UInt32] {
      #expect(compiled.token(for: id) == qwen3.token(for: id))
    }
  }

  /// A file whose bytes changed anywhere is not used, and the next load writes a sound one.
  @Test(arguments: [0, 9, 100, 4_000, -40, -1])
  func aDamagedCompiledFileIsRebuilt(at offset: Int) throws {
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("tokenizer-cache-damaged"))
    _ = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)
    let path = try #require(cache.path(forTokenizerDirectory: TestPaths.tokenizer))
    var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
    let at = offset >= 0 ? offset : bytes.count + offset
    bytes[at] ^= 0x20
    #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
    #expect(cache.read(path) == nil)
    let reloaded = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)
    #expect(reloaded.compiledImage() == qwen3.compiledImage())
    #expect(cache.read(path) != nil, "the damaged file should have been replaced")
  }

  /// A cut-off file, an empty one and one of another format are not used.
  @Test func aTruncatedOrForeignFileIsNotUsed() throws {
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("tokenizer-cache-truncated"))
    _ = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)
    let path = try #require(cache.path(forTokenizerDirectory: TestPaths.tokenizer))
    let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
    for cut in [0, 8, 1_000, bytes.count / 2, bytes.count - 1] {
      #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes[..<cut])))
      #expect(cache.read(path) == nil)
    }
    // A well-formed file (its checksum holds) whose body is another version is refused too.
    var body = Array(bytes[..<(bytes.count - TokenizerCache.checksumBytes)])
    body[8] &+= 1
    let sum = body.withUnsafeBytes { TokenizerCache.checksum($0) }
    let resealed = body + withUnsafeBytes(of: sum.littleEndian) { Array($0) }
    #expect(FileManager.default.createFile(atPath: path, contents: Data(resealed)))
    #expect(cache.read(path) == nil)
  }

  /// The file name follows the tokenizer files' contents, not their place.
  @Test func theKeyFollowsTheTokenizerFiles() throws {
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("tokenizer-cache-key"))
    let original = try #require(cache.path(forTokenizerDirectory: TestPaths.tokenizer))
    let copy = try tokenizerCopy("tokenizer-copy")
    #expect(cache.path(forTokenizerDirectory: copy) == original)
    var json = try #require(FileManager.default.contents(atPath: copy + "/tokenizer.json"))
    json.append(contentsOf: Array(" \n".utf8))
    #expect(FileManager.default.createFile(atPath: copy + "/tokenizer.json", contents: json))
    let changed = try #require(cache.path(forTokenizerDirectory: copy))
    #expect(changed != original)
    #expect(cache.path(forFingerprint: try TokenizerSource.fingerprint(directory: copy)) == changed)
    // tokenizer_config.json is part of the key too.
    let config = try #require(FileManager.default.contents(atPath: copy + "/tokenizer_config.json"))
    #expect(FileManager.default.createFile(atPath: copy + "/tokenizer_config.json", contents: config + Data(" ".utf8)))
    let configChanged = try #require(cache.path(forTokenizerDirectory: copy))
    #expect(configChanged != changed && configChanged != original)
    #expect(FileManager.default.createFile(atPath: copy + "/tokenizer_config.json", contents: config))
    // The changed file still loads, and compiles to the same tables under its own name.
    let tokenizer = try Tokenizer.load(directory: copy, cache: cache)
    #expect(tokenizer.compiledImage() == qwen3.compiledImage())
    #expect(FileManager.default.fileExists(atPath: changed))
    #expect(cache.path(forTokenizerDirectory: TestPaths.temporaryDirectory("no-tokenizer")) == nil)
  }

  /// The directory keeps the newest files only.
  @Test func theCacheKeepsTheNewestFiles() throws {
    let dir = TestPaths.temporaryDirectory("tokenizer-cache-trim")
    let manager = FileManager.default
    for k in 0..<12 {
      let path = dir + "/old-\(k).bin"
      #expect(manager.createFile(atPath: path, contents: Data([1, 2, 3])))
      try manager.setAttributes(
        [.modificationDate: Date(timeIntervalSince1970: 1_000_000 + Double(k))], ofItemAtPath: path)
    }
    // What a killed writer left: removed once stale, kept while it may still be written.
    #expect(manager.createFile(atPath: dir + "/x.bin.tmp-1", contents: Data([1])))
    try manager.setAttributes(
      [.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: dir + "/x.bin.tmp-1")
    #expect(manager.createFile(atPath: dir + "/y.bin.tmp-2", contents: Data([1])))
    let cache = TokenizerCache(directory: dir)
    _ = try Tokenizer.load(directory: TestPaths.tokenizer, cache: cache)
    #expect(!manager.fileExists(atPath: dir + "/x.bin.tmp-1"))
    #expect(manager.fileExists(atPath: dir + "/y.bin.tmp-2"))
    let names = try manager.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".bin") }.sorted()
    #expect(names.count == TokenizerCache.keep)
    let compiled = try #require(cache.path(forTokenizerDirectory: TestPaths.tokenizer))
    #expect(names.contains(String(compiled.split(separator: "/").last ?? "")))
    #expect(!names.contains("old-0.bin"))
    #expect(names.contains("old-11.bin"))
  }

  /// The fingerprint a cache remembers is the hash of the files' bytes, and it is used only while the files
  /// keep their device, inode, size and times: a rewrite with other bytes of the same size gets the new
  /// hash, files changed within `settle` seconds are not remembered, and a damaged memo is not used.
  @Test func theRememberedFingerprintFollowsTheFiles() throws {
    let cache = TokenizerCache(directory: TestPaths.temporaryDirectory("fingerprint-memo"))
    let copy = try tokenizerCopy("fingerprint-memo-copy")
    let manager = FileManager.default
    func memos() -> [String] {
      ((try? manager.contentsOfDirectory(atPath: cache.directory)) ?? []).filter { $0.hasPrefix("fp-") }
    }
    let truth = try TokenizerSource.fingerprint(directory: copy)
    #expect(try cache.fingerprint(directory: copy, settle: 3600) == truth)
    #expect(memos().isEmpty, "files just written are not remembered")
    usleep(50_000)
    #expect(try cache.fingerprint(directory: copy, settle: 0.02) == truth)
    let memo = cache.directory + "/" + (try #require(memos().first))
    #expect(memos().count == 1)
    #expect(try String(contentsOfFile: memo, encoding: .utf8) == truth)
    // What is remembered is what is used (a planted value shows it).
    let planted = "sha256:" + String(repeating: "0", count: 64)
    #expect(manager.createFile(atPath: memo, contents: Data(planted.utf8)))
    #expect(try cache.fingerprint(directory: copy, settle: 0.02) == planted)
    // A damaged memo is not used, and is written again.
    #expect(manager.createFile(atPath: memo, contents: Data("sha256:12".utf8)))
    #expect(try cache.fingerprint(directory: copy, settle: 0.02) == truth)
    #expect(try String(contentsOfFile: memo, encoding: .utf8) == truth)
    // The same number of bytes, one of them changed.
    usleep(50_000)
    var json = [UInt8](try #require(manager.contents(atPath: copy + "/tokenizer.json")))
    json[json.count / 2] ^= 0x01
    #expect(manager.createFile(atPath: copy + "/tokenizer.json", contents: Data(json)))
    let changed = try TokenizerSource.fingerprint(directory: copy)
    #expect(changed != truth)
    #expect(try cache.fingerprint(directory: copy, settle: 3600) == changed)
    // Without a tokenizer directory, the same error as the plain fingerprint.
    let empty = TestPaths.temporaryDirectory("fingerprint-memo-empty")
    #expect(throws: TokenizerError.missingFiles(directory: empty)) { try cache.fingerprint(directory: empty) }
  }

  @Test func theRunningExecutableHasABuildID() {
    let identity = BuildIdentity.current
    #expect(identity.starts(with: Array("build-id ".utf8)))
    #expect(identity.count > "build-id ".utf8.count + 8)
  }
}

/// The fingerprint datasets record (`index.json`) and the compiled cache is keyed by.
struct SourceFingerprintTests {
  /// SHA-256 over name, NUL, decimal size, NUL and bytes of tokenizer.json, then tokenizer_config.json:
  /// the format recorded in existing datasets, which must not change.
  @Test func theFingerprintHashesNameSizeAndBytesOfEachFile() throws {
    var expected = SHA256()
    for name in ["tokenizer.json", "tokenizer_config.json"] {
      let bytes = [UInt8](try #require(FileManager.default.contents(atPath: TestPaths.tokenizer + "/" + name)))
      expected.update(Array(name.utf8) + [0] + Array(String(bytes.count).utf8) + [0])
      expected.update(bytes)
    }
    let fingerprint = try TokenizerSource.fingerprint(directory: TestPaths.tokenizer)
    #expect(fingerprint == "sha256:" + expected.finalize().description)
    #expect(try TokenizerSource.fingerprint(directory: try tokenizerCopy("fingerprint-copy")) == fingerprint)
  }

  /// vocab.json + merges.txt directories hash those two; a missing tokenizer_config.json is skipped; a
  /// directory without tokenizer files (or a path that is no directory) is the loader's error for it.
  @Test func theFingerprintOfOtherLayouts() throws {
    let dir = TestPaths.temporaryDirectory("fingerprint-vocab-merges")
    for name in ["vocab.json", "merges.txt"] {
      try FileManager.default.copyItem(atPath: TestPaths.tokenizer + "/" + name, toPath: dir + "/" + name)
    }
    var expected = SHA256()
    for name in ["vocab.json", "merges.txt"] {
      let bytes = [UInt8](try #require(FileManager.default.contents(atPath: dir + "/" + name)))
      expected.update(Array(name.utf8) + [0] + Array(String(bytes.count).utf8) + [0])
      expected.update(bytes)
    }
    #expect(try TokenizerSource.fingerprint(directory: dir) == "sha256:" + expected.finalize().description)
    let empty = TestPaths.temporaryDirectory("fingerprint-empty")
    #expect(throws: TokenizerError.missingFiles(directory: empty)) { try TokenizerSource.fingerprint(directory: empty) }
    let file = empty + "/not-a-directory"
    #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
    #expect(throws: TokenizerError.missingFiles(directory: file)) { try TokenizerSource.fingerprint(directory: file) }
    // Only the optional config missing: fine. Only merges.txt missing: the loader's error too.
    try FileManager.default.removeItem(atPath: dir + "/merges.txt")
    #expect(throws: TokenizerError.missingFiles(directory: dir)) { try TokenizerSource.fingerprint(directory: dir) }
  }

  /// A file mapped, or read into memory where it cannot be mapped, gives the same bytes; an empty or missing
  /// file gives none (the callers then read it their own way).
  @Test func aMappedFileHoldsTheFileBytes() throws {
    let path = TestPaths.tokenizer + "/tokenizer_config.json"
    let expected = [UInt8](try #require(FileManager.default.contents(atPath: path)))
    for mapFile in [true, false] {
      let file = try #require(MappedFile(path: path, mapFile: mapFile))
      #expect(Array(file.bytes) == expected, "mapFile \(mapFile)")
    }
    let empty = TestPaths.temporaryDirectory("mapped-empty") + "/empty"
    #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
    #expect(MappedFile(path: empty) == nil)
    #expect(MappedFile(path: empty + "-missing") == nil)
  }

  /// An empty file (which cannot be mapped) is hashed like any other.
  @Test func anEmptyFileIsHashedToo() throws {
    let dir = try tokenizerCopy("fingerprint-empty-config")
    #expect(FileManager.default.createFile(atPath: dir + "/tokenizer_config.json", contents: Data()))
    var expected = SHA256()
    let json = [UInt8](try #require(FileManager.default.contents(atPath: dir + "/tokenizer.json")))
    expected.update(Array("tokenizer.json".utf8) + [0] + Array(String(json.count).utf8) + [0])
    expected.update(json)
    expected.update(Array("tokenizer_config.json".utf8) + [0] + Array("0".utf8) + [0])
    #expect(try TokenizerSource.fingerprint(directory: dir) == "sha256:" + expected.finalize().description)
  }

  /// Changing any one byte of a compiled body, to any other value, changes its checksum.
  @Test func theChecksumSeesEveryChangedByte() {
    var bytes = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
    let original = bytes.withUnsafeBytes { TokenizerCache.checksum($0) }
    var unchanged = 0
    for at in bytes.indices {
      let saved = bytes[at]
      for flip in 1...255 {
        bytes[at] = saved ^ UInt8(flip)
        if bytes.withUnsafeBytes({ TokenizerCache.checksum($0) }) == original { unchanged += 1 }
      }
      bytes[at] = saved
    }
    #expect(unchanged == 0)
    // Length matters too: a body cut short or padded with zeros checks differently.
    #expect(bytes.withUnsafeBytes { TokenizerCache.checksum(UnsafeRawBufferPointer(rebasing: $0[..<199])) } != original)
    #expect((bytes + [0]).withUnsafeBytes { TokenizerCache.checksum($0) } != original)
  }
}
