#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An added token in the flat matching table (longest first).
struct AddedEntry {
  let offset: Int
  let length: Int
  let id: UInt32
  /// `AddedToken.options`.
  let options: UInt8

  var singleWord: Bool { options & 1 != 0 }
  var lstrip: Bool { options & 2 != 0 }
  var rstrip: Bool { options & 4 != 0 }
}

/// Per-thread working memory of `encode`: the pre-token cache and the BPE buffers. Only one thread uses
/// one scratch at a time (the tokenizer hands them out from a locked pool).
final class EncodeScratch: @unchecked Sendable {
  /// The pre-token cache (see `CacheKey`): byte strings up to 15 bytes whose BPE gives at most 6 ids.
  static let maxCachedLength = 15
  /// Entries of the first level for long entries. The second levels are the tokenizer's
  /// (`SharedPieceCache`); their latency overlaps thanks to the deferred lookups (see `EncoderCore.piece`).
  static let cache1Bits = 13

  /// The thread that borrowed this scratch last (see `Tokenizer.withScratch`).
  var lastThread: pthread_t? = nil

  var normalized: [UInt8] = []
  var scalars: [UInt32] = []
  var values: [UInt64] = []
  var links: [Int32] = []  // prev at 2i, next at 2i+1
  var heap: [UInt64] = []

  /// The two levels of the cache for keys of up to 8 bytes, two words per entry (see `CacheKey`):
  /// direct-mapped and private, then four-way sets of one cache line, shared.
  let short1: UnsafeMutablePointer<UInt64>
  let short2: UnsafeMutablePointer<UInt64>
  static let short1Bits = 14

  /// The two levels of the pre-token cache, four words per entry (see `CacheKey`): direct-mapped and
  /// private, then two-way sets, shared.
  let cache: UnsafeMutablePointer<UInt64>
  let cache1: UnsafeMutablePointer<UInt64>
  /// The second levels, shared with every scratch of the same tokenizer.
  let shared: SharedPieceCache
  /// Pre-tokens longer than `maxCachedLength` (see `LongPieceCache`).
  var longPieces: LongPieceCache

  /// Output ids of the current call, and the BPE symbol and pair buffers; `capacity` entries each.
  var output: UnsafeMutablePointer<UInt32>
  var outputCapacity = 1024
  var symbolBuffer: UnsafeMutablePointer<UInt32>
  var valueBuffer: UnsafeMutablePointer<UInt64>
  var bufferCapacity = 1024

  /// Pre-tokens whose lookup waits on the second level (see `EncoderCore.piece`), and the ids they get
  /// when resolved (up to 15 each, plus room for a cache entry's full width).
  let deferred: UnsafeMutablePointer<DeferredPiece>
  var deferredCount = 0
  static let deferredCapacity = 32
  let deferredIDs: UnsafeMutablePointer<UInt32>
  let deferredEnds: UnsafeMutablePointer<Int>
  static let deferredIDCapacity = deferredCapacity * maxCachedLength + 8
  /// `CacheKey.keyMasks()`, where the window loop reads them.
  let keyMasks: UnsafeMutablePointer<UInt64>

  /// `shared`: the tokenizer's second levels (a cache of its own by default).
  init(shared: SharedPieceCache = SharedPieceCache()) {
    self.shared = shared
    deferred = .allocate(capacity: EncodeScratch.deferredCapacity)
    deferredIDs = .allocate(capacity: EncodeScratch.deferredIDCapacity)
    deferredEnds = .allocate(capacity: EncodeScratch.deferredCapacity)
    let masks = CacheKey.keyMasks()
    keyMasks = .allocate(capacity: masks.count)
    keyMasks.initialize(from: masks, count: masks.count)
    // The private cache tables in one block of huge pages where the system has them (the shared ones are
    // in another): megabytes of random accesses would need more 4 KiB translations than the core's TLB
    // holds.
    tables = TableBlock(words: EncodeScratch.tableWords)
    short1 = tables.base
    cache1 = short1 + (2 << EncodeScratch.short1Bits)
    longPieces = LongPieceCache(memory: cache1 + (4 << EncodeScratch.cache1Bits))
    short2 = shared.short
    cache = shared.long
    output = .allocate(capacity: outputCapacity)
    symbolBuffer = .allocate(capacity: bufferCapacity)
    valueBuffer = .allocate(capacity: bufferCapacity)
  }

  deinit {
    deferred.deallocate()
    deferredIDs.deallocate()
    deferredEnds.deallocate()
    keyMasks.deallocate()
    output.deallocate()
    symbolBuffer.deallocate()
    valueBuffer.deallocate()
  }

  /// The block that holds `short1`, `cache1` and `longPieces`, and its size in words.
  let tables: TableBlock
  static let tableWords = (2 << short1Bits) + (4 << cache1Bits) + LongPieceCache.words

  /// Makes the symbol and pair buffers hold at least `count` entries.
  func reserveBuffers(_ count: Int) {
    guard count > bufferCapacity else { return }
    symbolBuffer.deallocate()
    valueBuffer.deallocate()
    bufferCapacity = max(count, 2 * bufferCapacity)
    symbolBuffer = .allocate(capacity: bufferCapacity)
    valueBuffer = .allocate(capacity: bufferCapacity)
  }
}

/// Zeroed cache tables of `words` words, freed with their owner: aligned to a huge page and advised to use
/// huge pages (Linux), else a plain zeroed allocation. On Linux the pages come straight from the kernel,
/// which zeroes each one when it is first touched: nothing is written up front, so a block costs nothing
/// at creation (the main thread's scratch, which only ever encodes a few words, stays almost untouched).
final class TableBlock: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt64>
  let words: Int
  /// Whether `base` is a mapping of its own (else an ordinary allocation).
  private let mapped: Bool
  static let hugePage = 1 << 21

  init(words: Int) {
    self.words = words
    #if canImport(Glibc)
      let bytes = TableBlock.mappedBytes(words)
      // Map a huge page more than needed, then unmap what lies before and after the aligned block.
      let length = bytes + TableBlock.hugePage
      if let raw = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED {
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(TableBlock.hugePage - 1)) & ~UInt(TableBlock.hugePage - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(raw, head) }
        if length - head - bytes > 0 { munmap(raw + head + bytes, length - head - bytes) }
        let block = raw + head
        _ = madvise(block, bytes, MADV_HUGEPAGE)
        base = block.bindMemory(to: UInt64.self, capacity: words)
        mapped = true
        return
      }
    #endif
    base = .allocate(capacity: words)
    base.initialize(repeating: 0, count: words)
    mapped = false
  }

  deinit {
    #if canImport(Glibc)
      if mapped {
        munmap(base, TableBlock.mappedBytes(words))
        return
      }
    #endif
    base.deallocate()
  }

  /// Bytes mapped for `words` words (whole huge pages).
  static func mappedBytes(_ words: Int) -> Int { (words * 8 + hugePage - 1) / hugePage * hugePage }
}

/// Where `encode` writes ids: a growable buffer owned by the scratch, copied to the caller's array once.
struct IDWriter {
  var base: UnsafeMutablePointer<UInt32>
  var capacity: Int
  var count = 0

  @inline(__always)
  mutating func append(_ id: UInt32) {
    base[count] = id
    count &+= 1
  }

  /// Room for `extra` more ids (a segment of n bytes never gives more than n ids).
  mutating func reserve(_ extra: Int) {
    guard count &+ extra > capacity else { return }
    let newCapacity = max(count &+ extra, 2 &* capacity)
    let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
    grown.update(from: base, count: count)
    base.deallocate()
    base = grown
    capacity = newCapacity
  }
}

/// LLVM's prefetch intrinsic (address, 0 = read, locality 0-3, 1 = data cache): a hint that never faults.
@_silgen_name("llvm.prefetch.p0")
func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ cacheType: Int32)

