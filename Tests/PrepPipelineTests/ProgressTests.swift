import Testing

@testable import PrepPipeline

/// The progress line of long runs.
struct ProgressTests {
  /// Counts grouped by thousands, rates per second, rejects when there are some, the share read and the ETA.
  @Test func theLineGivesTotalsRatesShareAndETA() {
    let line = ProgressReporter.line(
      records: 1_234_567, bytes: 250_000_000, tokens: 60_000_000, rejects: 1_500, seconds: 10,
      totalBytes: 1_000_000_000)
    #expect(
      line == "1,234,567 records, 250 MB, 60,000,000 tokens | 123,457 rec/s, 25.0 MB/s, 6,000,000 tok/s"
        + " | 1,500 rejected | 25%, ETA 30s")
  }

  /// No rejects, no known total: neither is mentioned; long ETAs read in minutes and hours.
  @Test func theLineLeavesOutWhatIsUnknown() {
    let plain = ProgressReporter.line(records: 5, bytes: 1_000, tokens: 70, rejects: 0, seconds: 2, totalBytes: nil)
    #expect(plain == "5 records, 0.0 MB, 70 tokens | 3 rec/s, 0.0 MB/s, 35 tok/s")
    let slow = ProgressReporter.line(
      records: 10, bytes: 1_000_000, tokens: 100, rejects: 0, seconds: 100, totalBytes: 100_000_000)
    #expect(slow.hasSuffix("| 1%, ETA 2h45m"))
  }
}
