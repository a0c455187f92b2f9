import PrepCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Byte-level BPE exactly as HF `tokenizers` runs a Qwen2/2.5/3 `tokenizer.json`: added tokens matched in
/// the raw text (leftmost-longest), NFC with HF's tables, the Qwen split regex, GPT-2 byte-level, merges
/// by rank.
///
/// One loaded `Tokenizer` is immutable and may be shared by any number of threads; each `encode` call
/// borrows a private scratch space (pre-token cache, buffers) from a small pool.
public final class Tokenizer: TokenEncoder, @unchecked Sendable {
  // Immutable after init; freed in deinit.
  let core: EncoderCore
  /// The tables (owned: freed in deinit) and what describes them.
  let parts: TokenizerParts
  private let addedBytes: UnsafeMutablePointer<UInt8>
  /// Keyed by the contents' bytes: a `String` key would take `\u{212B}` (Angstrom sign) for `\u{C5}` (Å),
  /// canonically equivalent but other tokens.
  private let addedByContent: [[UInt8]: UInt32]
  /// Whether every added token is matched in the raw text without options (`AddedMatching.plain`).
  private let addedPlain: Bool
  private let scratchPool = Mutex<[EncodeScratch]>([])
  /// The second levels of the pre-token cache, shared by every scratch.
  private let sharedCache = SharedPieceCache()

  /// The added tokens, by id.
  public var addedTokens: [AddedToken] { parts.added }
  /// The number of entries of the model's vocabulary (added tokens not counted unless they are in it).
  public var regularTokenCount: Int { parts.regularTokenCount }
  /// The number of ids, added tokens included (ids are below this).
  public var vocabularySize: Int { parts.vocabularySize }
  /// A hash of everything that decides the ids (vocabulary, merges, added tokens, normalization), as
  /// 16 hex digits: two directories with the same fingerprint tokenize identically.
  public var fingerprint: String { parts.fingerprint }

  /// A tokenizer over built tables (see `TokenizerParts`), which it owns from now on.
  init(parts: TokenizerParts) {
    self.parts = parts
    var byContent = [[UInt8]: UInt32]()
    for token in parts.added { byContent[Array(token.content.utf8)] = token.id }
    addedByContent = byContent
    let matching = AddedMatching(parts.added, normalizeNFC: parts.normalizeNFC)
    addedPlain = matching.plain
    addedBytes = matching.bytes
    core = parts.core(added: matching)
  }

  /// Builds the tables from what a tokenizer file says.
  private convenience init(spec: TokenizerSpec) throws(TokenizerError) {
    self.init(parts: try TokenizerParts(spec: spec))
  }

  deinit {
    parts.deallocate()
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

  /// Lends a scratch, the one this thread used last if it is free: a scratch's first cache levels are
  /// sized to stay in one core's L2, so one that moves between threads (a pool taken last in, first out
  /// hands them out alternately) keeps missing there.
  func withScratch<R>(_ body: (EncodeScratch) -> R) -> R {
    let thread = pthread_self()
    let scratch =
      scratchPool.withLock { pool in
        if let mine = pool.lastIndex(where: { $0.lastThread == thread }) { return pool.remove(at: mine) }
        return pool.popLast()
      } ?? EncodeScratch(shared: sharedCache)
    scratch.lastThread = thread
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

  /// Appends the ids of bytes the caller has validated as UTF-8 (they are checked again: the scanner
  /// reads whole sequences unchecked); bytes that are not UTF-8 after all are decoded with U+FFFD.
  public func encode(validUTF8 text: UnsafeBufferPointer<UInt8>, into ids: inout [UInt32]) {
    if UTF8Repair.firstInvalidOffset(text) == nil {
      encodeValid(text, into: &ids)
    } else {
      encode(String(decoding: text, as: UTF8.self), into: &ids)
    }
  }

  /// Appends the ids of bytes checked as UTF-8 already (see `ValidUTF8`), without checking them again.
  public func encode(_ text: ValidUTF8, into ids: inout [UInt32]) { encodeValid(text.bytes, into: &ids) }

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
  public func addedTokenID(_ content: String) -> UInt32? { addedByContent[Array(content.utf8)] }

  /// The contents of every added token, sorted; nil when some token has options (see `AddedToken`): then
  /// what a token matches depends on the text around it, which `ConstantPrefix` does not model.
  public var addedTokenContents: [String]? {
    addedPlain ? addedByContent.keys.map { String(decoding: $0, as: UTF8.self) }.sorted() : nil
  }

  /// The id of a vocabulary piece written as in the file (`"Ġthe"`), or of an added token; nil if none.
  public func id(forToken token: String) -> UInt32? {
    if let id = addedByContent[Array(token.utf8)] { return id }
    var raw = [UInt8]()
    let piece = Array(token.utf8)
    guard piece.withUnsafeBufferPointer({ ByteLevel.decode($0, into: &raw) }) else { return nil }
    return core.vocabID(raw)
  }

  // MARK: decoding

  /// The raw bytes an id stands for (an added token's content), or nil for an unknown id.
  public func pieceBytes(for id: UInt32) -> [UInt8]? {
    let index = Int(id)
    guard index < vocabularySize, parts.pieceExists[index] else { return nil }
    return Array(parts.pieceBytes[Int(parts.pieceOffsets[index])..<Int(parts.pieceOffsets[index + 1])])
  }

  /// The piece as the tokenizer file writes it (`"Ġthe"`, `"<|im_end|>"`), for display; nil for an unknown id.
  public func token(for id: UInt32) -> String? {
    let index = Int(id)
    guard index < vocabularySize, parts.pieceExists[index] else { return nil }
    if let token = addedTokens.first(where: { $0.id == id }) { return token.content }
    let raw = parts.pieceBytes[Int(parts.pieceOffsets[index])..<Int(parts.pieceOffsets[index + 1])]
    if !parts.pieceIsByteLevel[index] { return String(decoding: raw, as: UTF8.self) }
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
      guard index < vocabularySize, parts.pieceExists[index] else { continue }
      out.append(contentsOf: parts.pieceBytes[Int(parts.pieceOffsets[index])..<Int(parts.pieceOffsets[index + 1])])
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