/// Starts loading the cache line at `address` into every cache level.
@inline(__always)
func prefetchLine(_ address: UnsafeMutablePointer<UInt64>) {
  llvmPrefetch(UnsafeRawPointer(address), 0, 3, 1)
}

/// A pre-token whose lookup waits for the second level of the cache (see `EncoderCore.piece`).
struct DeferredPiece {
  let p: UnsafePointer<UInt8>
  let readable: Int
  let key: CacheKey
  /// Where its ids go: the count of ids written before it.
  let position: Int
}

@inline(__always)
func hashBytes(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt64 {
  var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: n)
  let raw = UnsafeRawPointer(p)
  var i = 0
  while i &+ 8 <= n {
    h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 32
    i &+= 8
  }
  if i < n {
    var word: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
      word |= UInt64(p[i]) << shift
      shift &+= 8
      i &+= 1
    }
    h = (h ^ word) &* 0xC4CE_B9FE_1A85_EC53
  }
  h = (h ^ (h >> 29)) &* 0x9E37_79B9_7F4A_7C15
  return h ^ (h >> 32)
}

/// Whether the `n` bytes at `p` are all ASCII.
@inline(__always)
func isASCII(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
  let raw = UnsafeRawPointer(p)
  var bits: UInt64 = 0
  var i = 0
  while i &+ 8 <= n {
    bits |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
    i &+= 8
  }
  while i < n {
    bits |= UInt64(p[i])
    i &+= 1
  }
  return bits & 0x8080_8080_8080_8080 == 0
}

@inline(__always)
func bytesEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
  var i = 0
  let ra = UnsafeRawPointer(a)
  let rb = UnsafeRawPointer(b)
  while i &+ 8 <= n {
    if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
      return false
    }
    i &+= 8
  }
  while i < n {
    if a[i] != b[i] { return false }
    i &+= 1
  }
  return true
}

/// The tables and algorithms of encoding, over raw pointers owned by the `Tokenizer`.
struct EncoderCore {
  let unicode: UnicodeData
  /// Merge table, one word per merge: `left << 42 | right << 21 | rank`; an empty slot is all ones.
  let mergeSlots: UnsafeMutablePointer<UInt64>
  /// The token each rank makes; when that is always `rank + mergedOffset`, `mergedIsOffset` skips the read.
  let mergedByRank: UnsafeMutablePointer<UInt32>
  var mergedIsOffset: Bool
  var mergedOffset: UInt32
  let mergeMask: Int
  let mergeShift: Int
  /// A blocked Bloom filter over the merge keys (`filterWords` words, two bits per key): most pairs
  /// looked up have no merge, and this small table answers them without touching the big one.
  let mergeFilter: UnsafeMutablePointer<UInt64>
  static let filterBits = 15
  /// Merge values of every pair of ids below 256 (the byte tokens, for Qwen), `denseIDs * denseIDs` words,
  /// filled by `fillDensePairs`: the first merges of every word read this small table.
  let densePairs: UnsafeMutablePointer<UInt64>
  static let denseIDs: UInt32 = 256
  /// Vocabulary table: id + 1 (0 = empty), keyed by the piece's raw bytes.
  let vocabSlots: UnsafeMutablePointer<UInt32>
  let vocabMask: Int
  let byteTokens: UnsafeMutablePointer<UInt32>
  /// Per BMP scalar: the finished token a 2- or 3-byte character may start as (see `CharacterStarts`).
  let charStart: UnsafeMutablePointer<UInt32>
  /// Per BMP scalar: the lead-byte classes of a right neighbour that keep it from starting whole
  /// (see `CharacterStarts`).
  let rightLeads: UnsafeMutablePointer<UInt32>
  /// Bloom filter of the character pairs that some token holds side by side (see `CharacterPairs`).
  let pairFilter: UnsafeMutablePointer<UInt64>
  let pieceBytes: [UInt8]
  let pieceOffsets: [UInt32]
  let added: AddedMatching
  let normalizeNFC: Bool
  let ignoreMerges: Bool
  /// Whether `preTokenize` cuts ASCII text in windows (see `AsciiWindow`); the scanner alone gives the
  /// same pre-tokens.
  var asciiWindows: Bool

  static let noMerge = UInt64.max
  /// Pre-tokens of up to this many symbols merge by scanning; longer ones through a heap.
  static let smallLimit = 64

  // MARK: tables

