import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Progress of a long run on stderr: records/s, MB/s, tokens/s and ETA. On a terminal one line is redrawn in place;
/// otherwise a plain line is written every `interval` seconds. Silent when `quiet`.
public final class ProgressReporter {
  private let quiet: Bool
  private let isTerminal: Bool
  private let interval: Double
  private let start = DispatchTime.now().uptimeNanoseconds
  private var lastPrint: UInt64
  private var printedInPlace = false
  /// The total input size in bytes, when known, for the ETA.
  public var totalBytes: Int?

  /// Creates a reporter.
  public init(quiet: Bool, interval: Double? = nil) {
    self.quiet = quiet
    lastPrint = start
    isTerminal = isatty(2) != 0
    self.interval = interval ?? (isatty(2) != 0 ? 0.25 : 10)
  }

  /// Seconds since the reporter was created.
  public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

  /// Reports the running totals; prints only when the interval has passed.
  public func update(records: Int, bytes: Int, tokens: Int, rejects: Int) {
    guard !quiet else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    guard Double(now - lastPrint) / 1e9 >= interval else { return }
    lastPrint = now
    let line = ProgressReporter.line(
      records: records, bytes: bytes, tokens: tokens, rejects: rejects, seconds: elapsed, totalBytes: totalBytes)
    if isTerminal {
      writeStderr("\r\u{1B}[K" + line)
      printedInPlace = true
    } else {
      writeStderr("progress: " + line + "\n")
    }
  }

  /// The progress line for these running totals after `seconds`: counts, rates, rejects, share done and ETA.
  static func line(records: Int, bytes: Int, tokens: Int, rejects: Int, seconds: Double, totalBytes: Int?) -> String {
    let t = max(seconds, 1e-9)
    var line = "\(group(records)) records, \(format(Double(bytes) / 1e6)) MB, \(group(tokens)) tokens"
    line += " | \(group(Int((Double(records) / t).rounded()))) rec/s, \(format(Double(bytes) / 1e6 / t)) MB/s, "
    line += "\(group(Int((Double(tokens) / t).rounded()))) tok/s"
    if rejects > 0 { line += " | \(group(rejects)) rejected" }
    if let total = totalBytes, total > 0, bytes > 0 {
      let share = min(1, Double(bytes) / Double(total))
      let eta = t / share - t
      line += " | \(Int(share * 100))%, ETA \(duration(eta))"
    }
    return line
  }

  /// Ends an in-place line so that what follows starts on a fresh line.
  public func finish() {
    if printedInPlace { writeStderr("\r\u{1B}[K") }
    printedInPlace = false
  }

  private static func format(_ x: Double) -> String {
    if x >= 100 { return String(Int(x.rounded())) }
    let tenths = (x * 10).rounded() / 10
    return String(tenths)
  }

  private static func duration(_ s: Double) -> String {
    let total = Int(s.rounded())
    if total >= 3600 { return "\(total / 3600)h\(total % 3600 / 60)m" }
    if total >= 60 { return "\(total / 60)m\(total % 60)s" }
    return "\(total)s"
  }
}

/// Writes text to standard error, unbuffered.
public func writeStderr(_ text: String) {
  var t = text
  t.withUTF8 { buf in
    guard let base = buf.baseAddress else { return }
    var off = 0
    while off < buf.count {
      let n = write(2, base + off, buf.count - off)
      if n <= 0 { break }
      off += n
    }
  }
}
