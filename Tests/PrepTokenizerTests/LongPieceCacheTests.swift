import PrepCore
import Testing

@testable import PrepTokenizer

/// Pre-tokens longer than the short cache keys go through `LongPieceCache`: the ids must be those of plain
/// BPE whether the piece is new, cached, evicted by another in its slot, or lost when the arena starts over.
extension ShortcutTests {
  /// A long pre-token of one of the kinds the cache sees: a run of spaces (as the pre-tokenizer cuts it
  /// before a word), a long ASCII word or identifier, a long Cyrillic word (two-byte letters), a run of CJK
  /// characters (cut into parts, not cached whole), or one past the cache's length limit.
  func longPiece(_ random: inout SplitMix64) -> String {
    let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    let cyrillic = Array("абвгдежзийклмнопрстуфхцчшщыьэюя")
    let han = Array("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年")
    switch random.next() % 5 {
    case 0: return String(repeating: " ", count: 16 + Int(random.next() % 300))
    case 1: return " " + String((0..<(15 + Int(random.next() % 40))).map { _ in letters[Int(random.next() % 52)] })
    case 2: return " " + String((0..<(8 + Int(random.next() % 30))).map { _ in cyrillic[Int(random.next() % 31)] })
    case 3: return String((0..<(6 + Int(random.next() % 40))).map { _ in han[Int(random.next() % 30)] })
    default:
      return " " + String((0..<(LongPieceCache.maxLength + Int(random.next() % 50))).map { _ in letters[0] })
    }
  }

  @Test func longPiecesMatchPlainBPEFromTheCache() throws {
    var random = SplitMix64(seed: 2026_11_25)
    // A pool of long pieces, so that most come back many times. In the text each is followed by a digit,
    // a pre-token of its own that joins nothing (a comma would start the next CJK run); a run of spaces is
    // ended by a newline, which joins it (`\s*[\r\n]+`), else it would keep its last space for the digit.
    let pool = (0..<200).map { _ in longPiece(&random) }
    let digit = plainBPE(Array("1".utf8))
    let scratch = EncodeScratch()
    var mismatches = [String]()
    for round in 0..<250 {
      var text = ""
      var expected = [UInt32]()
      for _ in 0..<(1 + Int(random.next() % 20)) {
        var piece = pool[Int(random.next() % UInt64(pool.count))]
        if piece.utf8.allSatisfy({ $0 == 0x20 }) { piece += "\n" }
        text += piece + "1"
        expected += plainBPE(Array(piece.utf8)) + digit
      }
      if encode(text, scratch: scratch) != expected && mismatches.count < 3 {
        mismatches.append("round \(round): \(text.prefix(120).debugDescription)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
    func isCached(_ piece: String) -> Bool {
      var bytes = Array(piece.utf8)
      return bytes.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return false }
        var ids = IDWriter(base: .allocate(capacity: buffer.count + 8), capacity: buffer.count + 8)
        defer { ids.base.deallocate() }
        return scratch.longPieces.lookup(base, buffer.count, hash: hashBytes(base, buffer.count), into: &ids)
      }
    }
    // The cache was used: the long ASCII words of the pool (never cut into parts, looked up before they
    // are merged) are all in it.
    let words = pool.filter {
      $0.utf8.count <= LongPieceCache.maxLength && $0.utf8.dropFirst().allSatisfy { $0 >= 0x41 && $0 <= 0x7A }
    }
    #expect(words.count > 20 && words.allSatisfy(isCached))
    // Words with multi-byte letters are looked up only once `bytePairEncode` has found no cut (random
    // Cyrillic strings above nearly always have one). Real words merge as one part: the first encoding
    // caches them, the second reads them back.
    let real = [" программирования", " достопримечательности", " Überprüfungsverfahren"]
    let text = real.map { $0 + "1" }.joined()
    let expectedReal = real.flatMap { plainBPE(Array($0.utf8)) + digit }
    #expect(encode(text, scratch: scratch) == expectedReal)
    #expect(real.allSatisfy(isCached), "\(real.map(isCached))")
    #expect(encode(text, scratch: scratch) == expectedReal)
  }

  @Test func longPieceCacheComparesBytesAndStartsOver() throws {
    let memory = UnsafeMutablePointer<UInt64>.allocate(capacity: LongPieceCache.words)
    memory.initialize(repeating: 0, count: LongPieceCache.words)
    defer { memory.deallocate() }
    var cache = LongPieceCache(memory: memory)
    let output = UnsafeMutablePointer<UInt32>.allocate(capacity: 512)
    defer { output.deallocate() }

    func lookup(_ bytes: [UInt8], hash: UInt64) -> [UInt32]? {
      bytes.withUnsafeBufferPointer { buffer in
        var ids = IDWriter(base: output, capacity: 512)
        guard cache.lookup(buffer.baseAddress!, buffer.count, hash: hash, into: &ids) else { return nil }
        return Array(UnsafeBufferPointer(start: output, count: ids.count))
      }
    }
    func insert(_ bytes: [UInt8], hash: UInt64, _ ids: [UInt32]) {
      bytes.withUnsafeBufferPointer { buffer in
        ids.withUnsafeBufferPointer {
          cache.insert(buffer.baseAddress!, buffer.count, hash: hash, $0.baseAddress!, ids.count)
        }
      }
    }

    let a = Array(repeating: UInt8(ascii: "a"), count: 20)
    var b = a
    b[19] = UInt8(ascii: "b")
    insert(a, hash: 42, [1, 2, 3])
    #expect(lookup(a, hash: 42) == [1, 2, 3])
    // Same hash, same length, other bytes: never the other piece's ids.
    #expect(lookup(b, hash: 42) == nil)
    #expect(lookup(Array(a.prefix(19)), hash: 42) == nil)
    // The slot takes the newest entry.
    insert(b, hash: 42, [7])
    #expect(lookup(b, hash: 42) == [7])
    #expect(lookup(a, hash: 42) == nil)

    // Fill the arena past its end: the entries from before the restart are gone, the later ones are found
    // with their own ids.
    let length = LongPieceCache.maxLength
    let entrySize = length + 4 * length
    let total = LongPieceCache.arenaBytes / entrySize + 10
    func piece(_ k: Int) -> [UInt8] { (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ k) } }
    func ids(_ k: Int) -> [UInt32] { (0..<length).map { UInt32($0 + k) } }
    for k in 0..<total { insert(piece(k), hash: UInt64(k) << 50 | 1, ids(k)) }
    #expect(cache.used <= LongPieceCache.arenaBytes)
    #expect(lookup(piece(0), hash: 1) == nil)
    #expect(lookup(b, hash: 42) == nil)
    for k in (total - 10)..<total { #expect(lookup(piece(k), hash: UInt64(k) << 50 | 1) == ids(k)) }
  }
}