  func insertVocab(id: UInt32) {
    let start = Int(pieceOffsets[Int(id)])
    let count = Int(pieceOffsets[Int(id) + 1]) - start
    pieceBytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return }
      var slot = Int(truncatingIfNeeded: hashBytes(base + start, count)) & vocabMask
      while vocabSlots[slot] != 0 {
        let other = Int(vocabSlots[slot] - 1)
        let otherStart = Int(pieceOffsets[other])
        let otherCount = Int(pieceOffsets[other + 1]) - otherStart
        if otherCount == count && bytesEqual(base + start, base + otherStart, count) {
          vocabSlots[slot] = id + 1
          return
        }
        slot = (slot + 1) & vocabMask
      }
      vocabSlots[slot] = id + 1
    }
  }

  func vocabID(_ bytes: [UInt8]) -> UInt32? {
    bytes.withUnsafeBufferPointer { key in
      guard let base = key.baseAddress else { return nil }
      return vocabID(base, key.count)
    }
  }

  func vocabID(_ p: UnsafePointer<UInt8>, _ n: Int) -> UInt32? {
    pieceBytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return nil }
      var slot = Int(truncatingIfNeeded: hashBytes(p, n)) & vocabMask
      while vocabSlots[slot] != 0 {
        let id = Int(vocabSlots[slot] - 1)
        let start = Int(pieceOffsets[id])
        let count = Int(pieceOffsets[id + 1]) - start
        if count == n && bytesEqual(p, base + start, n) { return UInt32(id) }
        slot = (slot &+ 1) & vocabMask
      }
      return nil
    }
  }

  @inline(__always)
  func mergeSlot(_ key: UInt64) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(mergeShift))
  }

  @inline(__always)
  static func filterProbe(_ key: UInt64) -> (Int, UInt64) {
    let h = key &* 0xD6E8_FEB8_6659_FD93
    let word = Int(truncatingIfNeeded: h >> UInt64(64 - EncoderCore.filterBits))
    let bits = (1 as UInt64) << (h & 63) | (1 as UInt64) << ((h >> 6) & 63)
    return (word, bits)
  }

  /// Ids and ranks must be below `EncoderCore.idLimit`.
  func insertMerge(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32) {
    let key = UInt64(left) << 21 | UInt64(right)
    let (word, bits) = EncoderCore.filterProbe(key)
    mergeFilter[word] |= bits
    var slot = mergeSlot(key)
    while mergeSlots[slot] != UInt64.max && mergeSlots[slot] >> 21 != key { slot = (slot + 1) & mergeMask }
    mergeSlots[slot] = key << 21 | UInt64(rank)
    mergedByRank[Int(rank)] = merged
  }

  /// Ids and merge ranks fit in 21 bits (two million).
  static let idLimit = (1 << 21) - 1

  /// Fills `densePairs` once all merges are in the main table.
  func fillDensePairs() {
    let count = Int(EncoderCore.denseIDs)
    for left in 0..<count {
      for right in 0..<count {
        densePairs[left &* count &+ right] = probe(UInt32(left), UInt32(right))
      }
    }
  }

  /// `rank << 32 | merged` for a pair, or `noMerge`.
  @inline(__always)
  func merge(_ left: UInt32, _ right: UInt32) -> UInt64 {
    if left < EncoderCore.denseIDs && right < EncoderCore.denseIDs {
      return densePairs[Int(left &* EncoderCore.denseIDs &+ right)]
    }
    return probe(left, right)
  }

  @inline(__always)
  private func probe(_ left: UInt32, _ right: UInt32) -> UInt64 {
    let key = UInt64(left) << 21 | UInt64(right)
    let (word, bits) = EncoderCore.filterProbe(key)
    var slot = mergeSlot(key)
    // Start loading the slot with the filter word: waiting for the filter first would make two round trips
    // to memory of every pair that has a merge.
    prefetchLine(mergeSlots + slot)
    if mergeFilter[word] & bits != bits { return EncoderCore.noMerge }
    while true {
      let stored = mergeSlots[slot]
      if stored >> 21 == key {
        let rank = UInt32(truncatingIfNeeded: stored) & 0x1F_FFFF
        let merged = mergedIsOffset ? rank &+ mergedOffset : mergedByRank[Int(rank)]
        return UInt64(rank) << 32 | UInt64(merged)
      }
      if stored == UInt64.max { return EncoderCore.noMerge }
      slot = (slot &+ 1) & mergeMask
    }
  }

  // MARK: encode

  func encode(_ p: UnsafePointer<UInt8>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter) {
    if !added.plain {
      encodeWithOptions(p, n, scratch: scratch, into: &ids)
      return
    }
    let addedEntries = added.entries
    if addedEntries.isEmpty {
      encodeSegment(p, n, scratch: scratch, into: &ids)
      return
    }
    let addedBytes = added.bytes
    added.first.withUnsafeBufferPointer { first in
      var segment = 0
      var i = 0
      let single = added.singleFirst
      while i < n {
        if single >= 0 {
          // All added tokens start with one byte (`<` for Qwen): look for it eight bytes at a time.
          let pattern = UInt64(single) &* 0x0101_0101_0101_0101
          while i &+ 8 <= n {
            let x = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) ^ pattern
            if (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0 { break }
            i &+= 8
          }
          if i >= n { break }
        }
        if first[Int(p[i])] == 0 {
          i &+= 1
          continue
        }
        var matched: AddedEntry? = nil
        for entry in addedEntries where entry.length <= n - i {
          if bytesEqual(p + i, addedBytes + entry.offset, entry.length) {
            matched = entry
            break
          }
        }
        if let entry = matched {
          if i > segment { encodeSegment(p + segment, i - segment, scratch: scratch, into: &ids) }
          ids.reserve(1)
          ids.append(entry.id)
          i += entry.length
          segment = i
        } else {
          i &+= 1
        }
      }
      if n > segment { encodeSegment(p + segment, n - segment, scratch: scratch, into: &ids) }
    }
  }

  /// `encode` when some added token has options (see `AddedToken`), as HF's `AddedVocabulary` splits text: the
  /// tokens matched in the raw text first; then each text between them is normalized and split by the
  /// normalized tokens; what remains is pre-tokenized.
  @inline(never)
  func encodeWithOptions(_ p: UnsafePointer<UInt8>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter) {
    var start = 0
    for match in addedMatches(p, n, entries: added.entries, first: added.first) {
      if match.start > start { encodeNormalizing(p + start, match.start &- start, scratch: scratch, into: &ids) }
      ids.reserve(1)
      ids.append(match.id)
      start = match.stop
    }
    if n > start { encodeNormalizing(p + start, n &- start, scratch: scratch, into: &ids) }
  }

  /// A text between raw-text added tokens (see `encodeWithOptions`): normalized, then split by the normalized
  /// added tokens.
  private func encodeNormalizing(
    _ p: UnsafePointer<UInt8>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    if added.normalizedEntries.isEmpty {
      encodeSegment(p, n, scratch: scratch, into: &ids)
      return
    }
    var text = Array(UnsafeBufferPointer(start: p, count: n))
    let normalizer = HFNormalizer(data: unicode)
    if normalizeNFC, let first = normalizer.firstWork(p, n) {
      var scalars: [UInt32] = []
      normalizer.normalize(p, n, firstWork: first, into: &text, scratch: &scalars)
    }
    text.withUnsafeBufferPointer { buffer in
      guard let q = buffer.baseAddress else { return }
      var start = 0
      // The pieces are already normalized: straight to the pre-tokenizer, as HF does.
      func pieces(upTo end: Int, into ids: inout IDWriter) {
        guard end > start else { return }
        ids.reserve(end &- start &+ 8)
        scratch.reserveBuffers(end &- start)
        preTokenize(q + start, end &- start, stopAt: 0, scratch: scratch, into: &ids)
      }
      for match in addedMatches(q, buffer.count, entries: added.normalizedEntries, first: added.normalizedFirst) {
        pieces(upTo: match.start, into: &ids)
        ids.reserve(1)
        ids.append(match.id)
        start = match.stop
      }
      pieces(upTo: buffer.count, into: &ids)
    }
  }

  /// The added tokens of `entries` in `p[0..<n]` as HF's `find_matches` finds them: leftmost-longest, the search
  /// going on after each match (kept or not); a `singleWord` match with a word character (`UnicodeData.word`)
  /// right before or after it is dropped; `lstrip` and `rstrip` widen a match over the whitespace
  /// (`UnicodeData.whiteSpace`) before it (not past the end of the match before) and after it, so a match may
  /// overlap the one before (both are kept, as in HF).
  func addedMatches(
    _ p: UnsafePointer<UInt8>, _ n: Int, entries: [AddedEntry], first: [UInt8]
  ) -> [(start: Int, stop: Int, id: UInt32)] {
    var matches: [(start: Int, stop: Int, id: UInt32)] = []
    let flags = unicode.flags
    // The scalar that ends at `end` (> 0) and its start.
    func scalar(before end: Int) -> (UInt32, Int) {
      var start = end &- 1
      while start > 0 && p[start] & 0xC0 == 0x80 { start &-= 1 }
      return (decodeScalar(p, start).0, start)
    }
    func has(_ scalar: UInt32, _ bit: UInt8) -> Bool { flags[Int(scalar)] & bit != 0 }
    var taken = 0
    var i = 0
    while i < n {
      guard first[Int(p[i])] != 0,
        let entry = entries.first(where: {
          $0.length <= n &- i && bytesEqual(p + i, added.bytes + $0.offset, $0.length)
        })
      else {
        i &+= 1
        continue
      }
      var start = i
      var stop = i &+ entry.length
      i = stop
      if entry.singleWord {
        if start > 0 && has(scalar(before: start).0, UnicodeData.word) { continue }
        if stop < n && has(decodeScalar(p, stop).0, UnicodeData.word) { continue }
      }
      if entry.lstrip {
        while start > 0 {
          let (s, at) = scalar(before: start)
          guard has(s, UnicodeData.whiteSpace) else { break }
          start = at
        }
        start = max(start, taken)
      }
      if entry.rstrip {
        while stop < n {
          let (s, length) = decodeScalar(p, stop)
          guard has(s, UnicodeData.whiteSpace) else { break }
          stop &+= length
        }
      }
      // A match left empty (an lstrip token inside whitespace the match before took) is dropped, as HF drops
      // empty splits. As in HF, the next lstrip stops at this match's end, even one that overlaps the match
      // before (an rstrip that took whitespace the search then matched again).
      if start < stop { matches.append((start, stop, entry.id)) }
      taken = stop
    }
    return matches
  }

  /// Text between added tokens: NFC, then the pre-tokenizer, then BPE per pre-token.
  ///
  /// Text is nearly always NFC already, so it is not checked first: the pre-tokenizer, which looks every
  /// character outside ASCII up in the table that says whether NFC may change it, stops at the first one
  /// that NFC may change (`preTokenize` returns false). Only then is the text normalized and encoded again,
  /// the ids of the first attempt dropped (the cache entries it made are right for their own bytes).
  func encodeSegment(_ p: UnsafePointer<UInt8>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter) {
    // A piece of k bytes gives at most k ids; a cache hit writes up to 6 slots.
    ids.reserve(n &+ 8)
    scratch.reserveBuffers(n)
    if normalizeNFC {
      let first = ids.count
      if preTokenize(p, n, stopAt: UnicodeData.nfcWork, scratch: scratch, into: &ids) { return }
      ids.count = first
      scratch.deferredCount = 0
      let normalizer = HFNormalizer(data: unicode)
      if let start = normalizer.firstWork(p, n) {
        var out = scratch.normalized
        scratch.normalized = []
        normalizer.normalize(p, n, firstWork: start, into: &out, scratch: &scratch.scalars)
        ids.reserve(out.count &+ 8)
        scratch.reserveBuffers(out.count)
        out.withUnsafeBufferPointer { buffer in
          if let base = buffer.baseAddress { preTokenize(base, buffer.count, stopAt: 0, scratch: scratch, into: &ids) }
        }
        scratch.normalized = out
        return
      }
    }
    preTokenize(p, n, stopAt: 0, scratch: scratch, into: &ids)
  }

  /// The Qwen split regex: windows of 64 ASCII bytes cut all at once (`AsciiWindow`) where they apply,
  /// else one pre-token at a time (`pieceEnd`); then each pre-token's ids.
  ///
  /// With `stopAt` (a bit of `UnicodeData.flags`, or 0), a character outside ASCII whose flags have that bit
  /// stops it: it returns false, with the ids it wrote and its deferred pre-tokens left for the caller to drop.
  @discardableResult
  func preTokenize(
    _ p: UnsafePointer<UInt8>, _ n: Int, stopAt: UInt8, scratch: EncodeScratch, into ids: inout IDWriter
  ) -> Bool {
    // The writer in a local: ids stored through its base can no longer alias the caller's writer, so its
    // base and count are not reloaded after every id written (6% fewer instructions on ASCII text).
    var out = ids
    defer { ids = out }
    var i = 0
    // Windows are tried again from here (a tokenizer that ignores merges looks every pre-token up whole,
    // which the window's inline lookups do not).
    var windowsFrom = asciiWindows && !ignoreMerges ? 0 : n
    while i < n {
      if i >= windowsFrom {
        if i &+ AsciiWindow.reach <= n {
          let window = AsciiWindow(p + i)
          if window.cut > 0 {
            var rest = window.starts & ~1 | 1 << UInt64(window.cut)
            var start = 0
            while rest != 0 {
              let next = rest.trailingZeroBitCount
              rest &= rest &- 1
              piece(
                p + (i &+ start), next &- start, readable: n &- i &- start, wide: true, scratch: scratch,
                into: &out)
              start = next
            }
            i &+= window.cut
            continue
          }
          windowsFrom = i &+ window.retry
        } else {
          windowsFrom = n
        }
      }
      let end = pieceEnd(p, n, at: i, stopAt: stopAt)
      if end < 0 { return false }
      piece(p + i, end &- i, readable: n &- i, wide: false, scratch: scratch, into: &out)
      i = end
    }
    if scratch.deferredCount > 0 { resolveDeferred(scratch: scratch, into: &out) }
    return true
  }

  /// Where the pre-token that starts at `i` of `p[0..<n]` ends: the Qwen split regex as a scanner
  /// (Oniguruma semantics: the first alternative that matches wins, greedy).
  @inline(__always)
  func pieceEnd(_ p: UnsafePointer<UInt8>, _ n: Int, at i: Int, stopAt: UInt8 = 0) -> Int {
    let flags = unicode.flags
    // The flags of every character outside ASCII looked at, or-ed together.
    var seen: UInt8 = 0
    @inline(__always) func classAt(_ at: Int) -> (UInt8, Int) {
      let b = p[at]
      if b < 0x80 { return (flags[Int(b)] & 7, 1) }
      let (scalar, length) = decodeScalar(p, at)
      let f = flags[Int(scalar)]
      seen |= f
      return (f & 7, length)
    }
    @inline(__always) func letterAt(_ at: Int) -> UInt8 {
      let (scalar, _) = decodeScalar(p, at)
      seen |= flags[Int(scalar)]
      return scalar < 0x180 ? unicode.contractionLetter[Int(scalar)] : 0
    }
    @inline(__always) func scanLetters(_ from: Int) -> Int {
      var j = from
      while j < n {
        // Eight ASCII letters (A-Z, a-z: the only ASCII \p{L}) at a time.
        while j &+ 8 <= n {
          let x = UnsafeRawPointer(p + j).loadUnaligned(as: UInt64.self)
          let y = x | 0x2020_2020_2020_2020
          let atLeastA = (y &+ 0x1F1F_1F1F_1F1F_1F1F) & 0x8080_8080_8080_8080
          let aboveZ = (y &+ 0x0505_0505_0505_0505) & 0x8080_8080_8080_8080
          let notLetter = ~(atLeastA & ~aboveZ & ~x) & 0x8080_8080_8080_8080
          if notLetter != 0 {
            j &+= notLetter.trailingZeroBitCount >> 3
            break
          }
          j &+= 8
        }
        if j >= n { break }
        let b = p[j]
        if b < 0x80 {
          if flags[Int(b)] & 7 != ScalarClass.letter { break }
          j &+= 1
        } else {
          let (scalar, length) = decodeScalar(p, j)
          let f = flags[Int(scalar)]
          seen |= f
          if f & 7 != ScalarClass.letter { break }
          j &+= length
          // More letters outside ASCII (a CJK run) without the eight-byte ASCII step.
          while j < n && p[j] >= 0x80 {
            let (next, nextLength) = decodeScalar(p, j)
            let g = flags[Int(next)]
            seen |= g
            if g & 7 != ScalarClass.letter { return j }
            j &+= nextLength
          }
        }
      }
      return j
    }
    @inline(__always) func scanOther(_ from: Int) -> Int {
      var j = from
      while j < n {
        let (c, length) = classAt(j)
        if c != ScalarClass.other { break }
        j &+= length
      }
      while j < n && (p[j] == 0x0A || p[j] == 0x0D) { j &+= 1 }
      return j
    }
    // A stop character met (see `preTokenize`): -1 instead of the end.
    @inline(__always) func done(_ end: Int) -> Int { seen & stopAt != 0 ? -1 : end }
    let b = p[i]
    // The commonest pre-tokens first: an ASCII letter, or a space and an ASCII letter, starts
    // `[^\r\n\p{L}\p{N}]?\p{L}+` (no earlier alternative can match there).
    let lower = b | 0x20
    if lower >= 0x61 && lower <= 0x7A { return done(scanLetters(i &+ 1)) }
    if b == 0x20 && i &+ 1 < n {
      let next = p[i &+ 1] | 0x20
      if next >= 0x61 && next <= 0x7A { return done(scanLetters(i &+ 2)) }
    }
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if b == 0x27 && i &+ 1 < n {
      let (_, l1) = decodeScalar(p, i &+ 1)
      let second = i &+ 1 &+ l1
      switch EncoderCore.contractionLength(letterAt(i &+ 1), second < n ? letterAt(second) : 0) {
      case 1: return done(second)
      case 2: return done(second &+ decodeScalar(p, second).1)
      default: break
      }
    }
    let (c0, l0) = classAt(i)
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if c0 == ScalarClass.letter { return done(scanLetters(i &+ l0)) }
    if (c0 == ScalarClass.other || c0 == ScalarClass.space) && i &+ l0 < n {
      let (c1, l1) = classAt(i &+ l0)
      if c1 == ScalarClass.letter { return done(scanLetters(i &+ l0 &+ l1)) }
    }
    // \p{N}
    if c0 == ScalarClass.number { return done(i &+ l0) }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    if c0 == ScalarClass.other { return done(scanOther(i &+ l0)) }
    if b == 0x20 && i &+ 1 < n {
      let (c1, _) = classAt(i &+ 1)
      if c1 == ScalarClass.other { return done(scanOther(i &+ 1)) }
    }
    // Whitespace: `\s*[\r\n]+`, then `\s+(?!\S)`, then `\s+`.
    var j = i
    var lastStart = i
    var newlineEnd = -1
    while j < n {
      let cb = p[j]
      if cb == 0x0A || cb == 0x0D {
        lastStart = j
        j &+= 1
        newlineEnd = j
        continue
      }
      let (c, length) = classAt(j)
      if c != ScalarClass.space { break }
      lastStart = j
      j &+= length
    }
    if newlineEnd > 0 { return done(newlineEnd) }
    if j == n || lastStart == i { return done(j) }
    return done(lastStart)
  }

  /// How many letters after an apostrophe `(?i:'s|'t|'re|'ve|'m|'ll|'d)` takes, given the first two of them
  /// folded to lowercase (`UnicodeData.contractionLetter`); 0 when it takes none.
  @inline(__always)
  static func contractionLength(_ first: UInt8, _ second: UInt8) -> Int {
    if first == 0x73 || first == 0x74 || first == 0x6D || first == 0x64 { return 1 }
    if (first == 0x6C && second == 0x6C) || ((first == 0x72 || first == 0x76) && second == 0x65) { return 2 }
    return 0
  }

  /// Appends the ids of one pre-token (its bytes are byte-level symbols). `readable` is how many bytes
  /// may be read from `p` (at least `n`); `wide` says that 16 may (a pre-token of an ASCII window), so that
  /// its cache key is loaded whole, without a check on `readable`.
  ///
  /// Transparent, so inlined at both calls: with `@inline(__always)` the compiler left the window loop's call
  /// out of line once `preTokenize` grew (dev corpus -3%).
  @_transparent
  func piece(
    _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, wide: Bool, scratch: EncodeScratch,
    into ids: inout IDWriter
  ) {
    if n == 1 {
      ids.append(byteTokens[Int(p[0])])
      return
    }
    // Windows are off when the tokenizer ignores merges (see `preTokenize`).
    guard n <= EncodeScratch.maxCachedLength && (wide || !ignoreMerges) else {
      uncommonPiece(p, n, readable: readable, scratch: scratch, into: &ids)
      return
    }
    let key = wide ? CacheKey(wide: p, n, masks: scratch.keyMasks) : CacheKey(p, n, readable: readable)
    if key.lookupFirst(scratch, into: &ids) { return }
    deferLookup(key, p, readable: readable, scratch: scratch, into: &ids)
  }

  /// `piece` for a pre-token longer than the cache keys, or for any when the tokenizer ignores merges (a
  /// vocabulary word is then its one id).
  @inline(never)
  func uncommonPiece(
    _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    if ignoreMerges, let id = vocabID(p, n) {
      ids.append(id)
      return
    }
    if n > EncodeScratch.maxCachedLength {
      longPiece(p, n, readable: readable, scratch: scratch, into: &ids)
      return
    }
    let key = CacheKey(p, n, readable: readable)
    if key.lookupFirst(scratch, into: &ids) { return }
    deferLookup(key, p, readable: readable, scratch: scratch, into: &ids)
  }

  /// A key the first level lacks: prefetches the second level and resolves the key later, with others
  /// (their loads overlap), at its place in the ids.
  @inline(__always)
  func deferLookup(
    _ key: CacheKey, _ p: UnsafePointer<UInt8>, readable: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    key.prefetchSecond(scratch)
    let count = scratch.deferredCount
    scratch.deferred[count] = DeferredPiece(p: p, readable: readable, key: key, position: ids.count)
    scratch.deferredCount = count &+ 1
    if count &+ 1 == EncodeScratch.deferredCapacity { resolveDeferred(scratch: scratch, into: &ids) }
  }

  /// Encodes the deferred pre-tokens in order (a full lookup, then BPE and caching on a miss) and moves
  /// their ids into place: the ids written since the first of them shift right.
  @inline(never)
  func resolveDeferred(scratch: EncodeScratch, into ids: inout IDWriter) {
    let count = scratch.deferredCount
    scratch.deferredCount = 0
    let entries = scratch.deferred
    let ends = scratch.deferredEnds
    var out = IDWriter(base: scratch.deferredIDs, capacity: EncodeScratch.deferredIDCapacity)
    for d in 0..<count {
      let entry = entries[d]
      let before = out.count
      if !entry.key.lookup(scratch, into: &out) {
        bytePairEncode(
          entry.p, entry.key.length, readable: entry.readable, whole: .merge, scratch: scratch, into: &out)
        entry.key.insert(scratch, out.base + before, out.count &- before)
      }
      ends[d] = out.count
    }
    // From the back: each run of ids after a deferred pre-token moves right by the ids still to insert.
    let total = out.count
    ids.reserve(total &+ 8)
    let base = ids.base
    var end = ids.count
    var write = end &+ total
    var d = count &- 1
    while d >= 0 {
      let position = entries[d].position
      // memmove: the runs are short and of every length, and a copy loop's exits mispredict.
      let run = end &- position
      write &-= run
      UnsafeMutableRawPointer(base + write).copyMemory(from: base + position, byteCount: run &* 4)
      let start = d > 0 ? ends[d &- 1] : 0
      let own = ends[d] &- start
      write &-= own
      UnsafeMutableRawPointer(base + write).copyMemory(from: out.base + start, byteCount: own &* 4)
      end = position
      d &-= 1
    }
    ids.count &+= total
  }

  /// A pre-token longer than the cache keys: through the long-piece cache up to its length limit. Only
  /// pre-tokens that merge as one part are cached. One of ASCII only is never cut, so it is looked up
  /// first; one with a multi-byte character may be cut (a CJK run nearly always is: 98% of the long
  /// pre-tokens of the dev corpus's Chinese subset are), so its lookup waits until `bytePairEncode` has
  /// found no cut.
  @inline(never)
  func longPiece(
    _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    guard n <= LongPieceCache.maxLength else {
      bytePairEncode(p, n, readable: readable, whole: .mergePart, deferParts: true, scratch: scratch, into: &ids)
      return
    }
    guard isASCII(p, n) else {
      bytePairEncode(p, n, readable: readable, whole: .longPieceCache, deferParts: true, scratch: scratch, into: &ids)
      return
    }
    throughLongPieces(p, n, scratch: scratch, into: &ids) {
      bytePairEncode(p, n, readable: readable, whole: .merge, scratch: scratch, into: &$0)
    }
  }

  /// The cached ids of a long pre-token (`LongPieceCache`), else those `merge` appends, which are cached.
  @inline(__always)
  func throughLongPieces(
    _ p: UnsafePointer<UInt8>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter,
    merge: (inout IDWriter) -> Void
  ) {
    let hash = hashBytes(p, n)
    if scratch.longPieces.lookup(p, n, hash: hash, into: &ids) { return }
    let before = ids.count
    merge(&ids)
    scratch.longPieces.insert(p, n, hash: hash, ids.base + before, ids.count &- before)
  }

  /// What `bytePairEncode` does with a pre-token it has not cut into parts.
  enum WholePiece {
    /// Merge it: the caller has looked it up already (and caches it).
    case merge
    /// Merge it as any part (see `mergePart`).
    case mergePart
    /// Look it up in the long-piece cache, and merge and cache it there on a miss.
    case longPieceCache
  }

  /// BPE over the bytes of one pre-token: lowest rank first, leftmost on ties (HF's `word.rs`).
  ///
  /// A 2- or 3-byte character starts as its single finished token instead of its bytes when
  /// `charStart` says that is exact next to its neighbours (see `CharacterStarts`); the merges that
  /// follow are then the same as from bytes. Where no vocabulary token can reach across the boundary of
  /// two characters (see `CharacterPairs`), no merge ever crosses it: the pre-token is cut there and each
  /// part merges on its own (a CJK run becomes parts of one to a few characters).
  ///
  /// `whole` says what becomes of the pre-token if it is not cut. With `deferParts`, a cached part that
  /// misses the first level waits with the deferred pre-tokens (`deferLookup`) instead of a synchronous
  /// trip to the shared level (a CJK run is cut into dozens of parts, each a lookup). Only for `longPiece`'s
  /// cut pre-tokens: their ids go straight to the caller's writer, whereas `resolveDeferred` is itself
  /// resolving a batch, and a merge through the long-piece cache needs its ids at once. The symbol buffer
  /// may be reused by a batch resolved halfway: the symbols of the parts before are dead by then.
  func bytePairEncode(
    _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, whole wholePiece: WholePiece, deferParts: Bool = false,
    scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    let symbols = scratch.symbolBuffer
    // The byte where the current part starts.
    var partStart = 0
    var count = 0
    var j = 0
    // Kind of the previous character: 0 none, 1 ASCII, 2 multi-byte.
    var previous = 0
    var previousScalar: UInt32 = 0
    // Whether the previous character allows a cut after it (it is one symbol, or no token starts inside it
    // and reaches past it).
    var previousCuttable = false
    while j < n {
      let b = p[j]
      if b < 0x80 {
        if previous == 2 && previousCuttable && !mayJoin(previousScalar, UInt32(b)) {
          mergePart(
            symbols, count, p + partStart, j &- partStart, readable: readable &- partStart, deferParts: deferParts,
            scratch: scratch, into: &ids)
          count = 0
          partStart = j
        }
        symbols[count] = byteTokens[Int(b)]
        count &+= 1
        j &+= 1
        previous = 1
        previousScalar = UInt32(b)
        previousCuttable = true
        continue
      }
      let length = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
      if length < 4 {
        let scalar =
          length == 2
          ? UInt32(b & 0x1F) << 6 | UInt32(p[j &+ 1] & 0x3F)
          : UInt32(b & 0x0F) << 12 | UInt32(p[j &+ 1] & 0x3F) << 6 | UInt32(p[j &+ 2] & 0x3F)
        let info = charStart[Int(scalar)]
        let after = j &+ length
        var whole = false
        if info & CharacterStarts.valid != 0 {
          let leftOK =
            previous == 0 || info & (previous == 1 ? CharacterStarts.safeLeftASCII : CharacterStarts.safeLeftMB) != 0
          var rightOK = true
          if after < n {
            let next = p[after]
            if next < 0x80 {
              rightOK = info & CharacterStarts.safeRightASCII != 0
            } else if info & CharacterStarts.safeRightMB == 0 {
              rightOK = rightLeads[Int(scalar)] & CharacterStarts.leadClass(next) == 0
            }
          }
          whole = leftOK && rightOK
        }
        if previousCuttable && (whole || info & CharacterPairs.tokenEndsInside == 0)
          && !mayJoin(previousScalar, scalar)
        {
          mergePart(
            symbols, count, p + partStart, j &- partStart, readable: readable &- partStart, deferParts: deferParts,
            scratch: scratch, into: &ids)
          count = 0
          partStart = j
        }
        if whole {
          symbols[count] = info & CharacterStarts.idMask
          count &+= 1
        } else {
          for k in 0..<length {
            symbols[count] = byteTokens[Int(p[j &+ k])]
            count &+= 1
          }
        }
        j = after
        previous = 2
        previousScalar = scalar
        previousCuttable = whole || info & CharacterPairs.tokenStartsInside == 0
        continue
      }
      // A 4-byte character: its bytes, and no cut next to it.
      for k in 0..<4 {
        symbols[count] = byteTokens[Int(p[j &+ k])]
        count &+= 1
      }
      j &+= 4
      previous = 2
      previousCuttable = false
    }
    if partStart == 0 && wholePiece != .mergePart {
      if wholePiece == .merge {
        mergeSymbols(symbols, count, scratch: scratch, into: &ids)
        return
      }
      throughLongPieces(p, n, scratch: scratch, into: &ids) {
        mergeSymbols(symbols, count, scratch: scratch, into: &$0)
      }
      return
    }
    mergePart(
      symbols, count, p + partStart, n &- partStart, readable: readable &- partStart, deferParts: deferParts,
      scratch: scratch, into: &ids)
  }

  /// BPE of a part of a pre-token (`count` starting symbols, `n` bytes at `p`) that merges with nothing
  /// outside it: through the cache when it is short and more than two symbols (a deferred part is merged
  /// from its bytes when its batch is resolved: the same ids, since nothing outside it merges with it).
  @inline(__always)
  private func mergePart(
    _ symbols: UnsafeMutablePointer<UInt32>, _ count: Int, _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int,
    deferParts: Bool, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    if count > 2 && n <= EncodeScratch.maxCachedLength {
      let key = CacheKey(p, n, readable: readable)
      if deferParts {
        if key.lookupFirst(scratch, into: &ids) { return }
        deferLookup(key, p, readable: readable, scratch: scratch, into: &ids)
        return
      }
      if key.lookup(scratch, into: &ids) { return }
      let before = ids.count
      mergeSymbols(symbols, count, scratch: scratch, into: &ids)
      key.insert(scratch, ids.base + before, ids.count &- before)
      return
    }
    mergeSymbols(symbols, count, scratch: scratch, into: &ids)
  }

  /// BPE of `count` starting symbols.
  @inline(__always)
  private func mergeSymbols(
    _ symbols: UnsafeMutablePointer<UInt32>, _ count: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    if count == 1 {
      ids.append(symbols[0])
    } else if count == 2 {
      let v = merge(symbols[0], symbols[1])
      if v != EncoderCore.noMerge {
        ids.append(UInt32(truncatingIfNeeded: v))
      } else {
        ids.append(symbols[0])
        ids.append(symbols[1])
      }
    } else if count <= EncoderCore.smallLimit {
      smallMerge(symbols, count, values: scratch.valueBuffer, into: &ids)
    } else {
      heapMerge(symbols, count, scratch: scratch, into: &ids)
    }
  }

  /// Whether some vocabulary token holds the two characters (scalars) side by side (false positives
  /// allowed: they only forgo a cut).
  @inline(__always)
  func mayJoin(_ left: UInt32, _ right: UInt32) -> Bool {
    let (word, bits) = CharacterPairs.probe(UInt64(left) << 21 | UInt64(right))
    return pairFilter[word] & bits == bits
  }

  /// Quadratic merge in place: fastest for short symbol runs.
  private func smallMerge(
    _ symbols: UnsafeMutablePointer<UInt32>, _ n: Int, values: UnsafeMutablePointer<UInt64>, into ids: inout IDWriter
  ) {
    do {
      var count = n
      if n > 1 {
        for k in 0..<(n &- 1) { values[k] = merge(symbols[k], symbols[k &+ 1]) }
      }
      while count > 1 {
        // The leftmost lowest value, without a branch per pair (conditional moves).
        var best = values[0]
        var at = 0
        var k = 1
        while k < count &- 1 {
          let value = values[k]
          let lower = value < best
          best = lower ? value : best
          at = lower ? k : at
          k &+= 1
        }
        if best == EncoderCore.noMerge { break }
        symbols[at] = UInt32(truncatingIfNeeded: best)
        k = at &+ 1
        while k < count &- 1 {
          symbols[k] = symbols[k &+ 1]
          values[k] = values[k &+ 1]
          k &+= 1
        }
        count &-= 1
        if at > 0 { values[at &- 1] = merge(symbols[at &- 1], symbols[at]) }
        if at < count &- 1 { values[at] = merge(symbols[at], symbols[at &+ 1]) }
      }
      (ids.base + ids.count).update(from: symbols, count: count)
      ids.count &+= count
    }
  }

  /// Heap and linked-list merge, O(n log n), for long pre-tokens (a whole CJK sentence is one).
  private func heapMerge(
    _ symbols: UnsafeMutablePointer<UInt32>, _ n: Int, scratch: EncodeScratch, into ids: inout IDWriter
  ) {
    if scratch.values.count < n {
      scratch.values = [UInt64](repeating: 0, count: n)
      scratch.links = [Int32](repeating: 0, count: 2 * n)
    }
    scratch.heap.removeAll(keepingCapacity: true)
    let dead = UInt32.max
    scratch.values.withUnsafeMutableBufferPointer { values in
      scratch.links.withUnsafeMutableBufferPointer { links in
        for k in 0..<n {
          links[2 &* k] = Int32(k &- 1)
          links[2 &* k &+ 1] = Int32(k &+ 1)
        }
        links[2 &* (n &- 1) &+ 1] = -1
        for k in 0..<(n &- 1) {
          let v = merge(symbols[k], symbols[k &+ 1])
          values[k] = v
          if v != EncoderCore.noMerge { scratch.heap.append((v & 0xFFFF_FFFF_0000_0000) | UInt64(k)) }
        }
        values[n &- 1] = EncoderCore.noMerge
        var heap = MinHeap(storage: scratch.heap)
        scratch.heap = []
        heap.heapify()
        while let top = heap.pop() {
          let at = Int(top & 0xFFFF_FFFF)
          let rank = top >> 32
          if symbols[at] == dead || values[at] >> 32 != rank { continue }
          let next = Int(links[2 &* at &+ 1])
          symbols[at] = UInt32(truncatingIfNeeded: values[at])
          symbols[next] = dead
          let after = Int(links[2 &* next &+ 1])
          links[2 &* at &+ 1] = Int32(after)
          if after >= 0 { links[2 &* after] = Int32(at) }
          let before = Int(links[2 &* at])
          if before >= 0 {
            let v = merge(symbols[before], symbols[at])
            values[before] = v
            if v != EncoderCore.noMerge { heap.push((v & 0xFFFF_FFFF_0000_0000) | UInt64(before)) }
          }
          if after >= 0 {
            let v = merge(symbols[at], symbols[after])
            values[at] = v
            if v != EncoderCore.noMerge { heap.push((v & 0xFFFF_FFFF_0000_0000) | UInt64(at)) }
          } else {
            values[at] = EncoderCore.noMerge
          }
        }
        scratch.heap = heap.storage
        var k = 0
        while k >= 0 {
          ids.append(symbols[k])
          k = Int(links[2 &* k &+ 1])
        }
      }
    }
  }
}

