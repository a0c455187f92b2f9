extension RunSummary {
  /// The closing summary of a run, for people.
  public func report(pipeline: String) -> String {
    var lines = ["prep run \(pipeline) -> \(output)"]
    var recordLine = "  records   \(group(records)) read"
    if rejectCount > 0 {
      let byReason = rejects.keys.sorted().map { "\($0.rawValue) \(rejects[$0] ?? 0)" }.joined(separator: ", ")
      recordLine += ", \(group(rejectCount)) rejected (\(byReason)) -> \(output)/rejects.jsonl"
    } else {
      recordLine += ", none rejected"
    }
    lines.append(recordLine)
    if let resumedAt {
      lines.append("  resumed   at record \(group(resumedAt)): the interrupted run's checkpoint was continued")
    }
    var samples = "  samples   \(group(train.samples))"
    if let v = validation { samples += " train + \(group(v.samples)) validation (\(output)/validation)" }
    if truncated > 0 { samples += ", \(group(truncated)) truncated by the length limit" }
    if packing.truncated > 0 || packing.dropped > 0 {
      samples += ", packing truncated \(packing.truncated) and dropped \(packing.dropped)"
    }
    lines.append(samples)
    if packing.droppedTokens > 0 {
      // Samples longer than a block lose tokens (cut or dropped: SFT packing, fixed length); pretraining blocks
      // drop what is left after the last whole block (seed compat: after every batch too), and nothing else.
      let what: String
      switch (packing.truncated > 0, packing.dropped > 0) {
      case (true, true): what = "of samples longer than a block (cut to it or dropped)"
      case (true, false): what = "cut from samples longer than a block"
      case (false, true): what = "of samples longer than a block, dropped"
      case (false, false): what = "after the last whole block (packing.remainder: pad keeps them)"
      }
      lines.append("  dropped   \(group(packing.droppedTokens)) tokens \(what)")
    }
    if train.samples == 0 && records > rejectCount {
      lines.append(
        "  warning   no sample was written: see the lines above (a smaller block_size, or padding, keeps them)")
    }
    lines.append(
      "  tokens    \(group(train.tokens)), \(group(train.trainedTokens)) trained (\(percent(train.trainedShare)))")
    if train.padTokens > 0 {
      lines.append(
        "  padding   \(group(train.padTokens)) pad tokens, packing efficiency \(percent(train.packingEfficiency))")
    }
    let t = max(seconds, 1e-9)
    if resumedAt == nil {
      let validationTokens = validation?.tokens ?? 0
      let allTokens = Double(train.tokens) + Double(validationTokens)
      let rate = "\(group(Int(Double(records) / t))) records/s, \(fixed(Double(bytes) / 1e6 / t, 1)) MB/s, "
      lines.append("  time      \(fixed(seconds, 2)) s: " + rate + "\(group(Int(allTokens / t))) tokens/s")
    } else {
      // The rates of a resumed run would mix two runs' work into one run's time.
      lines.append("  time      \(fixed(seconds, 2)) s for the rest of the run")
    }
    return lines.joined(separator: "\n")
  }
}

/// `1234567` → `1,234,567`.
public func group(_ n: Int) -> String {
  let digits = String(abs(n))
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return n < 0 ? "-" + out : out
}

/// `0.1234` → `12.3%`.
public func percent(_ x: Double) -> String { fixed(x * 100, 1) + "%" }

/// A number with `digits` decimals.
public func fixed(_ x: Double, _ digits: Int) -> String {
  guard x.isFinite else { return x.isNaN ? "nan" : "\(x)" }  // inf, -inf
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let r = (x * scale).rounded() / scale
  var s = String(r)
  if let dot = s.firstIndex(of: ".") {
    let decimals = s.distance(from: dot, to: s.endIndex) - 1
    if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    if digits == 0 { s = String(s[..<dot]) }
  } else if digits > 0 {
    s += "." + String(repeating: "0", count: digits)
  }
  return s
}
