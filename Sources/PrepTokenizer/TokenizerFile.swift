#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// An added token, matched before the pre-tokenizer as HF's AddedVocabulary does: leftmost-longest, in the raw
/// text, or with `normalized` in the normalized text between the raw-text matches.
public struct AddedToken: Sendable, Equatable {
  /// The exact text (`<|im_end|>`).
  public let content: String
  /// Its id.
  public let id: UInt32
  /// HF's `special` flag (`skip_special_tokens` would drop it when decoding; prep's decode keeps it).
  public let special: Bool
  /// HF's matching options: `singleWord`, a match is dropped when a word character (the `regex` crate's
  /// `\w`) touches it; `lstrip` and `rstrip`, the token takes the whitespace before or after it; `normalized`,
  /// the token is matched after normalization. Qwen's own files set none of them.
  public let singleWord: Bool
  public let lstrip: Bool
  public let rstrip: Bool
  public let normalized: Bool

  public init(
    content: String, id: UInt32, special: Bool, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
    normalized: Bool = false
  ) {
    self.content = content
    self.id = id
    self.special = special
    self.singleWord = singleWord
    self.lstrip = lstrip
    self.rstrip = rstrip
    self.normalized = normalized
  }

  /// The matching options as bits (0 for a token matched plainly in the raw text).
  var options: UInt64 {
    (singleWord ? 1 : 0) | (lstrip ? 2 : 0) | (rstrip ? 4 : 0) | (normalized ? 8 : 0)
  }

  init(content: String, id: UInt32, special: Bool, options: UInt64) {
    self.init(
      content: content, id: id, special: special, singleWord: options & 1 != 0, lstrip: options & 2 != 0,
      rstrip: options & 4 != 0, normalized: options & 8 != 0)
  }
}

/// What a tokenizer file says, resolved to ids and raw bytes, before the tables are built.
struct TokenizerSpec {
  /// Vocabulary entries: id and the raw bytes the piece stands for.
  var vocabIDs: [UInt32] = []
  var vocabOffsets: [UInt32] = [0]
  var vocabBytes: [UInt8] = []
  /// Whether each entry is in the byte-level alphabet (else its bytes are the piece's own UTF-8).
  var vocabIsByteLevel: [Bool] = []
  /// Merges in rank order, as raw-byte pieces: offsets into `mergeBytes` (left start, split, end).
  var mergeBytes: [UInt8] = []
  var mergeBounds: [UInt32] = []
  var added: [AddedToken] = []
  var normalizeNFC = true
  var ignoreMerges = false
  var file = ""
}

/// The Qwen2/2.5/3 pre-tokenizer pattern, the only one prep implements.
let qwenPattern =
  #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

enum TokenizerFileReader {
  static func load(directory: String) throws(TokenizerError) -> TokenizerSpec {
    switch try TokenizerLayout(directory: directory) {
    case .tokenizerJSON:
      return try loadTokenizerJSON(directory + "/tokenizer.json")
    case .vocabMerges:
      return try loadVocabMerges(
        vocab: directory + "/vocab.json", merges: directory + "/merges.txt",
        config: directory + "/tokenizer_config.json")
    }
  }

  // MARK: tokenizer.json