/// A byte string of up to 15 bytes as a key of the pre-token cache. The cache maps a byte string to its
/// BPE (up to 6 ids): pre-tokens and the parts `bytePairEncode` cuts them into share it.
///
/// Keys of up to 8 bytes (most pre-tokens) whose BPE is one or two ids live in short entries of two
/// words (the key's word; its length, the id count and the ids), four to a cache line; a short entry
/// with count 3 sends the lookup on to the long levels. Other keys and results have long entries of four
/// words (the key's 16 bytes: zero-padded bytes, the length in bits 56-59 and the id count in bits 60-62
/// of the second word; then ids 0-2 and 3-5, 21 bits each). Each kind has two levels: a small
/// direct-mapped one that stays in the core's L2, private to the scratch, and behind it a larger
/// set-associative one (sets of one cache line) that every scratch of the tokenizer shares
/// (`SharedPieceCache`).
struct CacheKey {
  let k0: UInt64
  let k1: UInt64
  let length: Int

  /// The hash of the whole key, for every level but the first of short keys (computed where used: the
  /// common lookup, a short key's first level, needs one multiply of `k0` only).
  var hash: UInt64 { CacheKey.hash(k0, k1) }

  static let countShift: UInt64 = 60
  static let keyMask: UInt64 = ~(7 << 60)
  static let idBits: UInt64 = 21
  static let idMask: UInt64 = (1 << 21) - 1

