/// The tables of a loaded tokenizer, built from a tokenizer file (`init(spec:)`) or read back from the
/// compiled cache (`TokenizerCache`). The `Tokenizer` made from them owns and frees the pointers.
struct TokenizerParts {
  var mergeSlots: UnsafeMutablePointer<UInt64>
  var mergedByRank: UnsafeMutablePointer<UInt32>
  var mergeFilter: UnsafeMutablePointer<UInt64>
  var densePairs: UnsafeMutablePointer<UInt64>
  var vocabSlots: UnsafeMutablePointer<UInt32>
  var byteTokens: UnsafeMutablePointer<UInt32>
  var charStart: UnsafeMutablePointer<UInt32>
  var rightLeads: UnsafeMutablePointer<UInt32>
  var pairFilter: UnsafeMutablePointer<UInt64>
  var pieceBytes: [UInt8]
  var pieceOffsets: [UInt32]
  var pieceIsByteLevel: [Bool]
  var pieceExists: [Bool]
  var added: [AddedToken]
  var regularTokenCount: Int
  var vocabularySize: Int
  var fingerprint: String
  /// Entries of the merge table (a power of two) and of `mergedByRank` (the merge count, at least 1).
  var mergeCapacity: Int
  var mergeCount: Int
  /// Entries of the vocabulary table (a power of two).
  var vocabCapacity: Int
  var mergedIsOffset: Bool
  var mergedOffset: UInt32
  var normalizeNFC: Bool
  var ignoreMerges: Bool

  /// Sizes of the fixed tables, in elements.
  static let mergeFilterCount = 1 << EncoderCore.filterBits
  static let densePairCount = Int(EncoderCore.denseIDs * EncoderCore.denseIDs)
  static let scalarTableCount = 0x10000
  static let pairFilterCount = 1 << CharacterPairs.filterBits

  /// Every table allocated (uninitialized) for the given sizes, for the caller to fill; or, with
  /// `mapped`, the tables already filled in that file at `tables` (in the order of `tables`, sizes as
  /// `tableBytes` says), kept and never written.
  init(
    mergeCapacity: Int, mergeCount: Int, vocabCapacity: Int, pieceBytes: [UInt8], pieceOffsets: [UInt32],
    pieceIsByteLevel: [Bool], pieceExists: [Bool], added: [AddedToken], regularTokenCount: Int,
    vocabularySize: Int, normalizeNFC: Bool, ignoreMerges: Bool,
    mapped: (file: MappedFile, tables: [UnsafeRawPointer])? = nil
  ) {
    func table<T>(_ index: Int, _ count: Int, _: T.Type) -> UnsafeMutablePointer<T> {
      guard let mapped else { return .allocate(capacity: count) }
      return UnsafeMutableRawPointer(mutating: mapped.tables[index]).assumingMemoryBound(to: T.self)
    }
    mergeSlots = table(0, mergeCapacity, UInt64.self)
    mergedByRank = table(1, max(1, mergeCount), UInt32.self)
    mergeFilter = table(2, TokenizerParts.mergeFilterCount, UInt64.self)
    densePairs = table(3, TokenizerParts.densePairCount, UInt64.self)
    vocabSlots = table(4, vocabCapacity, UInt32.self)
    byteTokens = table(5, 256, UInt32.self)
    charStart = table(6, TokenizerParts.scalarTableCount, UInt32.self)
    rightLeads = table(7, TokenizerParts.scalarTableCount, UInt32.self)
    pairFilter = table(8, TokenizerParts.pairFilterCount, UInt64.self)
    mappedFile = mapped?.file
    self.pieceBytes = pieceBytes
    self.pieceOffsets = pieceOffsets
    self.pieceIsByteLevel = pieceIsByteLevel
    self.pieceExists = pieceExists
    self.added = added
    self.regularTokenCount = regularTokenCount
    self.vocabularySize = vocabularySize
    fingerprint = ""
    self.mergeCapacity = mergeCapacity
    self.mergeCount = mergeCount
    self.vocabCapacity = vocabCapacity
    mergedIsOffset = false
    mergedOffset = 0
    self.normalizeNFC = normalizeNFC
    self.ignoreMerges = ignoreMerges
  }

