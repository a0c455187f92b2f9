import ArgumentParser
import PrepCore
import PrepPipeline
import PrepShard
import PrepTokenizer

#if canImport(Glibc)
  import Glibc
#endif

/// `prep inspect`: samples decoded back to text with trained spans marked, the check LLaMA-Factory users do by
/// printing one example, done properly.
struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Decode samples back to text, marking what the model is trained on.",
    discussion: """
      Trained spans are green on a terminal and wrapped in ⟦ ⟧ otherwise. Special tokens are shown as written \
      (<|im_start|>), document boundaries inside packed blocks as ‖doc N‖, and trailing padding is summarized.
      """)

  @Argument(help: "A dataset directory written by prep run.")
  var directory: String

  @Option(name: .long, help: "Show N samples chosen at random (seeded by --seed).") var sample: Int?
  @Option(name: .long, help: "Show the sample at this index.") var index: Int?
  @Option(name: .long, help: "Show samples whose text contains TEXT (the first --sample of them, default 3).")
  var grep: String?
  @Option(name: .long, help: "Seed for --sample.") var seed: UInt64 = 0
  @Flag(name: .long, help: "Never use colour.") var plain = false
  @OptionGroup var tokenizerOptions: TokenizerOptions

  func run() throws {
    let dataset = try openDataset(directory)
    let fingerprint = try tokenizerOptions.fingerprint()
    let tokenizer = try tokenizerOptions.load(fingerprint: fingerprint)
    if fingerprint != dataset.index.tokenizerFingerprint {
      // Other tokenizer files may number tokens otherwise: the text shown would not be what the model sees.
      writeStderr(
        "warning: \(directory) was made with another tokenizer (\(dataset.index.tokenizerFingerprint), this one is "
          + "\(fingerprint)): the text below may be wrong; --tokenizer DIR names the one it was made with\n")
    }
    let total = dataset.count
    guard total > 0 else {
      print("\(directory) holds no samples")
      return
    }
    let colour = !plain && isatty(1) != 0
    let padID = dataset.index.stats.lookup("pad_id")?.intValue.map(UInt32.init)
    var chosen: [Int] = []
    if let index {
      guard index >= 0 && index < total else { throw ValidationError("--index must be in 0..<\(total)") }
      chosen = [index]
    } else if let grep {
      let want = sample ?? 3
      var i = 0
      while i < total && chosen.count < want {
        if tokenizer.decode(try dataset.sample(at: i).ids).contains(grep) { chosen.append(i) }
        i += 1
      }
      if chosen.isEmpty { print("no sample contains \"\(grep)\"") }
    } else {
      var state = seed &+ 0x9E37_79B9_7F4A_7C15
      let want = min(sample ?? 1, total)
      var picked = Set<Int>()
      while picked.count < want {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        picked.insert(Int((state >> 33) % UInt64(total)))
      }
      chosen = picked.sorted()
    }
    for i in chosen {
      print(
        render(try dataset.sample(at: i), index: i, total: total, tokenizer: tokenizer, padID: padID, colour: colour))
    }
  }

  func render(_ s: Sample, index: Int, total: Int, tokenizer: Tokenizer, padID: UInt32?, colour: Bool) -> String {
    var padding = 0
    if let padID {
      var j = s.count - 1
      while j >= 0 && s.ids[j] == padID && s.trained[j] == 0 {
        padding += 1
        j -= 1
      }
    }
    let content = s.count - padding
    var header = "── sample \(index) of \(total) · \(s.count) tokens · \(s.trainedCount) trained"
    if s.boundaries.count > 2 { header += " · \(s.boundaries.count - 1) documents" }
    var text = header + "\n"
    let (on, off) = colour ? ("\u{1B}[32m", "\u{1B}[0m") : ("⟦", "⟧")
    var docStarts = Set(s.boundaries.dropFirst().dropLast().map(Int.init))
    docStarts.remove(0)
    var i = 0
    var doc = 1
    while i < content {
      if docStarts.contains(i) {
        doc += 1
        text += (colour ? "\u{1B}[2m" : "") + "‖doc \(doc)‖" + (colour ? "\u{1B}[0m" : "")
      }
      var j = i + 1
      while j < content && s.trained[j] == s.trained[i] && !docStarts.contains(j) { j += 1 }
      let piece = tokenizer.decode(Array(s.ids[i..<j]))
      text += s.trained[i] != 0 ? on + piece + off : piece
      i = j
    }
    if padding > 0 { text += "\n" + (colour ? "\u{1B}[2m" : "") + "[\(padding) pad tokens]" + (colour ? off : "") }
    return text
  }
}