  /// The key of the `n` bytes at `p` (2 to 15) when the 16 bytes from `p` may all be read: the same key
  /// as `init(_:_:readable:)` gives. `masks` is `EncodeScratch.keyMasks`: two loads instead of the dozen
  /// shifts, compares and moves of `masks(n)`.
  @inline(__always)
  init(wide p: UnsafePointer<UInt8>, _ n: Int, masks: UnsafePointer<UInt64>) {
    let raw = UnsafeRawPointer(p)
    let mask = masks + 2 &* n
    let k0 = raw.loadUnaligned(as: UInt64.self) & mask[0]
    let k1 = UInt64(truncatingIfNeeded: n) << 56 | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & mask[1]
    self.init(k0: k0, k1: k1, length: n)
  }

  /// For `n` in 1...15, `masks(n)` at `2 * n` and `2 * n + 1`; for 0, two zero masks (`masks` takes 1 to 15).
  static func keyMasks() -> [UInt64] {
    var table: [UInt64] = []
    for n in 0..<16 {
      let (low, high) = n == 0 ? (0, 0) : masks(n)
      table += [low, high]
    }
    return table
  }

  /// `readable` is how many bytes may be read from `p` (at least `n`, and `n` at most 15).
  @inline(__always)
  init(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) {
    let (k0, k1) = readable >= 16 ? CacheKey.wideWords(p, n) : CacheKey.byteWords(p, n)
    self.init(k0: k0, k1: k1, length: n)
  }