  static func loadTokenizerJSON(_ path: String) throws(TokenizerError) -> TokenizerSpec {
    var scanner = JSONScanner(bytes: try TokenizerSource.readBytes(path), file: path)
    var spec = TokenizerSpec()
    spec.file = path
    var config = [String: ConfigNode]()
    var modelConfig = [(String, ConfigNode)]()
    var sawVocab = false
    var sawMerges = false
    try scanner.beginObject()
    var first = true
    while let key = try scanner.nextKey(first: &first) {
      if key == "model" {
        try scanner.beginObject()
        var firstMember = true
        while let member = try scanner.nextKey(first: &firstMember) {
          switch member {
          case "vocab":
            try readVocab(&scanner, into: &spec)
            sawVocab = true
          case "merges":
            try readMerges(&scanner, into: &spec)
            sawMerges = true
          default:
            modelConfig.append((member, try scanner.parseValue()))
          }
        }
      } else {
        config[key] = try scanner.parseValue()
      }
    }
    try scanner.expectEnd()
    guard sawVocab else { throw .inconsistent(file: path, message: "model has no vocab") }
    // HF refuses a BPE model without merges ("Missing vocab/merges") rather than encode byte by byte.
    guard sawMerges else { throw .inconsistent(file: path, message: "model has no merges") }
    try checkModel(.object(modelConfig), file: path, spec: &spec)
    try checkNormalizer(config["normalizer"] ?? .null, file: path, spec: &spec)
    try checkPreTokenizer(config["pre_tokenizer"] ?? .null, file: path)
    try checkDecoder(config["decoder"] ?? .null, file: path)
    if case .array(let tokens) = config["added_tokens"] ?? .array([]) {
      for token in tokens {
        // HF refuses an entry of added_tokens without all five flags ("missing field `normalized`").
        for key in ["single_word", "lstrip", "rstrip", "normalized", "special"] {
          let name = token["content"]?.description ?? ""
          guard let value = token[key] else {
            throw .inconsistent(file: path, message: "added token \(name) has no '\(key)'")
          }
          // HF refuses anything but a JSON boolean there ("invalid type: string, expected a boolean").
          guard case .bool = value else {
            throw .inconsistent(
              file: path,
              message: "added token \(name): '\(key)' is \(value), not true or false")
          }
        }
        spec.added.append(try addedToken(token, id: nil, file: path))
      }
    } else {
      throw .inconsistent(file: path, message: "added_tokens is not an array")
    }
    for key in ["truncation", "padding"] where config[key].map({ $0 != .null }) ?? false {
      throw .unsupported(
        file: path, component: key, found: config[key]?.description ?? "",
        reason: "HF would \(key == "truncation" ? "cut" : "pad") every text it encodes; prep encodes texts whole "
          + "(the pipeline's max_length, cutoff_len and packing shape samples): set it to null")
    }
    try checkAddedIDs(spec, file: path)
    return spec
  }

  /// HF `tokenizers` does not take the ids of `added_tokens` from the file: loading it, it adds them in order,
  /// a token whose text is a vocabulary entry taking that entry's id, any other the next free one (the
  /// vocabulary's entry count for the first, then one past the highest added id). Files HF saved agree with
  /// that; one that does not is refused, since prep would otherwise give other ids than HF for its tokens.
  static func checkAddedIDs(_ spec: TokenizerSpec, file: String) throws(TokenizerError) {
    let entries = UInt32(spec.vocabIDs.count)
    // By bytes, as HF's map is keyed: canonically equivalent contents are other tokens.
    var given: [[UInt8]: UInt32] = [:]
    var highest: UInt32? = nil
    // Many added tokens: look them up in a table of the vocabulary rather than scanning it for each one.
    var entriesByKey: [[UInt8]: UInt32]? = nil
    if spec.added.count > 64 {
      var table = [[UInt8]: UInt32](minimumCapacity: spec.vocabIDs.count)
      for k in 0..<spec.vocabIDs.count {
        let bytes = Array(spec.vocabBytes[Int(spec.vocabOffsets[k])..<Int(spec.vocabOffsets[k + 1])])
        table[[spec.vocabIsByteLevel[k] ? 1 : 0] + bytes] = spec.vocabIDs[k]
      }
      entriesByKey = table
    }
    func entry(_ text: String) -> UInt32? {
      guard let entriesByKey else { return vocabularyID(of: text, in: spec) }
      let (byteLevel, key) = vocabularyKey(of: text)
      return entriesByKey[[byteLevel ? 1 : 0] + key]
    }
    for token in spec.added {
      let id: UInt32
      if let earlier = given[Array(token.content.utf8)] {
        id = earlier
      } else if let entry = entry(token.content) {
        id = entry
      } else if let highest, highest >= entries || entries == 0 {
        id = highest &+ 1
      } else {
        id = entries
      }
      given[Array(token.content.utf8)] = id
      highest = max(highest ?? id, id)
      guard id == token.id else {
        throw .unsupported(
          file: file, component: "added token id", found: "\(token.content) with id \(token.id)",
          reason: "HF tokenizers gives it id \(id) when it loads this file (it numbers added tokens itself: an entry "
            + "of the vocabulary keeps its id, any other follows the \(entries) entries of the vocabulary, in the "
            + "order of added_tokens); save the tokenizer again with HF, or number the added tokens that way")
      }
    }
  }

