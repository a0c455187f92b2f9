import PrepTestSupport
import Testing

@testable import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// A tiny byte-level tokenizer.json: the 256 byte tokens (ids = byte values), then "ab" = 256,
/// "abc" = 257, "Ġa" = 258; merges (a, b), (ab, c), (Ġ, a).
struct TinyFile {
  var normalizer = #"{"type":"NFC"}"#
  var pattern = qwenPattern
  var split = #""behavior":"Isolated","invert":false"#
  var byteLevel = #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}"#
  var preTokenizer: String? = nil
  var model =
    #""type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":"","#
    + #""end_of_word_suffix":"","fuse_unk":false,"byte_fallback":false,"ignore_merges":false"#
  var decoder = #"{"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}"#
  var merges: String? = #"[["a","b"],["ab","c"],["Ġ","a"]]"#
  var addedFlags = #""single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true"#
  /// The added tokens: (content, id).
  var added: [(String, Int)] = [("<|end|>", 259)]
  var truncation = "null"
  var padding = "null"
  var skipByte: Int? = nil

  static func quote(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      if scalar == "\"" || scalar == "\\" { out += "\\" }
      out.unicodeScalars.append(scalar)
    }
    return out + "\""
  }

  var json: String {
    var vocab = [String]()
    for byte in 0..<256 where byte != skipByte {
      let piece = String(Character(Unicode.Scalar(ByteLevel.scalarForByte[byte])!))
      vocab.append("\(TinyFile.quote(piece)):\(byte)")
    }
    vocab += [#""ab":256"#, #""abc":257"#, #""Ġa":258"#]
    let escapedPattern = pattern.replacing("\\", with: "\\\\")
    let pre =
      preTokenizer
      ?? #"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":""#
      + escapedPattern + #""},"# + split + "}," + byteLevel + "]}"
    let addedTokens = added.map { #"{"id":\#($0.1),"content":\#(TinyFile.quote($0.0)),\#(addedFlags)}"# }
    return """
      {"version":"1.0","truncation":\(truncation),"padding":\(padding),
       "added_tokens":[\(addedTokens.joined(separator: ","))],
       "normalizer":\(normalizer),"pre_tokenizer":\(pre),"post_processor":null,"decoder":\(decoder),
       "model":{\(model),"vocab":{\(vocab.joined(separator: ","))}\(merges.map { #","merges":"# + $0 } ?? "")}}
      """
  }

  func load() throws(TokenizerError) -> Tokenizer {
    let directory = TestPaths.temporaryDirectory("prep-tiny")
    let path = directory + "/tokenizer.json"
    _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
    return try Tokenizer.load(directory: directory)
  }
}

func refusal(_ file: TinyFile) -> String? {
  do {
    _ = try file.load()
    return nil
  } catch {
    return error.description
  }
}

struct LoadingTests {
  @Test func tinyTokenizerEncodes() throws {
    let tokenizer = try TinyFile().load()
    #expect(tokenizer.vocabularySize == 260)
    #expect(tokenizer.regularTokenCount == 259)
    // "abc" -> ab -> abc; " abd" -> Ġ a b d -> Ġa b d (rank 2) loses to (a, b) rank 0 -> Ġ ab d.
    #expect(tokenizer.encode("abc abd") == [257, 32, 256, 100])
    #expect(tokenizer.encode(" a<|end|>abc") == [258, 259, 257])
    #expect(tokenizer.decode([257, 32, 256, 100, 259]) == "abc abd<|end|>")
  }

  @Test func mergesAsStringsEqualPairs() throws {
    var file = TinyFile()
    file.merges = #"["a b","ab c","Ġ a"]"#
    let tokenizer = try file.load()
    #expect(tokenizer.encode("abc abd") == [257, 32, 256, 100])
    #expect(tokenizer.fingerprint == (try TinyFile().load()).fingerprint)
  }

  @Test func ignoreMergesTakesWholeWords() throws {
    var file = TinyFile()
    file.merges = #"[["a","b"]]"#
    #expect(try file.load().encode("abc") == [256, 99])
    file.model = file.model.replacing(#""ignore_merges":false"#, with: #""ignore_merges":true"#)
    #expect(try file.load().encode("abc") == [257])
  }

  @Test func noNormalizerSkipsNFC() throws {
    var file = TinyFile()
    file.normalizer = "null"
    // e + U+0301 stays two scalars: bytes 65, CC 81.
    #expect(try file.load().encode("e\u{301}") == [101, 204, 129])
    #expect(try TinyFile().load().encode("e\u{301}") == [195, 169])
  }

  @Test func refusesWhatItDoesNotImplement() {
    func expectRefusal(_ change: (inout TinyFile) -> Void, mentions: String) {
      var file = TinyFile()
      change(&file)
      let message = refusal(file)
      #expect(message?.contains(mentions) == true, "\(message ?? "loaded")")
      #expect(message?.contains("unsupported") == true, "\(message ?? "loaded")")
    }
    expectRefusal({ $0.normalizer = #"{"type":"NFKC"}"# }, mentions: "NFKC")
    expectRefusal({ $0.normalizer = #"{"type":"Sequence","normalizers":[{"type":"NFC"}]}"# }, mentions: "normalizer")
    expectRefusal(
      {
        $0.pattern = qwenPattern.replacing(#"\p{L}\p{N}]?\p{L}+"#, with: #"\p{L}\p{N}]?[\p{L}\p{M}]+"#)
      }, mentions: "qwen3.5")
    expectRefusal({ $0.pattern = #"\s+"# }, mentions: "Split pattern")
    expectRefusal({ $0.split = #""behavior":"Removed","invert":false"# }, mentions: "Removed")
    expectRefusal(
      { $0.byteLevel = #"{"type":"ByteLevel","add_prefix_space":true,"use_regex":false}"# }, mentions: "ByteLevel")
    expectRefusal({ $0.preTokenizer = #"{"type":"ByteLevel","add_prefix_space":false}"# }, mentions: "pre_tokenizer")
    expectRefusal(
      { $0.model = $0.model.replacing(#""dropout":null"#, with: #""dropout":0.1"#) },
      mentions: "dropout")
    expectRefusal(
      { $0.model = $0.model.replacing(#""unk_token":null"#, with: #""unk_token":"<unk>""#) },
      mentions: "unk_token")
    expectRefusal(
      { $0.model = $0.model.replacing(#""byte_fallback":false"#, with: #""byte_fallback":true"#) },
      mentions: "byte_fallback")
    expectRefusal(
      {
        $0.model = $0.model.replacing(
          #""continuing_subword_prefix":"""#, with: #""continuing_subword_prefix":"@@""#)
      }, mentions: "continuing_subword_prefix")
    expectRefusal({ $0.model = $0.model.replacing(#""BPE""#, with: #""WordPiece""#) }, mentions: "type")
    expectRefusal({ $0.decoder = "null" }, mentions: "decoder")
    expectRefusal({ $0.decoder = #"{"type":"Metaspace"}"# }, mentions: "Metaspace")
  }

  /// HF numbers added tokens itself when it loads a file (a vocabulary entry keeps its id, any other token
  /// follows the vocabulary's entries in order) and ignores the ids written there; prep refuses a file whose ids
  /// differ from that numbering instead of giving other ids than HF.
  @Test func addedTokenIdsMustBeTheOnesHFGives() throws {
    var high = TinyFile()
    high.added = [("<|end|>", 300)]
    #expect(refusal(high)?.contains("<|end|> with id 300") == true, "\(refusal(high) ?? "loaded")")
    #expect(refusal(high)?.contains("HF tokenizers gives it id 259") == true)
    var entry = TinyFile()
    entry.added = [("<|end|>", 259), ("ab", 256), ("<|next|>", 260)]
    #expect(try entry.load().encode("x<|next|>ab") == [120, 260, 256])
    var skipped = TinyFile()
    skipped.added = [("ab", 256), ("<|end|>", 260)]
    #expect(refusal(skipped)?.contains("HF tokenizers gives it id 259") == true)
  }

  /// What HF itself refuses to load, or would apply to every text, prep refuses too.
  @Test func refusesTruncationPaddingAndFilesHFCannotLoad() {
    var truncation = TinyFile()
    truncation.truncation = #"{"direction":"Right","max_length":16,"strategy":"LongestFirst","stride":0}"#
    #expect(refusal(truncation)?.contains("unsupported truncation") == true)
    var padding = TinyFile()
    padding.padding = #"{"strategy":{"Fixed":64},"direction":"Right","pad_id":0,"pad_type_id":0,"pad_token":"a"}"#
    #expect(refusal(padding)?.contains("unsupported padding") == true)
    var noMerges = TinyFile()
    noMerges.merges = nil
    #expect(refusal(noMerges)?.contains("model has no merges") == true)
    var mixed = TinyFile()
    mixed.merges = #"[["a","b"],"ab c"]"#
    #expect(refusal(mixed)?.contains("merges mix") == true)
    var flags = TinyFile()
    flags.addedFlags = flags.addedFlags.replacing(#","normalized":false"#, with: "")
    #expect(refusal(flags)?.contains("has no 'normalized'") == true)
    // A flag that is not a JSON boolean: HF refuses the file (prep used to read it as false).
    for value in [#""true""#, "1", "null"] {
      var typed = TinyFile()
      typed.addedFlags = typed.addedFlags.replacing(#""lstrip":false"#, with: #""lstrip":"# + value)
      #expect(refusal(typed)?.contains("'lstrip' is") == true, "\(value): \(refusal(typed) ?? "loaded")")
    }
  }

  @Test func rejectsInconsistentFiles() {
    var unknownMerge = TinyFile()
    unknownMerge.merges = #"[["a","zz"]]"#
    #expect(refusal(unknownMerge)?.contains("merge 0 uses a token that is not in the vocabulary") == true)
    var missingResult = TinyFile()
    missingResult.merges = #"[["b","a"]]"#
    #expect(refusal(missingResult)?.contains("merge 0 makes a token") == true)
    var missingByte = TinyFile()
    missingByte.skipByte = 0x7A
    missingByte.merges = "[]"
    missingByte.added = [("<|end|>", 258)]  // the vocabulary has 258 entries: HF numbers the token 258
    #expect(refusal(missingByte)?.contains("byte 122") == true)
  }

  @Test func reportsMalformedJSONWithOffset() throws {
    let directory = TestPaths.temporaryDirectory("prep-bad")
    _ = FileManager.default.createFile(
      atPath: directory + "/tokenizer.json", contents: Data(#"{"model": {"vocab": {"a": }}"#.utf8))
    #expect(
      throws: TokenizerError.malformedFile(
        file: directory + "/tokenizer.json", offset: 26, message: "expected a non-negative integer")
    ) {
      try Tokenizer.load(directory: directory)
    }
    let empty = TestPaths.temporaryDirectory("prep-empty")
    #expect(throws: TokenizerError.missingFiles(directory: empty)) { try Tokenizer.load(directory: empty) }
  }

  @Test func repairsUTF8AsPython() throws {
    // Expected strings are Python's bytes.decode("utf-8", errors="replace").
    let cases: [([UInt8], String)] = [
      ([0xE4, 0xB8, 0x61], "\u{FFFD}a"),
      ([0xF0, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),
      ([0xED, 0xA0, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}"),
      ([0xF4, 0x90, 0x80, 0x80], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
      ([0xF0, 0x9F, 0x98], "\u{FFFD}"),
      ([0xC0, 0xAF, 0x41], "\u{FFFD}\u{FFFD}A"),
      ([0xE0, 0xA0], "\u{FFFD}"),
      ([0x80, 0xBF, 0xFF, 0xFE], "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
      ([0xF0, 0x9F, 0x98, 0x80], "😀"),
    ]
    for (bytes, expected) in cases {
      #expect(Array(UTF8Repair.string(from: bytes).unicodeScalars) == Array(expected.unicodeScalars), "\(bytes)")
    }
    var ids = [UInt32]()
    #expect(throws: TokenizerError.invalidUTF8(offset: 1)) { try qwen3.encode(utf8: [0x61, 0xE4, 0x61], into: &ids) }
    try qwen3.encode(utf8: Array("héllo 中文".utf8), into: &ids)
    #expect(ids == qwen3.encode("héllo 中文"))
  }

  @Test func cacheEvictionKeepsResults() {
    // More distinct pre-tokens than the cache holds, encoded in two orders.
    let words = (0..<40_000).map { " w\(String($0 &* 7919, radix: 26))x" }
    var forward = [[UInt32]]()
    for word in words { forward.append(qwen3.encode(word)) }
    let whole = qwen3.encode(words.joined())
    #expect(whole == Array(forward.joined()))
    for index in stride(from: words.count - 1, through: 0, by: -97) {
      #expect(qwen3.encode(words[index]) == forward[index])
    }
  }
}