  /// The compiled file the tables are in, when they are not allocated (released with these parts).
  let mappedFile: MappedFile?

  /// Frees every table (for a build or a read that fails before a `Tokenizer` owns them); tables in a
  /// mapped file go with it.
  func deallocate() {
    guard mappedFile == nil else { return }
    mergeSlots.deallocate()
    mergedByRank.deallocate()
    mergeFilter.deallocate()
    densePairs.deallocate()
    vocabSlots.deallocate()
    byteTokens.deallocate()
    charStart.deallocate()
    rightLeads.deallocate()
    pairFilter.deallocate()
  }

  /// The raw tables, in a fixed order, with their sizes in bytes (what the compiled cache stores).
  var tables: [(pointer: UnsafeMutableRawPointer, bytes: Int)] {
    let pointers = [
      UnsafeMutableRawPointer(mergeSlots), UnsafeMutableRawPointer(mergedByRank), UnsafeMutableRawPointer(mergeFilter),
      UnsafeMutableRawPointer(densePairs), UnsafeMutableRawPointer(vocabSlots), UnsafeMutableRawPointer(byteTokens),
      UnsafeMutableRawPointer(charStart), UnsafeMutableRawPointer(rightLeads), UnsafeMutableRawPointer(pairFilter),
    ]
    let sizes = TokenizerParts.tableBytes(
      mergeCapacity: mergeCapacity, mergeCount: mergeCount, vocabCapacity: vocabCapacity)
    return Array(zip(pointers, sizes)).map { (pointer: $0.0, bytes: $0.1) }
  }

  /// The size in bytes of each table, in the order of `tables`, for these table sizes.
  static func tableBytes(mergeCapacity: Int, mergeCount: Int, vocabCapacity: Int) -> [Int] {
    [
      8 * mergeCapacity, 4 * max(1, mergeCount), 8 * mergeFilterCount, 8 * densePairCount, 4 * vocabCapacity,
      4 * 256, 4 * scalarTableCount, 4 * scalarTableCount, 8 * pairFilterCount,
    ]
  }

  /// The encoder over these tables.
  func core(added matching: AddedMatching) -> EncoderCore {
    let mergeBits = mergeCapacity.trailingZeroBitCount
    return EncoderCore(
      unicode: UnicodeData.shared, mergeSlots: mergeSlots, mergedByRank: mergedByRank,
      mergedIsOffset: mergedIsOffset, mergedOffset: mergedOffset, mergeMask: mergeCapacity - 1,
      mergeShift: 64 - mergeBits, mergeFilter: mergeFilter, densePairs: densePairs, vocabSlots: vocabSlots,
      vocabMask: vocabCapacity - 1, byteTokens: byteTokens, charStart: charStart, rightLeads: rightLeads,
      pairFilter: pairFilter, pieceBytes: pieceBytes, pieceOffsets: pieceOffsets, added: matching,
      normalizeNFC: normalizeNFC, ignoreMerges: ignoreMerges,
      asciiWindows: AsciiWindow.matches(UnicodeData.shared))
  }
}

/// The added tokens as the encoder matches them: contents side by side, longest first; those matched in the
/// raw text apart from those matched after normalization (`AddedToken.normalized`).
struct AddedMatching {
  /// The contents, concatenated (owned by the `Tokenizer`, which frees it).
  let bytes: UnsafeMutablePointer<UInt8>
  /// The tokens matched in the raw text.
  let entries: [AddedEntry]
  /// 1 for every byte that starts one of `entries`.
  let first: [UInt8]
  /// The first byte shared by all of `entries`, or -1.
  let singleFirst: Int
  /// The tokens matched in normalized text, by their normalized content.
  let normalizedEntries: [AddedEntry]
  /// 1 for every byte that starts one of `normalizedEntries`.
  let normalizedFirst: [UInt8]
  /// Whether every token is matched in the raw text without options (`EncoderCore.encode`'s fast path).
  let plain: Bool