  @inline(__always)
  private init(k0: UInt64, k1: UInt64, length: Int) {
    self.k0 = k0
    self.k1 = k1
    self.length = length
  }

  /// The key's words from whole-word loads (the text continues past the key), masked to its length without
  /// a branch on it.
  @inline(__always)
  static func wideWords(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
    let raw = UnsafeRawPointer(p)
    let (mask0, mask1) = masks(n)
    let k0 = raw.loadUnaligned(as: UInt64.self) & mask0
    return (k0, UInt64(n) << 56 | raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & mask1)
  }

  /// The masks that keep the first `n` bytes (1 to 15) of a key's two little-endian words.
  @inline(__always)
  static func masks(_ n: Int) -> (UInt64, UInt64) {
    (UInt64.max &>> UInt64((8 &- min(n, 8)) &* 8), n > 8 ? UInt64.max &>> UInt64((16 &- n) &* 8) : 0)
  }

  /// The key's words byte by byte (fewer than 16 bytes may be read).
  @inline(__always)
  static func byteWords(_ p: UnsafePointer<UInt8>, _ n: Int) -> (UInt64, UInt64) {
    var k0: UInt64 = 0
    var k1: UInt64 = UInt64(n) << 56
    var j = 0
    while j < n {
      if j < 8 { k0 |= UInt64(p[j]) << UInt64(j &* 8) } else { k1 |= UInt64(p[j]) << UInt64((j &- 8) &* 8) }
      j &+= 1
    }
    return (k0, k1)
  }

