import PrepCore
import Synchronization

/// Byte-level BPE exactly as HF `tokenizers` runs a Qwen2/2.5/3 `tokenizer.json`: added tokens matched in
/// the raw text (leftmost-longest), NFC with HF's tables, the Qwen split regex, GPT-2 byte-level, merges
/// by rank.
///
/// One loaded `Tokenizer` is immutable and may be shared by any number of threads; each `encode` call
/// borrows a private scratch space (pre-token cache, buffers) from a small pool.
public final class Tokenizer: TokenEncoder, @unchecked Sendable {
  // Immutable after init; freed in deinit.
  let core: EncoderCore
  private let mergeSlots: UnsafeMutablePointer<UInt64>
  private let mergedByRank: UnsafeMutablePointer<UInt32>
  private let mergeFilter: UnsafeMutablePointer<UInt64>
  private let densePairs: UnsafeMutablePointer<UInt64>
  private let vocabSlots: UnsafeMutablePointer<UInt32>
  private let byteTokens: UnsafeMutablePointer<UInt32>
  private let charStart: UnsafeMutablePointer<UInt32>
  private let rightLeads: UnsafeMutablePointer<UInt32>
  private let pairFilter: UnsafeMutablePointer<UInt64>
  private let addedBytes: UnsafeMutablePointer<UInt8>

  /// Raw bytes of every id's piece (for decoding): `pieceBytes[pieceOffsets[id]..<pieceOffsets[id + 1]]`.
  private let pieceBytes: [UInt8]
  private let pieceOffsets: [UInt32]
  /// Whether an id's piece is a byte-level piece (vs a piece outside the alphabet, or an added token).
  private let pieceIsByteLevel: [Bool]
  private let pieceExists: [Bool]
  private let addedByContent: [String: UInt32]
  private let scratchPool = Mutex<[EncodeScratch]>([])

  /// The added tokens, by id.
  public let addedTokens: [AddedToken]
  /// The number of entries of the model's vocabulary (added tokens not counted unless they are in it).
  public let regularTokenCount: Int
  /// The number of ids, added tokens included (ids are below this).
  public let vocabularySize: Int
  /// A hash of everything that decides the ids (vocabulary, merges, added tokens, normalization), as
  /// 16 hex digits: two directories with the same fingerprint tokenize identically.
  public let fingerprint: String

  private init(spec: TokenizerSpec) throws(TokenizerError) {
    let file = spec.file
    // Vocabulary: raw bytes per id; the byte-keyed table holds the byte-level pieces.
    var maxID = -1
    for id in spec.vocabIDs { maxID = max(maxID, Int(id)) }
    for token in spec.added { maxID = max(maxID, Int(token.id)) }
    let size = maxID + 1
    var starts = [Int](repeating: -1, count: size)
    var lengths = [Int](repeating: 0, count: size)
    var byteLevel = [Bool](repeating: false, count: size)
    for index in 0..<spec.vocabIDs.count {
      let id = Int(spec.vocabIDs[index])
      starts[id] = Int(spec.vocabOffsets[index])
      lengths[id] = Int(spec.vocabOffsets[index + 1] - spec.vocabOffsets[index])
      byteLevel[id] = spec.vocabIsByteLevel[index]
    }
    var addedContentBytes = [Int: [UInt8]]()
    for token in spec.added { addedContentBytes[Int(token.id)] = Array(token.content.utf8) }
    var bytes = [UInt8]()
    var offsets = [UInt32]()
    var exists = [Bool](repeating: false, count: size)
    offsets.reserveCapacity(size + 1)
    bytes.reserveCapacity(spec.vocabBytes.count)
    offsets.append(0)
    for id in 0..<size {
      if let content = addedContentBytes[id] {
        // HF's ByteLevel decoder maps each scalar of a token back to a byte when all are in the alphabet,
        // else keeps the token's UTF-8.
        var mapped = [UInt8]()
        let inAlphabet = content.withUnsafeBufferPointer { ByteLevel.decode($0, into: &mapped) }
        bytes.append(contentsOf: inAlphabet ? mapped : content)
        byteLevel[id] = false
        exists[id] = true
      } else if starts[id] >= 0 {
        bytes.append(contentsOf: spec.vocabBytes[starts[id]..<(starts[id] + lengths[id])])
        exists[id] = true
      }
      offsets.append(UInt32(bytes.count))
    }

    let vocabBits = max(10, Int.bitWidth - (spec.vocabIDs.count * 2).leadingZeroBitCount)
    let vocabCapacity = 1 << vocabBits
    let vocabSlots = UnsafeMutablePointer<UInt32>.allocate(capacity: vocabCapacity)
    vocabSlots.initialize(repeating: 0, count: vocabCapacity)
    let byteTokens = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    let charStart = UnsafeMutablePointer<UInt32>.allocate(capacity: 0x10000)
    charStart.initialize(repeating: 0, count: 0x10000)
    let rightLeads = UnsafeMutablePointer<UInt32>.allocate(capacity: 0x10000)
    rightLeads.initialize(repeating: UInt32.max, count: 0x10000)
    let pairFilter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << CharacterPairs.filterBits)
    pairFilter.initialize(repeating: 0, count: 1 << CharacterPairs.filterBits)
    byteTokens.initialize(repeating: UInt32.max, count: 256)

