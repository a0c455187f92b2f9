import Dispatch
import PrepCore
import PrepTestSupport
import Synchronization
import Testing

@testable import PrepTokenizer

#if canImport(FoundationEssentials)
  import FoundationEssentials
#else
  import Foundation
#endif

/// The Qwen3 tokenizer, loaded once for all tests.
let qwen3: Tokenizer = {
  do {
    return try Tokenizer.load(directory: TestPaths.tokenizer)
  } catch {
    fatalError("cannot load \(TestPaths.tokenizer): \(error)")
  }
}()

func fixtureLines(_ name: String) throws -> [String] {
  let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("tokenizer/" + name)))
  return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
}

func parseLine(_ line: String) throws -> ConfigNode {
  var scanner = JSONScanner(bytes: Array(line.utf8), file: "golden")
  return try scanner.parseValue()
}

func ids(_ node: ConfigNode?) -> [UInt32] {
  guard case .array(let items)? = node else { return [] }
  return items.compactMap { if case .number(let text) = $0 { return UInt32(text) } else { return nil } }
}

func scalarsFromHex(_ field: Substring) -> String {
  var text = ""
  for word in field.split(separator: " ") {
    if let value = UInt32(word, radix: 16), let scalar = Unicode.Scalar(value) { text.unicodeScalars.append(scalar) }
  }
  return text
}

struct GoldenTests {
  @Test func vocabularyOfQwen3() throws {
    #expect(qwen3.regularTokenCount == 151_643)
    #expect(qwen3.addedTokens.count == 26)
    #expect(qwen3.vocabularySize == 151_669)
    #expect(qwen3.addedTokenID("<|endoftext|>") == 151_643)
    #expect(qwen3.addedTokenID("<|im_start|>") == 151_644)
    #expect(qwen3.addedTokenID("<|im_end|>") == 151_645)
    #expect(qwen3.addedTokenID("</think>") == 151_668)
    #expect(qwen3.addedTokenID("<|im_end") == nil)
    #expect(qwen3.addedTokens.filter(\.special).count == 14)
    #expect(qwen3.token(for: 151_645) == "<|im_end|>")
    #expect(qwen3.id(forToken: "Ġthe") != nil)
    #expect(qwen3.token(for: qwen3.id(forToken: "Ġthe")!) == "Ġthe")
    #expect(qwen3.pieceBytes(for: qwen3.id(forToken: "Ġthe")!) == Array(" the".utf8))
    #expect(qwen3.token(for: 200_000) == nil)
    #expect(qwen3.fingerprint.count == 16)
  }