  @inline(__always)
  static func hash(_ k0: UInt64, _ k1: UInt64) -> UInt64 {
    let h = (k0 ^ (k1 &* 0x9E37_79B9_7F4A_7C15)) &* 0xFF51_AFD7_ED55_8CCD
    return h ^ (h >> 29)
  }

  // MARK: short keys (up to 8 bytes): two words per entry, the key's word, then
  // `length | count << 4 | id0 << 6 | id1 << 27`; count 3 means "more ids: see the long levels".

  /// A short key's first-level entry, from the top bits of one multiply of its bytes (the length is left
  /// out: keys that differ only by trailing zero bytes share an entry, and `matchesShort` tells them apart).
  @inline(__always)
  func shortFirst(_ scratch: EncodeScratch) -> UnsafeMutablePointer<UInt64> {
    scratch.short1
      + 2 &* Int(truncatingIfNeeded: (k0 &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - EncodeScratch.short1Bits))
  }

  @inline(__always)
  func shortSet(_ scratch: EncodeScratch) -> UnsafeMutablePointer<UInt64> {
    scratch.short2 + 8 &* Int(truncatingIfNeeded: (hash >> 24) & UInt64(SharedPieceCache.shortSets &- 1))
  }

  @inline(__always)
  func matchesShort(_ entry: UnsafeMutablePointer<UInt64>) -> Bool {
    entry[0] == k0 && entry[1] & 15 == UInt64(truncatingIfNeeded: length)
  }