  /// `normalizeNFC`: whether the tokenizer normalizes, and so the contents of normalized tokens with it.
  init(_ added: [AddedToken], normalizeNFC: Bool) {
    var flat = [UInt8]()
    var entries = [AddedEntry]()
    var normalizedEntries = [AddedEntry]()
    let normalizer = HFNormalizer(data: UnicodeData.shared)
    for token in added {
      var content = Array(token.content.utf8)
      if token.normalized && normalizeNFC { content = normalizer.normalized(content) }
      let entry = AddedEntry(
        offset: flat.count, length: content.count, id: token.id, options: UInt8(token.options))
      if token.normalized { normalizedEntries.append(entry) } else { entries.append(entry) }
      flat.append(contentsOf: content)
    }
    // Longest first: the first entry that matches at a position is the longest.
    entries.sort { $0.length > $1.length }
    normalizedEntries.sort { $0.length > $1.length }
    bytes = .allocate(capacity: max(1, flat.count))
    bytes.initialize(from: flat, count: flat.count)
    self.entries = entries
    self.normalizedEntries = normalizedEntries
    var first = [UInt8](repeating: 0, count: 256)
    for entry in entries { first[Int(flat[entry.offset])] = 1 }
    self.first = first
    singleFirst = first.firstIndex(of: 1).map { first.lastIndex(of: 1) == $0 ? $0 : -1 } ?? -1
    var normalizedFirst = [UInt8](repeating: 0, count: 256)
    for entry in normalizedEntries { normalizedFirst[Int(flat[entry.offset])] = 1 }
    self.normalizedFirst = normalizedFirst
    plain = added.allSatisfy { $0.options == 0 }
  }
}

extension TokenizerParts {
  /// Builds every table from what a tokenizer file says.
  init(spec: TokenizerSpec) throws(TokenizerError) {
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
    // Added tokens that are not vocabulary entries. One that is (its text is the entry's, and so is its id, as
    // HF numbers it) is matched in raw text like any added token, and stays in the vocabulary for BPE too.
    var addedContentBytes = [Int: [UInt8]]()
    for token in spec.added {
      let id = Int(token.id)
      if starts[id] >= 0 {
        let (isByteLevel, key) = TokenizerFileReader.vocabularyKey(of: token.content)
        if byteLevel[id] == isByteLevel && spec.vocabBytes[starts[id]..<(starts[id] + lengths[id])].elementsEqual(key) {
          continue
        }
      }
      // HF keeps a normalized token's content normalized, and decodes that.
      let content = Array(token.content.utf8)
      addedContentBytes[id] =
        token.normalized && spec.normalizeNFC ? HFNormalizer(data: UnicodeData.shared).normalized(content) : content
    }
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
    let mergeCount = spec.mergeBounds.count / 3
    let mergeBits = max(10, Int.bitWidth - (mergeCount + mergeCount / 2).leadingZeroBitCount)
    guard size < EncoderCore.idLimit, mergeCount < EncoderCore.idLimit else {
      throw .unsupported(
        file: file, component: "vocabulary size", found: "\(size) ids, \(mergeCount) merges",
        reason: "prep's tables hold up to \(EncoderCore.idLimit) of each")
    }
    var added = spec.added.sorted { $0.id < $1.id }
    var seen = Set<UInt32>()
    added = added.filter { seen.insert($0.id).inserted }

    self.init(
      mergeCapacity: 1 << mergeBits, mergeCount: mergeCount, vocabCapacity: 1 << vocabBits, pieceBytes: bytes,
      pieceOffsets: offsets, pieceIsByteLevel: byteLevel, pieceExists: exists, added: added,
      regularTokenCount: spec.vocabIDs.count, vocabularySize: size, normalizeNFC: spec.normalizeNFC,
      ignoreMerges: spec.ignoreMerges)
    vocabSlots.initialize(repeating: 0, count: vocabCapacity)
    charStart.initialize(repeating: 0, count: TokenizerParts.scalarTableCount)
    rightLeads.initialize(repeating: UInt32.max, count: TokenizerParts.scalarTableCount)
    pairFilter.initialize(repeating: 0, count: TokenizerParts.pairFilterCount)
    byteTokens.initialize(repeating: UInt32.max, count: 256)
    mergeSlots.initialize(repeating: UInt64.max, count: mergeCapacity)
    mergedByRank.initialize(repeating: 0, count: max(1, mergeCount))
    densePairs.initialize(repeating: EncoderCore.noMerge, count: TokenizerParts.densePairCount)
    mergeFilter.initialize(repeating: 0, count: TokenizerParts.mergeFilterCount)
    do throws(TokenizerError) {
      try build(spec: spec, addedContentBytes: addedContentBytes)
    } catch {
      deallocate()
      throw error
    }
  }

