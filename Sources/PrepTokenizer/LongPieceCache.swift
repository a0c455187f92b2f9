/// The cache of pre-tokens too long for `CacheKey` (16 to `maxLength` bytes): runs of spaces in code,
/// long words and identifiers, runs of CJK characters. They are few (0.3% of the pre-tokens of the dev
/// corpus's ASCII-only documents, 1.9% of all its pre-tokens, most of those CJK runs) but the most expensive
/// to merge (a run of 24 spaces takes 23 merges over 24 symbols), and the ones that come back (indentation,
/// identifiers) come back often.
///
/// Direct-mapped slots of two words (the key's 64-bit hash; `offset << 32 | length << 16 | count`) over
/// an arena of bytes that holds each entry's ids (4 bytes each, copied as bytes) and then its bytes. A lookup compares the bytes themselves, so a
/// hash collision never returns another piece's ids. When the arena is full, every slot is emptied and
/// the arena starts again from its beginning: memory stays bounded whatever the text.
struct LongPieceCache {
  static let maxLength = 256
  static let slotBits = 14
  static let arenaBytes = 1 << 20
  /// Words of the slot table and the arena together (see `EncodeScratch.tableWords`).
  static let words = (2 << slotBits) + arenaBytes / 8

  let slots: UnsafeMutablePointer<UInt64>
  let arena: UnsafeMutablePointer<UInt8>
  /// Bytes of the arena in use.
  var used = 0

  /// `memory`: `words` zeroed words.
  init(memory: UnsafeMutablePointer<UInt64>) {
    slots = memory
    arena = UnsafeMutableRawPointer(memory + (2 << LongPieceCache.slotBits)).bindMemory(
      to: UInt8.self, capacity: LongPieceCache.arenaBytes)
  }

  @inline(__always)
  func slot(_ hash: UInt64) -> UnsafeMutablePointer<UInt64> {
    slots + 2 &* Int(truncatingIfNeeded: hash >> UInt64(64 - LongPieceCache.slotBits))
  }

  /// Appends the cached ids of the `n` bytes at `p` (hashed to `hash`) and returns true, or returns false.
  @inline(__always)
  func lookup(_ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, into ids: inout IDWriter) -> Bool {
    let entry = slot(hash)
    guard entry[0] == hash else { return false }
    let info = entry[1]
    guard Int(truncatingIfNeeded: (info >> 16) & 0xFFFF) == n else { return false }
    let offset = Int(truncatingIfNeeded: info >> 32)
    let count = Int(truncatingIfNeeded: info & 0xFFFF)
    guard bytesEqual(p, arena + (offset &+ 4 &* count), n) else { return false }
    // The ids are copied as bytes: the arena is bound to bytes only.
    UnsafeMutableRawPointer(ids.base + ids.count).copyMemory(from: arena + offset, byteCount: 4 &* count)
    ids.count &+= count
    return true
  }

  /// Caches the `count` ids at `out` for the `n` bytes at `p` (`n` at most `maxLength`, `count` at most
  /// `n`), in place of what the slot held.
  mutating func insert(
    _ p: UnsafePointer<UInt8>, _ n: Int, hash: UInt64, _ out: UnsafePointer<UInt32>, _ count: Int
  ) {
    let size = 4 &* count &+ n
    var offset = (used &+ 3) & ~3
    if offset &+ size > LongPieceCache.arenaBytes {
      slots.update(repeating: 0, count: 2 << LongPieceCache.slotBits)
      offset = 0
    }
    UnsafeMutableRawPointer(arena + offset).copyMemory(from: out, byteCount: 4 &* count)
    (arena + (offset &+ 4 &* count)).update(from: p, count: n)
    used = offset &+ size
    let entry = slot(hash)
    entry[0] = hash
    entry[1] = UInt64(offset) << 32 | UInt64(n) << 16 | UInt64(count)
  }
}