  /// Appends a short entry's ids, or looks the long levels up when it says so.
  @inline(__always)
  func emitShort(_ entry: UnsafeMutablePointer<UInt64>, _ scratch: EncodeScratch, into ids: inout IDWriter) -> Bool {
    let word = entry[1]
    let count = Int(truncatingIfNeeded: (word >> 4) & 3)
    if count == 3 { return lookupLong(scratch, into: &ids) }
    let out = ids.base + ids.count
    out[0] = UInt32(truncatingIfNeeded: (word >> 6) & CacheKey.idMask)
    out[1] = UInt32(truncatingIfNeeded: (word >> 27) & CacheKey.idMask)
    ids.count &+= count
    return true
  }

  /// Looks the shared level up (see `SharedPieceCache`); a hit is copied to the first level.
  @inline(never)
  func lookupShortSecond(
    _ scratch: EncodeScratch, first: UnsafeMutablePointer<UInt64>, into ids: inout IDWriter
  ) -> Bool {
    let set = shortSet(scratch)
    for way in 0..<(4 &* SharedPieceCache.probeSets) {
      let entry = set + 2 &* way
      let word = SharedPieceCache.published(entry)
      // An empty way (0) or one being written (`claimed`) has no length of 1 to 8.
      if word & 15 == UInt64(truncatingIfNeeded: length) && entry[0] == k0 {
        first[0] = k0
        first[1] = word
        return emitShort(first, scratch, into: &ids)
      }
      if word == 0 { return false }
    }
    return false
  }

  @inline(__always)
  func firstLevel(_ scratch: EncodeScratch) -> UnsafeMutablePointer<UInt64> {
    scratch.cache1 + 4 &* Int(truncatingIfNeeded: hash >> UInt64(64 - EncodeScratch.cache1Bits))
  }

  @inline(__always)
  func secondLevel(_ scratch: EncodeScratch) -> UnsafeMutablePointer<UInt64> {
    scratch.cache + 8 &* Int(truncatingIfNeeded: (hash >> 24) & UInt64(SharedPieceCache.longSets &- 1))
  }

  @inline(__always)
  func matches(_ entry: UnsafeMutablePointer<UInt64>) -> Bool {
    entry[0] == k0 && entry[1] & CacheKey.keyMask == k1
  }

  /// Appends an entry's ids (room for 6 more ids past `ids.count` must be reserved).
  @inline(__always)
  static func emit(_ entry: UnsafeMutablePointer<UInt64>, into ids: inout IDWriter) {
    let count = Int(truncatingIfNeeded: entry[1] >> CacheKey.countShift)
    let out = ids.base + ids.count
    let v0 = entry[2]
    out[0] = UInt32(truncatingIfNeeded: v0 & CacheKey.idMask)
    out[1] = UInt32(truncatingIfNeeded: (v0 >> CacheKey.idBits) & CacheKey.idMask)
    out[2] = UInt32(truncatingIfNeeded: v0 >> (2 * CacheKey.idBits))
    if count > 3 {
      let v1 = entry[3]
      out[3] = UInt32(truncatingIfNeeded: v1 & CacheKey.idMask)
      out[4] = UInt32(truncatingIfNeeded: (v1 >> CacheKey.idBits) & CacheKey.idMask)
      out[5] = UInt32(truncatingIfNeeded: v1 >> (2 * CacheKey.idBits))
    }
    ids.count &+= count
  }

  /// Appends the ids the first level holds and returns true, or returns false (the second level may
  /// still hold them).
  @inline(__always)
  func lookupFirst(_ scratch: EncodeScratch, into ids: inout IDWriter) -> Bool {
    if length <= 8 {
      let first = shortFirst(scratch)
      if matchesShort(first) { return emitShort(first, scratch, into: &ids) }
      return false
    }
    let first = firstLevel(scratch)
    guard matches(first) else { return false }
    CacheKey.emit(first, into: &ids)
    return true
  }

  /// Starts loading the set of the second level a lookup of this key reads.
  @inline(__always)
  func prefetchSecond(_ scratch: EncodeScratch) {
    prefetchLine(length <= 8 ? shortSet(scratch) : secondLevel(scratch))
  }

  /// Appends the cached ids and returns true, or returns false.
  @inline(__always)
  func lookup(_ scratch: EncodeScratch, into ids: inout IDWriter) -> Bool {
    if length <= 8 {
      let first = shortFirst(scratch)
      if matchesShort(first) { return emitShort(first, scratch, into: &ids) }
      return lookupShortSecond(scratch, first: first, into: &ids)
    }
    return lookupLong(scratch, into: &ids)
  }

  @inline(__always)
  func lookupLong(_ scratch: EncodeScratch, into ids: inout IDWriter) -> Bool {
    let first = firstLevel(scratch)
    if matches(first) {
      CacheKey.emit(first, into: &ids)
      return true
    }
    return lookupSecondLevel(scratch, first: first, into: &ids)
  }

  /// Looks the shared level up (see `SharedPieceCache`); a hit is copied to the first level.
  @inline(never)
  func lookupSecondLevel(
    _ scratch: EncodeScratch, first: UnsafeMutablePointer<UInt64>, into ids: inout IDWriter
  ) -> Bool {
    let set = secondLevel(scratch)
    for way in 0..<(2 &* SharedPieceCache.probeSets) {
      let entry = set + 4 &* way
      let word = SharedPieceCache.published(entry)
      // An empty way (0) or one being written (`claimed`, bit 63 set) never matches: `k1` has a length.
      if word & CacheKey.keyMask == k1 && entry[0] == k0 {
        first[0] = k0
        first[1] = word
        first[2] = entry[2]
        first[3] = entry[3]
        CacheKey.emit(first, into: &ids)
        return true
      }
      if word == 0 { return false }
    }
    return false
  }

  /// Caches `count` ids (1 to 6; other counts are not cached).
  @inline(__always)
  func insert(_ scratch: EncodeScratch, _ out: UnsafePointer<UInt32>, _ count: Int) {
    guard count > 0 && count <= 6 else { return }
    if length <= 8 {
      var word = UInt64(truncatingIfNeeded: length) | UInt64(min(count, 3)) << 4
      if count <= 2 {
        word |= UInt64(out[0]) << 6
        if count == 2 { word |= UInt64(out[1]) << 27 }
      }
      let first = shortFirst(scratch)
      first[0] = k0
      first[1] = word
      SharedPieceCache.publish(shortSet(scratch), ways: 4, width: 2, first)
      if count <= 2 { return }
    }
    var v0: UInt64 = 0
    var v1: UInt64 = 0
    for k in 0..<count {
      let id = UInt64(out[k])
      if k < 3 { v0 |= id << (UInt64(k) &* CacheKey.idBits) } else { v1 |= id << (UInt64(k &- 3) &* CacheKey.idBits) }
    }
    let first = firstLevel(scratch)
    first[0] = k0
    first[1] = k1 | UInt64(count) << CacheKey.countShift
    first[2] = v0
    first[3] = v1
    SharedPieceCache.publish(secondLevel(scratch), ways: 2, width: 4, first)
  }
}

/// A binary min-heap of packed `rank << 32 | position` keys.
struct MinHeap {
  var storage: [UInt64]

  mutating func heapify() {
    var k = storage.count / 2 - 1
    while k >= 0 {
      siftDown(k)
      k -= 1
    }
  }

  mutating func push(_ value: UInt64) {
    storage.append(value)
    var child = storage.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if storage[parent] <= value { break }
      storage[child] = storage[parent]
      child = parent
    }
    storage[child] = value
  }

  mutating func pop() -> UInt64? {
    guard let last = storage.popLast() else { return nil }
    if storage.isEmpty { return last }
    let top = storage[0]
    storage[0] = last
    siftDown(0)
    return top
  }

  private mutating func siftDown(_ start: Int) {
    let count = storage.count
    let value = storage[start]
    var parent = start
    while true {
      var child = 2 * parent + 1
      if child >= count { break }
      if child + 1 < count && storage[child + 1] < storage[child] { child += 1 }
      if storage[child] >= value { break }
      storage[parent] = storage[child]
      parent = child
    }
    storage[parent] = value
  }
}