  @Test func corpusMatchesHF() throws {
    var mismatches = [String]()
    var count = 0
    for line in try fixtureLines("corpus.jsonl") {
      let node = try parseLine(line)
      let text = try #require(node["text"]?.string)
      let expected = ids(node["ids"])
      let got = qwen3.encode(text)
      // The same bytes handed over as checked UTF-8 (the JSON reader's way) give the same ids.
      var viaChecked = [UInt32]()
      var copy = text
      copy.withUTF8 { qwen3.encode(ValidUTF8(checked: $0), into: &viaChecked) }
      if viaChecked != got { mismatches.append("checked bytes differ: \(text.debugDescription.prefix(200))") }
      count += 1
      if got != expected && mismatches.count < 5 {
        mismatches.append("\(text.debugDescription.prefix(200)): got \(got.prefix(40)) expected \(expected.prefix(40))")
      }
    }
    #expect(count > 1000)
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  @Test func decodeRoundTripsAsHF() throws {
    var mismatches = [String]()
    for line in try fixtureLines("corpus.jsonl") {
      let node = try parseLine(line)
      let decoded = try #require(node["decoded"]?.string)
      let got = qwen3.decode(ids(node["ids"]))
      if Array(got.utf8) != Array(decoded.utf8) && mismatches.count < 5 {
        mismatches.append("\(decoded.debugDescription.prefix(100)) got \(got.debugDescription.prefix(100))")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  @Test func everyCodePointMatchesHF() throws {
    var mismatches = [String]()
    var scalars = 0
    for line in try fixtureLines("codepoints.txt") {
      let fields = line.split(separator: " ")
      var text = ""
      for hex in fields[0].split(separator: ",") {
        let scalar = try #require(UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init))
        text.unicodeScalars.append(scalar)
        text += "x!"
        scalars += 1
      }
      let expected = fields.dropFirst().compactMap { UInt32($0) }
      if qwen3.encode(text) != expected && mismatches.count < 10 { mismatches.append(String(fields[0])) }
    }
    #expect(scalars > 80_000)
    #expect(mismatches.isEmpty, "batches starting \(mismatches)")
  }

  @Test func nfcMatchesHF() throws {
    let normalizer = HFNormalizer(data: UnicodeData.shared)
    var mismatches = [String]()
    var count = 0
    for line in try fixtureLines("nfc.txt") {
      let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
      let input = Array(scalarsFromHex(parts[0]).utf8)
      let expected = Array(scalarsFromHex(parts[1]).utf8)
      var out = [UInt8]()
      var buffer = [UInt32]()
      input.withUnsafeBufferPointer { p in
        if let start = normalizer.firstWork(p.baseAddress!, p.count) {
          normalizer.normalize(p.baseAddress!, p.count, firstWork: start, into: &out, scratch: &buffer)
        } else {
          out = input
        }
      }
      count += 1
      if out != expected && mismatches.count < 10 { mismatches.append(String(parts[0]) + " -> " + String(parts[1])) }
    }
    #expect(count > 5000)
    #expect(mismatches.isEmpty, "\(mismatches)")
  }

  @Test func decodeMatchesHF() throws {
    var mismatches = [String]()
    for line in try fixtureLines("decode.jsonl") {
      let node = try parseLine(line)
      let expected = try #require(node["text"]?.string)
      let got = qwen3.decode(ids(node["ids"]))
      if Array(got.utf8) != Array(expected.utf8) && mismatches.count < 5 {
        mismatches.append("\(ids(node["ids"])): \(got.debugDescription) vs \(expected.debugDescription)")
      }
    }
    #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
  }

  @Test func concurrentEncodesAgree() throws {
    let texts = try fixtureLines("corpus.jsonl").map { try #require(parseLine($0)["text"]?.string) }
    let expected = texts.map { qwen3.encode($0) }
    let results = ResultBox(count: 4)
    DispatchQueue.concurrentPerform(iterations: 4) { worker in
      var ok = true
      for round in 0..<3 {
        for index in stride(from: (worker + round) % 4, to: texts.count, by: 1) {
          var out: [UInt32] = [7]
          qwen3.encode(texts[index], into: &out)
          if out != [7] + expected[index] { ok = false }
        }
      }
      results.set(worker, ok)
    }
    #expect(results.all)
  }

  @Test func vocabMergesDirectoryMatchesTokenizerJSON() throws {
    let directory = TestPaths.temporaryDirectory("prep-tok")
    for name in ["vocab.json", "merges.txt", "tokenizer_config.json"] {
      try FileManager.default.createSymbolicLink(
        atPath: directory + "/" + name, withDestinationPath: TestPaths.tokenizer + "/" + name)
    }
    let legacy = try Tokenizer.load(directory: directory)
    #expect(legacy.vocabularySize == qwen3.vocabularySize)
    #expect(legacy.addedTokens == qwen3.addedTokens)
    #expect(legacy.fingerprint == qwen3.fingerprint)
    let texts = try fixtureLines("corpus.jsonl").prefix(300).map { try #require(parseLine($0)["text"]?.string) }
    for text in texts { #expect(legacy.encode(text) == qwen3.encode(text)) }
  }
}

final class ResultBox: Sendable {
  private let values: Mutex<[Bool]>
  init(count: Int) { values = Mutex(Array(repeating: false, count: count)) }
  func set(_ index: Int, _ value: Bool) { values.withLock { $0[index] = value } }
  var all: Bool { values.withLock { $0.allSatisfy { $0 } } }
}