  /// The id of the vocabulary entry whose text is `text` (an entry's text is byte-level when it decodes as such).
  static func vocabularyID(of text: String, in spec: TokenizerSpec) -> UInt32? {
    let (byteLevel, key) = vocabularyKey(of: text)
    for k in 0..<spec.vocabIDs.count where spec.vocabIsByteLevel[k] == byteLevel {
      let start = Int(spec.vocabOffsets[k])
      let end = Int(spec.vocabOffsets[k + 1])
      if end - start == key.count && spec.vocabBytes[start..<end].elementsEqual(key) { return spec.vocabIDs[k] }
    }
    return nil
  }

  /// How a vocabulary entry with the text `text` is stored: whether it is byte-level, and its bytes (`readVocab`).
  static func vocabularyKey(of text: String) -> (byteLevel: Bool, bytes: [UInt8]) {
    let utf8 = Array(text.utf8)
    var raw: [UInt8] = []
    let byteLevel = utf8.withUnsafeBufferPointer { ByteLevel.decode($0, into: &raw) }
    return (byteLevel, byteLevel ? raw : utf8)
  }

  private static func readVocab(_ scanner: inout JSONScanner, into spec: inout TokenizerSpec) throws(TokenizerError) {
    var text = [UInt8]()
    var raw = [UInt8]()
    try scanner.beginObject()
    var first = true
    while true {
      if try scanner.peek() == 0x7D {
        scanner.position += 1
        break
      }
      if !first { try scanner.expect(0x2C) }
      first = false
      try scanner.parseStringBytes(into: &text)
      try scanner.expect(0x3A)
      let id = try scanner.parseInteger()
      let byteLevel = text.withUnsafeBufferPointer { ByteLevel.decode($0, into: &raw) }
      spec.vocabIDs.append(UInt32(id))
      spec.vocabBytes.append(contentsOf: byteLevel ? raw : text)
      spec.vocabOffsets.append(UInt32(spec.vocabBytes.count))
      spec.vocabIsByteLevel.append(byteLevel)
    }
  }

  /// Merges as `["a", "b"]` pairs or `"a b"` strings, kept as raw bytes (nil side: outside the alphabet).
  private static func readMerges(_ scanner: inout JSONScanner, into spec: inout TokenizerSpec)
    throws(TokenizerError)
  {
    var left = [UInt8]()
    var right = [UInt8]()
    var text = [UInt8]()
    var scratch = MergeScratch()
    try scanner.beginArray()
    var first = true
    // HF reads the list as one of its two forms, never a mix ("did not match any variant of MergeType").
    var pairs: Bool? = nil
    while try scanner.nextElement(first: &first) {
      let pair = try scanner.peek() == 0x5B
      if pairs == nil { pairs = pair }
      guard pair == pairs else { throw scanner.error("merges mix [\"a\", \"b\"] pairs and \"a b\" strings") }
      if pair {
        try scanner.beginArray()
        var firstSide = true
        guard try scanner.nextElement(first: &firstSide) else { throw scanner.error("empty merge") }
        try scanner.parseStringBytes(into: &left)
        guard try scanner.nextElement(first: &firstSide) else { throw scanner.error("merge with one side") }
        try scanner.parseStringBytes(into: &right)
        guard try !scanner.nextElement(first: &firstSide) else { throw scanner.error("merge with three sides") }
        left.withUnsafeBufferPointer { l in
          right.withUnsafeBufferPointer { r in appendMerge(l, r, to: &spec, scratch: &scratch) }
        }
      } else {
        try scanner.parseStringBytes(into: &text)
        guard let space = text.firstIndex(of: 0x20) else { throw scanner.error("merge without a space") }
        text.withUnsafeBufferPointer { t in
          appendMerge(
            UnsafeBufferPointer(rebasing: t[..<space]), UnsafeBufferPointer(rebasing: t[(space + 1)...]),
            to: &spec, scratch: &scratch)
        }
      }
    }
  }