    let mergeCount = spec.mergeBounds.count / 3
    let mergeBits = max(10, Int.bitWidth - (mergeCount + mergeCount / 2).leadingZeroBitCount)
    let mergeCapacity = 1 << mergeBits
    guard size < EncoderCore.idLimit, mergeCount < EncoderCore.idLimit else {
      throw .unsupported(
        file: file, component: "vocabulary size", found: "\(size) ids, \(mergeCount) merges",
        reason: "prep's tables hold up to \(EncoderCore.idLimit) of each")
    }
    let mergeSlots = UnsafeMutablePointer<UInt64>.allocate(capacity: mergeCapacity)
    mergeSlots.initialize(repeating: UInt64.max, count: mergeCapacity)
    let mergedByRank = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, mergeCount))
    mergedByRank.initialize(repeating: 0, count: max(1, mergeCount))
    let densePairs = UnsafeMutablePointer<UInt64>.allocate(
      capacity: Int(EncoderCore.denseIDs * EncoderCore.denseIDs))
    densePairs.initialize(repeating: EncoderCore.noMerge, count: Int(EncoderCore.denseIDs * EncoderCore.denseIDs))
    let mergeFilter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1 << EncoderCore.filterBits)
    mergeFilter.initialize(repeating: 0, count: 1 << EncoderCore.filterBits)

    var added = spec.added.sorted { $0.id < $1.id }
    var seen = Set<UInt32>()
    added = added.filter { seen.insert($0.id).inserted }
    var addedFlat = [UInt8]()
    var addedEntries = [(offset: Int, length: Int, id: UInt32)]()
    for token in added.sorted(by: { $0.content.utf8.count > $1.content.utf8.count }) {
      addedEntries.append((addedFlat.count, token.content.utf8.count, token.id))
      addedFlat.append(contentsOf: token.content.utf8)
    }
    let addedBytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, addedFlat.count))
    addedBytes.initialize(from: addedFlat, count: addedFlat.count)

    self.mergeSlots = mergeSlots
    self.mergedByRank = mergedByRank
    self.mergeFilter = mergeFilter
    self.densePairs = densePairs
    self.vocabSlots = vocabSlots
    self.byteTokens = byteTokens
    self.charStart = charStart
    self.rightLeads = rightLeads
    self.pairFilter = pairFilter
    self.addedBytes = addedBytes
    self.pieceBytes = bytes
    self.pieceOffsets = offsets
    self.pieceIsByteLevel = byteLevel
    self.pieceExists = exists
    self.addedTokens = added
    var byContent = [String: UInt32]()
    for token in added { byContent[token.content] = token.id }
    self.addedByContent = byContent
    self.regularTokenCount = spec.vocabIDs.count
    self.vocabularySize = size

    var addedFirst = [UInt8](repeating: 0, count: 256)
    for entry in addedEntries { addedFirst[Int(addedFlat[entry.offset])] = 1 }
    var core = EncoderCore(
      unicode: UnicodeData.shared, mergeSlots: mergeSlots, mergedByRank: mergedByRank, mergedIsOffset: false,
      mergedOffset: 0, mergeMask: mergeCapacity - 1,
      mergeShift: 64 - mergeBits, mergeFilter: mergeFilter, densePairs: densePairs, vocabSlots: vocabSlots,
      vocabMask: vocabCapacity - 1,
      byteTokens: byteTokens, charStart: charStart, rightLeads: rightLeads, pairFilter: pairFilter,
      pieceBytes: bytes, pieceOffsets: offsets, addedBytes: addedBytes,
      addedEntries: addedEntries.map { AddedEntry(offset: $0.offset, length: $0.length, id: $0.id) },
      addedFirst: addedFirst,
      addedSingleFirst: addedFirst.firstIndex(of: 1).map { addedFirst.lastIndex(of: 1) == $0 ? $0 : -1 } ?? -1,
      normalizeNFC: spec.normalizeNFC, ignoreMerges: spec.ignoreMerges)

    // Fill the vocabulary table (byte-level pieces only: others never occur in byte-level input).
    for index in 0..<spec.vocabIDs.count where spec.vocabIsByteLevel[index] {
      let id = spec.vocabIDs[index]
      guard addedContentBytes[Int(id)] == nil else { continue }
      core.insertVocab(id: id)
    }
    for byte in 0..<256 {
      guard let id = core.vocabID([UInt8(byte)]) else {
        throw .inconsistent(file: file, message: "the vocabulary lacks the byte-level token for byte \(byte)")
      }
      byteTokens[byte] = id
    }
    // Merges: later duplicates overwrite earlier ones, as HF's HashMap collection does.
    var resolved = [(UInt32, UInt32, UInt32)]()
    resolved.reserveCapacity(mergeCount)
    var hash = Fingerprint()
    for id in 0..<size {
      hash.add(UInt64(id))
      hash.add(exists[id] ? 1 : 0)
      hash.add(bytes: bytes[Int(offsets[id])..<Int(offsets[id + 1])])
    }
    try spec.mergeBytes.withUnsafeBufferPointer { (pieces) throws(TokenizerError) in
      // The two sides of a merge lie side by side in `mergeBytes`, so the merged token is their span.
      guard let base = pieces.baseAddress else {
        if mergeCount > 0 { throw .inconsistent(file: file, message: "the merges name no tokens") }
        return
      }
      for rank in 0..<mergeCount {
        let a = Int(spec.mergeBounds[3 * rank])
        let b = Int(spec.mergeBounds[3 * rank + 1])
        let c = Int(spec.mergeBounds[3 * rank + 2])
        guard let leftID = core.vocabID(base + a, b - a), let rightID = core.vocabID(base + b, c - b) else {
          throw .inconsistent(file: file, message: "merge \(rank) uses a token that is not in the vocabulary")
        }
        guard let mergedID = core.vocabID(base + a, c - a) else {
          throw .inconsistent(file: file, message: "merge \(rank) makes a token that is not in the vocabulary")
        }
        core.insertMerge(left: leftID, right: rightID, rank: UInt32(rank), merged: mergedID)
        resolved.append((leftID, rightID, mergedID))
        hash.add(UInt64(leftID) << 32 | UInt64(rightID))
      }
    }
    for token in added {
      hash.add(UInt64(token.id) | (token.special ? 1 << 40 : 0))
      hash.add(bytes: Array(token.content.utf8)[...])
    }
    core.fillDensePairs()
    // Qwen's vocabulary numbers merged tokens by rank; then the merged id is computed, not read.
    if mergeCount > 0 {
      let offset = resolved[0].2
      if resolved.indices.allSatisfy({
        resolved[$0].2 == UInt32($0) &+ offset && core.merge(resolved[$0].0, resolved[$0].1) >> 32 == UInt64($0)
      }) {
        core.mergedIsOffset = true
        core.mergedOffset = offset
      }
    }
    CharacterStarts.build(
      core: core, merges: resolved, pieceBytes: bytes, pieceOffsets: offsets, size: size, into: charStart,
      rightLeads: rightLeads)
    let byteLevelIDs = spec.vocabIDs.indices.compactMap { index -> UInt32? in
      let id = spec.vocabIDs[index]
      return spec.vocabIsByteLevel[index] && addedContentBytes[Int(id)] == nil ? id : nil
    }
    CharacterPairs.build(
      ids: byteLevelIDs, pieceBytes: bytes, pieceOffsets: offsets, charStart: charStart, into: pairFilter)
    hash.add(spec.normalizeNFC ? 1 : 0)
    hash.add(spec.ignoreMerges ? 1 : 0)
    fingerprint = hash.hex
    self.core = core
  }

  deinit {
    mergeSlots.deallocate()
    mergedByRank.deallocate()
    mergeFilter.deallocate()
    densePairs.deallocate()
    vocabSlots.deallocate()
    byteTokens.deallocate()
    charStart.deallocate()
    rightLeads.deallocate()
    pairFilter.deallocate()
    addedBytes.deallocate()
  }

  /// Loads an HF tokenizer directory: `tokenizer.json`, or `vocab.json` + `merges.txt` +
  /// `tokenizer_config.json` (added tokens from `added_tokens_decoder`, `tokenizer_class` Qwen2Tokenizer).
  /// Refuses, naming what it found, any normalizer, pre-tokenizer, model or decoder it does not implement
  /// exactly.
  public static func load(directory: String) throws(TokenizerError) -> Tokenizer {
    try Tokenizer(spec: TokenizerFileReader.load(directory: directory))
  }

  /// Loads one `tokenizer.json` file.
  public static func load(tokenizerJSON path: String) throws(TokenizerError) -> Tokenizer {
    try Tokenizer(spec: TokenizerFileReader.loadTokenizerJSON(path))
  }

  // MARK: encoding

  private func withScratch<R>(_ body: (EncodeScratch) -> R) -> R {
    let scratch = scratchPool.withLock { $0.popLast() } ?? EncodeScratch()
    defer { scratchPool.withLock { $0.append(scratch) } }
    return body(scratch)
  }

  /// Appends the ids of `text`, exactly as HF `tokenizer.encode(text, add_special_tokens=False)`.
  public func encode(_ text: String, into ids: inout [UInt32]) {
    let done: Void? = text.utf8.withContiguousStorageIfAvailable { buffer in
      encodeValid(buffer, into: &ids)
    }
    if done == nil {
      let copy = Array(text.utf8)
      copy.withUnsafeBufferPointer { encodeValid($0, into: &ids) }
    }
  }

  /// Appends the ids of text given as UTF-8 bytes (a record's bytes, without making a `String`).
  /// Throws `TokenizerError.invalidUTF8` with the offset of the first ill-formed sequence.
  public func encode(utf8 bytes: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]) throws(TokenizerError) {
    if let offset = UTF8Repair.firstInvalidOffset(bytes) { throw .invalidUTF8(offset: offset) }
    encodeValid(bytes, into: &ids)
  }

  /// Appends the ids of UTF-8 bytes; throws `TokenizerError.invalidUTF8` if they are not valid UTF-8.
  public func encode(utf8 bytes: [UInt8], into ids: inout [UInt32]) throws(TokenizerError) {
    try bytes.withUnsafeBufferPointer { (buffer) throws(TokenizerError) in try encode(utf8: buffer, into: &ids) }
  }

  /// Bytes known to be valid UTF-8 (the scanner reads whole sequences without bounds checks).
  private func encodeValid(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    withScratch { scratch in
      var writer = IDWriter(base: scratch.output, capacity: scratch.outputCapacity)
      core.encode(base, bytes.count, scratch: scratch, into: &writer)
      ids.append(contentsOf: UnsafeBufferPointer(start: writer.base, count: writer.count))
      scratch.output = writer.base
      scratch.outputCapacity = writer.capacity
    }
  }

  /// The id of an added token given by its exact content, or nil.
  public func addedTokenID(_ content: String) -> UInt32? { addedByContent[content] }

  /// The contents of every added token (all are matched in raw text), sorted.
  public var addedTokenContents: [String]? { addedByContent.keys.sorted() }

  /// The id of a vocabulary piece written as in the file (`"Ġthe"`), or of an added token; nil if none.
  public func id(forToken token: String) -> UInt32? {
    if let id = addedByContent[token] { return id }
    var raw = [UInt8]()
    let piece = Array(token.utf8)
    guard piece.withUnsafeBufferPointer({ ByteLevel.decode($0, into: &raw) }) else { return nil }
    return core.vocabID(raw)
  }

  // MARK: decoding

  /// The raw bytes an id stands for (an added token's content), or nil for an unknown id.
  public func pieceBytes(for id: UInt32) -> [UInt8]? {
    let index = Int(id)
    guard index < vocabularySize, pieceExists[index] else { return nil }
    return Array(pieceBytes[Int(pieceOffsets[index])..<Int(pieceOffsets[index + 1])])
  }

  /// The piece as the tokenizer file writes it (`"Ġthe"`, `"<|im_end|>"`), for display; nil for an unknown id.
  public func token(for id: UInt32) -> String? {
    let index = Int(id)
    guard index < vocabularySize, pieceExists[index] else { return nil }
    if let token = addedTokens.first(where: { $0.id == id }) { return token.content }
    let raw = pieceBytes[Int(pieceOffsets[index])..<Int(pieceOffsets[index + 1])]
    if !pieceIsByteLevel[index] { return String(decoding: raw, as: UTF8.self) }
    var text = ""
    for byte in raw {
      if let scalar = Unicode.Scalar(ByteLevel.scalarForByte[Int(byte)]) { text.unicodeScalars.append(scalar) }
    }
    return text
  }

  /// The bytes of `ids` concatenated (unknown ids skipped), before UTF-8 repair.
  public func decodeBytes(_ ids: [UInt32]) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(ids.count * 4)
    for id in ids {
      let index = Int(id)
      guard index < vocabularySize, pieceExists[index] else { continue }
      out.append(contentsOf: pieceBytes[Int(pieceOffsets[index])..<Int(pieceOffsets[index + 1])])
    }
    return out
  }

  /// Text for ids as HF `tokenizer.decode(ids, skip_special_tokens=False)`: added tokens as their content,
  /// byte-level pieces back to bytes, invalid UTF-8 replaced by U+FFFD per maximal subpart (Python's
  /// `errors="replace"`). Unknown ids are skipped.
  public func decode(_ ids: [UInt32]) -> String {
    UTF8Repair.string(from: decodeBytes(ids))
  }
}

/// FNV-1a-style 64-bit hash for the fingerprint (stable across runs and machines).
struct Fingerprint {
  var state: UInt64 = 0xCBF2_9CE4_8422_2325

  mutating func add(_ value: UInt64) {
    var v = value
    for _ in 0..<8 {
      state = (state ^ (v & 0xFF)) &* 0x0000_0100_0000_01B3
      v >>= 8
    }
  }

  mutating func add(bytes: ArraySlice<UInt8>) {
    add(UInt64(bytes.count))
    for b in bytes { state = (state ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
  }

  var hex: String {
    let digits = String(state, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
