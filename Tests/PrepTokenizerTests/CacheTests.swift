import PrepCore
import PrepTestSupport
import Testing

@testable import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A copy of the Qwen3 tokenizer directory that a test may change.
private func tokenizerCopy(_ name: String) throws -> String {
  let dir = TestPaths.temporaryDirectory(name)
  for file in ["tokenizer.json"] {
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
    var body = Array(bytes[..<(bytes.count - 32)])
    body[8] &+= 1
    #expect(FileManager.default.createFile(atPath: path, contents: Data(body + SHA256.hash(body).bytes)))
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

  @Test func theRunningExecutableHasABuildID() {
    let identity = BuildIdentity.current
    #expect(identity.starts(with: Array("build-id ".utf8)))
    #expect(identity.count > "build-id ".utf8.count + 8)
  }
}