  /// Buffers reused by `appendMerge` (one pair of allocations for all merges, not two per merge).
  struct MergeScratch {
    var left = [UInt8]()
    var right = [UInt8]()
  }

  private static func appendMerge(
    _ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>, to spec: inout TokenizerSpec,
    scratch: inout MergeScratch
  ) {
    let okLeft = ByteLevel.decode(left, into: &scratch.left)
    let okRight = ByteLevel.decode(right, into: &scratch.right)
    // A side outside the byte-level alphabet can never occur in byte-level input: the merge never fires.
    guard okLeft && okRight else { return }
    spec.mergeBounds.append(UInt32(spec.mergeBytes.count))
    spec.mergeBytes.append(contentsOf: scratch.left)
    spec.mergeBounds.append(UInt32(spec.mergeBytes.count))
    spec.mergeBytes.append(contentsOf: scratch.right)
    spec.mergeBounds.append(UInt32(spec.mergeBytes.count))
  }

  // MARK: vocab.json + merges.txt + tokenizer_config.json

  static func loadVocabMerges(vocab: String, merges: String, config: String) throws(TokenizerError) -> TokenizerSpec {
    var spec = TokenizerSpec()
    spec.file = vocab
    var scanner = JSONScanner(bytes: try TokenizerSource.readBytes(vocab), file: vocab)
    try readVocab(&scanner, into: &spec)
    try scanner.expectEnd()

    let lines = try TokenizerSource.readBytes(merges)
    var scratch = MergeScratch()
    var lineStart = 0
    var lineNumber = 0
    while lineStart < lines.count {
      var lineEnd = lineStart
      while lineEnd < lines.count && lines[lineEnd] != 0x0A { lineEnd += 1 }
      var end = lineEnd
      if end > lineStart && lines[end - 1] == 0x0D { end -= 1 }
      let line = Array(lines[lineStart..<end])
      lineNumber += 1
      let isHeader = lineNumber == 1 && line.starts(with: Array("#version".utf8))
      if !isHeader && !line.isEmpty {
        guard let space = line.firstIndex(of: 0x20) else {
          throw .malformedFile(file: merges, offset: lineStart, message: "line \(lineNumber) has no space")
        }
        line.withUnsafeBufferPointer { t in
          appendMerge(
            UnsafeBufferPointer(rebasing: t[..<space]), UnsafeBufferPointer(rebasing: t[(space + 1)...]), to: &spec,
            scratch: &scratch)
        }
      }
      lineStart = lineEnd + 1
    }

    guard FileManager.default.fileExists(atPath: config) else {
      throw .unsupported(
        file: config, component: "tokenizer class", found: "no tokenizer_config.json",
        reason: "without tokenizer.json prep needs tokenizer_class Qwen2Tokenizer to know the pre-tokenizer")
    }
    var configScanner = JSONScanner(bytes: try TokenizerSource.readBytes(config), file: config)
    let root = try configScanner.parseValue()
    let tokenizerClass = root["tokenizer_class"]?.string ?? "none"
    guard tokenizerClass == "Qwen2Tokenizer" || tokenizerClass == "Qwen2TokenizerFast" else {
      throw .unsupported(
        file: config, component: "tokenizer_class", found: tokenizerClass,
        reason: "only Qwen2Tokenizer (NFC, the Qwen split regex, byte-level BPE) is implemented")
    }
    if case .object(let members) = root["added_tokens_decoder"] ?? .object([]) {
      for (key, value) in members {
        guard let id = UInt32(key) else {
          throw .inconsistent(file: config, message: "added_tokens_decoder key \(key) is not an id")
        }
        spec.added.append(try addedToken(value, id: id, file: config))
      }
    }
    return spec
  }

  // MARK: checks

  private static func flag(_ node: ConfigNode, _ key: String) -> Bool? {
    switch node[key] {
    case .bool(let value)?: return value
    case nil, .null?: return nil
    default: return nil
    }
  }

