import PrepCore

/// A constant start of every prompt (the system block), tokenized once per run instead of once per record.
///
/// HF tokenizers split text at added-token matches before anything else and tokenize the pieces between them
/// independently. So when `prefix` ends with a complete added token (`<|im_start|>`), and no added token could
/// match overlapping that final token or extending past the end of `prefix` whatever follows, then
/// `encode(prefix + rest) == encode(prefix) + encode(rest)` for every `rest`. `make` checks exactly that against
/// the tokenizer's added tokens and returns nil when it cannot prove it (then recipes encode the whole text).
public struct ConstantPrefix: Sendable, Equatable {
  /// The prefix text.
  public let text: String
  /// Its ids.
  public let ids: [UInt32]

  /// The prefix's ids when splitting after it is provably exact, else nil.
  public static func make<E: TokenEncoder>(_ text: String, endingWith last: String, encoder: E) -> ConstantPrefix? {
    // Bytes, not `String`s, which compare canonically equivalent texts equal.
    let lastBytes = Array(last.utf8)
    let bytes = Array(text.utf8)
    guard let added = encoder.addedTokenContents?.map({ Array($0.utf8) }), added.contains(lastBytes),
      bytes.count >= lastBytes.count, bytes.suffix(lastBytes.count).elementsEqual(lastBytes)
    else { return nil }
    let end = bytes.count
    let lastStart = end - lastBytes.count
    for t in added {
      guard !t.isEmpty else { continue }
      // Any start that would overlap the final token or run past the end of the prefix.
      var p = max(0, lastStart - t.count + 1)
      while p < end {
        if !(p == lastStart && t == lastBytes) {
          let n = min(t.count, end - p)
          if bytes[p..<(p + n)].elementsEqual(t[0..<n]) { return nil }
        }
        p += 1
      }
    }
    return ConstantPrefix(text: text, ids: encoder.encode(text))
  }
}
