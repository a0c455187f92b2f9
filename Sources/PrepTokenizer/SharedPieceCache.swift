import CAtomicWords

/// The second level of the pre-token cache (see `CacheKey`), one per tokenizer, shared by every thread
/// that encodes with it. Private second levels made each of two workers merge again most of what the other
/// had merged (each meets about 70% of the distinct pre-tokens of a corpus), and put two 12 MiB tables in
/// one L3 cache.
///
/// Its sets are filled once and never rewritten: an entry, once published, keeps its words for the life
/// of the cache, so a reader never sees one half-written. An inserting thread claims an empty way by
/// swapping its publish word from 0 to `claimed` (a value no entry has), writes the other words, and then
/// publishes the entry with a release store of that word; a reader loads the publish word with acquire
/// ordering and reads the other words only when it matches. A key's entry goes in the first empty way of
/// its set or, when that set is full, of the sets after it (up to `probeSets` in all, one cache line
/// each): ways fill in order, so the first empty way ends a lookup. A key turned away is merged again
/// each time the private first level misses it: with one set per key, every pass over the dev corpus
/// merged 112k such pre-tokens again (30% of a first pass's merges), with four 35k. Once all its sets
/// are full, a key is cached in the first levels only. The publish word is the one that holds the key's
/// length, never 0 for a real entry: word 1 of both kinds.
final class SharedPieceCache: @unchecked Sendable {
  /// Sets of four short entries (4 MiB) and of two long entries (8 MiB): together they hold most distinct
  /// pre-tokens of a 100 MB corpus (about 340k).
  static let shortSets = 1 << 16
  static let longSets = 1 << 17
  /// How many sets, from its own, a key may take a way in. The last sets of each table have
  /// `probeSets - 1` more after them, so that a probe never wraps around.
  static let probeSets = 4
  /// Words of the short table (the long one follows it) and of both.
  static let shortWords = 8 * (shortSets + probeSets - 1)
  static let words = shortWords + 8 * (longSets + probeSets - 1)
  /// The publish word of a way being written.
  static let claimed = UInt64.max

  let short: UnsafeMutablePointer<UInt64>
  let long: UnsafeMutablePointer<UInt64>
  private let tables = TableBlock(words: SharedPieceCache.words)

  init() {
    short = tables.base
    long = tables.base + SharedPieceCache.shortWords
  }

  /// The publish word of the entry at `entry` (word 1), once it is complete; 0 for an empty way.
  @inline(__always)
  static func published(_ entry: UnsafeMutablePointer<UInt64>) -> UInt64 {
    prep_atomic_load_acquire(entry + 1)
  }

  /// Writes an entry of `width` words (`words`, whose word 1 is the publish word) into the first empty way
  /// of the sets from `set` (`ways` ways each), unless every way of `probeSets` sets is taken. A taken way
  /// is passed over on a plain load, without the write a failed claim would make to a line other threads
  /// read.
  @inline(__always)
  static func publish(
    _ set: UnsafeMutablePointer<UInt64>, ways: Int, width: Int, _ words: UnsafeMutablePointer<UInt64>
  ) {
    for way in 0..<(ways &* probeSets) {
      let entry = set + width &* way
      guard published(entry) == 0 && prep_atomic_claim(entry + 1, 0, claimed) else { continue }
      entry[0] = words[0]
      if width > 2 { (entry + 2).update(from: words + 2, count: width &- 2) }
      prep_atomic_store_release(entry + 1, words[1])
      return
    }
  }
}