  static func addedToken(_ node: ConfigNode, id given: UInt32?, file: String) throws(TokenizerError) -> AddedToken {
    guard let content = node["content"]?.string, !content.isEmpty else {
      throw .inconsistent(file: file, message: "added token without content: \(node)")
    }
    var id = given
    if id == nil, case .number(let text)? = node["id"] { id = UInt32(text) }
    guard let id else { throw .inconsistent(file: file, message: "added token without id: \(node)") }
    // A missing flag is HF's default (tokenizer.json must have them all: see `read`).
    let special = flag(node, "special") ?? false
    return AddedToken(
      content: content, id: id, special: special, singleWord: flag(node, "single_word") ?? false,
      lstrip: flag(node, "lstrip") ?? false, rstrip: flag(node, "rstrip") ?? false,
      normalized: flag(node, "normalized") ?? !special)
  }

  static func checkNormalizer(_ node: ConfigNode, file: String, spec: inout TokenizerSpec) throws(TokenizerError) {
    switch node {
    case .null: spec.normalizeNFC = false
    case _ where node["type"]?.string == "NFC" && node.objectCount == 1: spec.normalizeNFC = true
    default:
      throw .unsupported(
        file: file, component: "normalizer", found: node.description, reason: "only NFC (or none) is implemented")
    }
  }

  static func checkPreTokenizer(_ node: ConfigNode, file: String) throws(TokenizerError) {
    let reason =
      "only Sequence[Split(Qwen2 regex, Isolated, invert=false), ByteLevel(add_prefix_space=false, use_regex=false)]"
      + " is implemented"
    guard node["type"]?.string == "Sequence", case .array(let steps)? = node["pretokenizers"], steps.count == 2 else {
      throw .unsupported(file: file, component: "pre_tokenizer", found: node.description, reason: reason)
    }
    let split = steps[0]
    let byteLevel = steps[1]
    guard split["type"]?.string == "Split", let pattern = split["pattern"]?["Regex"]?.string else {
      throw .unsupported(file: file, component: "pre_tokenizer", found: node.description, reason: reason)
    }
    guard pattern == qwenPattern else {
      let variant = pattern.contains(#"\p{M}"#) ? " (the qwen3.5 variant with \\p{M})" : ""
      throw .unsupported(
        file: file, component: "pre_tokenizer Split pattern\(variant)", found: pattern,
        reason: "only the Qwen2/2.5/3 pattern is implemented")
    }
    guard split["behavior"]?.string == "Isolated", flag(split, "invert") != true else {
      throw .unsupported(file: file, component: "pre_tokenizer Split", found: split.description, reason: reason)
    }
    guard byteLevel["type"]?.string == "ByteLevel", flag(byteLevel, "add_prefix_space") != true,
      flag(byteLevel, "use_regex") == false
    else {
      throw .unsupported(file: file, component: "pre_tokenizer ByteLevel", found: byteLevel.description, reason: reason)
    }
  }

  static func checkDecoder(_ node: ConfigNode, file: String) throws(TokenizerError) {
    guard node["type"]?.string == "ByteLevel" else {
      throw .unsupported(
        file: file, component: "decoder", found: node.description, reason: "only ByteLevel is implemented")
    }
  }

  static func checkModel(_ node: ConfigNode, file: String, spec: inout TokenizerSpec) throws(TokenizerError) {
    func refuse(_ what: String, _ reason: String) -> TokenizerError {
      .unsupported(file: file, component: "model \(what)", found: (node[what] ?? .null).description, reason: reason)
    }
    guard node["type"]?.string == "BPE" || node["type"] == nil else { throw refuse("type", "only BPE is implemented") }
    if let dropout = node["dropout"], dropout != .null {
      if case .number(let text) = dropout, Double(text) == 0 {
      } else {
        throw refuse("dropout", "BPE dropout is random; only none is implemented")
      }
    }
    if let unk = node["unk_token"], unk != .null { throw refuse("unk_token", "only no unknown token is implemented") }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let value = node[key], value != .null, value != .string("") {
        throw refuse(key, "only an empty \(key) is implemented")
      }
    }
    if flag(node, "byte_fallback") == true { throw refuse("byte_fallback", "only byte_fallback=false is implemented") }
    spec.ignoreMerges = flag(node, "ignore_merges") ?? false
  }
}

extension ConfigNode {
  var objectCount: Int {
    if case .object(let members) = self { return members.count }
    return -1
  }
}
