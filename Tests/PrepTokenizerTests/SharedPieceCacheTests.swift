import Dispatch
import PrepCore
import PrepTestSupport
import Testing

@testable import PrepTokenizer

/// The second levels of the pre-token cache are shared by every thread of a tokenizer (`SharedPieceCache`):
/// threads that fill them at the same time must only ever read whole entries, and a full set sends new
/// keys on to the sets after it.
@Suite struct SharedPieceCacheTests {
  /// Random words of ASCII, Cyrillic and CJK letters, 1 to 15 bytes and more, so that short and long
  /// entries and cut pre-tokens are all cached.
  static func randomText(_ random: inout SplitMix64) -> String {
    let alphabets = [
      Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), Array("абвгдежзийклмнопрстуфхцчшщыьэюя"),
      Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"),
    ]
    var text = ""
    for _ in 0..<(50 + Int(random.next() % 100)) {
      let letters = alphabets[Int(random.next() % 3)]
      text +=
        " "
        + String((0..<(1 + Int(random.next() % 9))).map { _ in letters[Int(random.next() % UInt64(letters.count))] })
    }
    return text
  }

  /// The key of an ASCII window's pre-token, masked by `EncodeScratch.keyMasks`, is the key read byte by byte
  /// (what every other path builds): for every length a key can have, and the empty key, over random bytes
  /// (zeros and the bytes past the pre-token included), the words, the length and the hash agree.
  @Test func windowKeysAreTheKeysOfTheirBytes() {
    let scratch = EncodeScratch()
    var random = SplitMix64(seed: 2026_11_24)
    var buffer = [UInt8](repeating: 0, count: 16)
    for n in 0...EncodeScratch.maxCachedLength {
      for _ in 0..<200 {
        for k in 0..<16 { buffer[k] = random.next() % 4 == 0 ? 0 : UInt8(truncatingIfNeeded: random.next()) }
        buffer.withUnsafeBufferPointer { bytes in
          let p = bytes.baseAddress!
          let wide = CacheKey(wide: p, n, masks: scratch.keyMasks)
          let plain = CacheKey(p, n, readable: n)
          #expect(wide.k0 == plain.k0 && wide.k1 == plain.k1 && wide.length == n && wide.hash == plain.hash)
        }
      }
    }
  }

  /// Four threads encode the same new texts in the same order from the first call on, so that they race to
  /// insert the same pre-tokens into the same sets of a fresh tokenizer; every result must be the ids
  /// another tokenizer (with a cache of its own) gives.
  @Test func threadsFillingOneCacheAgree() throws {
    let fresh = try Tokenizer.load(directory: TestPaths.tokenizer)
    var random = SplitMix64(seed: 2026_11_24)
    let texts = (0..<300).map { _ in SharedPieceCacheTests.randomText(&random) }
    let results = ResultBox(count: 4)
    DispatchQueue.concurrentPerform(iterations: 4) { worker in
      var ok = true
      for text in texts where fresh.encode(text) != qwen3.encode(text) { ok = false }
      results.set(worker, ok)
    }
    #expect(results.all)
  }

  /// Keys that all belong to one set, short ones (up to 8 bytes, four ways a set) or long ones (two ways):
  /// as many as the ways of `probeSets` sets are found by another scratch (those past the first set's ways
  /// in the sets after it); one more finds no free way and stays in the private first level of the scratch
  /// that merged it.
  @Test(arguments: [(prefix: "k", ways: 4), (prefix: "long key ", ways: 2)])
  func aFullSetSpillsIntoTheNextSets(prefix: String, ways: Int) throws {
    let shared = SharedPieceCache()
    let writer = EncodeScratch(shared: shared)
    let reader = EncodeScratch(shared: shared)
    let sets = ways == 4 ? SharedPieceCache.shortSets : SharedPieceCache.longSets
    let wanted = ways * SharedPieceCache.probeSets + 1
    var bySet: [Int: [[UInt8]]] = [:]
    var keys: [[UInt8]] = []
    for i in 0..<4_000_000 {
      let bytes = Array("\(prefix)\(i)".utf8)
      let set = bytes.withUnsafeBufferPointer { buffer in
        Int(truncatingIfNeeded: CacheKey(buffer.baseAddress!, buffer.count, readable: buffer.count).hash >> 24)
          & (sets - 1)
      }
      bySet[set, default: []].append(bytes)
      if bySet[set]!.count == wanted {
        keys = bySet[set]!
        break
      }
    }
    try #require(keys.count == wanted)
    #expect(keys.allSatisfy { ($0.count <= 8) == (ways == 4) && $0.count <= EncodeScratch.maxCachedLength })
    let output = UnsafeMutablePointer<UInt32>.allocate(capacity: 16)
    defer { output.deallocate() }
    func withKey<R>(_ bytes: [UInt8], _ body: (CacheKey) -> R) -> R {
      bytes.withUnsafeBufferPointer { buffer in
        body(CacheKey(buffer.baseAddress!, buffer.count, readable: buffer.count))
      }
    }
    func lookup(_ bytes: [UInt8], in scratch: EncodeScratch) -> [UInt32]? {
      withKey(bytes) { key in
        var ids = IDWriter(base: output, capacity: 16)
        guard key.lookup(scratch, into: &ids) else { return nil }
        return Array(UnsafeBufferPointer(start: output, count: ids.count))
      }
    }
    for (index, bytes) in keys.enumerated() {
      var value = UInt32(1000 + index)
      withKey(bytes) { key in key.insert(writer, &value, 1) }
    }
    for (index, bytes) in keys.dropLast().enumerated() {
      #expect(lookup(bytes, in: reader) == [UInt32(1000 + index)], "key \(index)")
    }
    #expect(lookup(keys[wanted - 1], in: reader) == nil)
    #expect(lookup(keys[wanted - 1], in: writer) == [UInt32(1000 + wanted - 1)])
  }
}