  /// Fills the allocated tables (the vocabulary, byte tokens, merges, character tables) and the fingerprint.
  private mutating func build(spec: TokenizerSpec, addedContentBytes: [Int: [UInt8]]) throws(TokenizerError) {
    let file = spec.file
    let size = vocabularySize
    let bytes = pieceBytes
    let offsets = pieceOffsets
    // The added tokens are not needed to build the tables.
    let noAdded = AddedMatching([], normalizeNFC: false)
    defer { noAdded.bytes.deallocate() }
    var builder = core(added: noAdded)

    // Fill the vocabulary table (byte-level pieces only: others never occur in byte-level input).
    for index in 0..<spec.vocabIDs.count where spec.vocabIsByteLevel[index] {
      let id = spec.vocabIDs[index]
      guard addedContentBytes[Int(id)] == nil else { continue }
      builder.insertVocab(id: id)
    }
    for byte in 0..<256 {
      guard let id = builder.vocabID([UInt8(byte)]) else {
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
      hash.add(pieceExists[id] ? 1 : 0)
      hash.add(bytes: bytes[Int(offsets[id])..<Int(offsets[id + 1])])
    }
    let mergeCount = self.mergeCount
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
        guard let leftID = builder.vocabID(base + a, b - a), let rightID = builder.vocabID(base + b, c - b) else {
          throw .inconsistent(file: file, message: "merge \(rank) uses a token that is not in the vocabulary")
        }
        guard let mergedID = builder.vocabID(base + a, c - a) else {
          throw .inconsistent(file: file, message: "merge \(rank) makes a token that is not in the vocabulary")
        }
        builder.insertMerge(left: leftID, right: rightID, rank: UInt32(rank), merged: mergedID)
        resolved.append((leftID, rightID, mergedID))
        hash.add(UInt64(leftID) << 32 | UInt64(rightID))
      }
    }
    for token in added {
      // Options only when set, so that the fingerprint of a file without them stays what it was.
      hash.add(UInt64(token.id) | (token.special ? 1 << 40 : 0) | token.options << 41)
      hash.add(bytes: Array(token.content.utf8)[...])
    }
    builder.fillDensePairs()
    // Qwen's vocabulary numbers merged tokens by rank; then the merged id is computed, not read.
    if mergeCount > 0 {
      let offset = resolved[0].2
      if resolved.indices.allSatisfy({
        resolved[$0].2 == UInt32($0) &+ offset && builder.merge(resolved[$0].0, resolved[$0].1) >> 32 == UInt64($0)
      }) {
        mergedIsOffset = true
        mergedOffset = offset
        builder.mergedIsOffset = true
        builder.mergedOffset = offset
      }
    }
    CharacterStarts.build(
      core: builder, merges: resolved, pieceBytes: bytes, pieceOffsets: offsets, size: size, into: charStart,
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
  }
}
