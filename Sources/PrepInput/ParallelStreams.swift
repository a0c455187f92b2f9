import Dispatch
import PrepDecompress

/// A bzip2 file of many streams (Wikipedia's multistream dumps; pbzip2 and lbzip2 write them too) decoded on
/// several threads: the compressed bytes are cut into jobs of whole streams at the streams' signatures, each job
/// is decoded on its own thread, and the outputs are handed out in file order, so the bytes never depend on the
/// thread count. bzip2 decodes at about 35 MB/s on one core, so that on a dump it is what sets a run's pace.
///
/// A signature can in principle appear inside a stream's compressed bytes too; then a job ends inside a stream or
/// fails, and everything from that job on goes back to a single streaming decoder (`fallback`), which also gives
/// every error its usual message. A file whose second stream does not start within `maxScanBytes` (an ordinary
/// one-stream bzip2 file) goes to that decoder at once.
final class ParallelStreams {
  /// One job: whole streams, decoded on another thread.
  private final class Job: @unchecked Sendable {
    /// The compressed bytes, and the file offset of the first.
    let input: [UInt8]
    let offset: Int
    /// Set by the decoding thread before `done` is signalled; read only after waiting on it.
    var output: [UInt8] = []
    var usable = false
    let done = DispatchSemaphore(value: 0)
    var waited = false
    /// Output bytes already handed out.
    var taken = 0

    init(input: [UInt8], offset: Int) {
      self.input = input
      self.offset = offset
    }

    /// Decodes the job: usable when every stream in it is whole and the output stays under `cap` bytes.
    func run(cap: Int) {
      defer { done.signal() }
      guard let decoder = try? StreamDecoder(.bzip2) else { return }
      var at = 0
      var out: [UInt8] = []
      do {
        while true {
          let held = try decoder.decode(input, at: &at, appendingTo: &out, limit: 1 << 20)
          if out.count > cap { return }
          if !held && at >= input.count { break }
        }
      } catch { return }
      usable = !decoder.insideUnit
      output = out
    }
  }

  /// What goes back to a single streaming decoder: compressed bytes not yet decoded, in order, from `offset`.
  struct Fallback {
    var pieces: [[UInt8]]
    var offset: Int
  }

  private let file: InputFile
  private let threads: Int
  private let jobBytes: Int
  private let maxScanBytes: Int
  /// The most one job's output may hold before it is left to the streaming decoder (bounds memory on data that
  /// expands a great deal).
  private let outputCap: Int
  /// Compressed bytes read and not yet in a job; `scan[0]` is at file offset `scanOffset`.
  private var scan: [UInt8] = []
  private var scanOffset: Int
  /// Where the search for a stream signature goes on.
  private var searched = 0
  private var eof = false
  /// Whether no stream signature turned up within `maxScanBytes`: no more jobs are made.
  private var gaveUp = false
  /// Jobs in flight, in file order.
  private var jobs: [Job] = []
  private static let queue = DispatchQueue(label: "prep.bzip2", attributes: .concurrent)

  /// Reads `file` from its current position.
  init(file: InputFile, threads: Int, jobBytes: Int, maxScanBytes: Int = 16 << 20) {
    self.file = file
    self.scanOffset = file.consumed
    self.threads = max(2, threads)
    self.jobBytes = max(1, jobBytes)
    self.maxScanBytes = max(maxScanBytes, self.jobBytes)
    self.outputCap = max(32 << 20, self.jobBytes * 32)
  }

  /// The next piece of output (at most `limit` bytes), nil at the end of the file, or what goes to a streaming
  /// decoder when the jobs cannot go on.
  func next(limit: Int) throws(InputError) -> Result {
    while true {
      while jobs.count < threads + 1 {
        guard let job = try makeJob() else { break }
        jobs.append(job)
        let cap = outputCap
        Self.queue.async { job.run(cap: cap) }
      }
      if jobs.isEmpty {
        if gaveUp { return .fallback(takeFallback()) }
        return .end
      }
      let head = jobs[0]
      if !head.waited {
        head.done.wait()
        head.waited = true
      }
      guard head.usable else { return .fallback(takeFallback()) }
      if head.taken < head.output.count {
        let end = min(head.output.count, head.taken + max(1, limit))
        defer { head.taken = end }
        return .bytes(head.output[head.taken..<end])
      }
      jobs.removeFirst()
    }
  }

  /// What `next` gives.
  enum Result {
    case bytes(ArraySlice<UInt8>)
    case end
    case fallback(Fallback)
  }

  /// Everything not yet handed out, for a streaming decoder: the first unusable (or unfinished) job on. Waits for
  /// the jobs in flight, so that no thread is left decoding.
  private func takeFallback() -> Fallback {
    for job in jobs where !job.waited {
      job.done.wait()
      job.waited = true
    }
    var pieces = jobs.map(\.input)
    let offset = jobs.first?.offset ?? scanOffset
    jobs.removeAll()
    pieces.append(scan)
    scan = []
    return Fallback(pieces: pieces, offset: offset)
  }

  /// The next job: the scanned bytes up to the first stream signature at or after `jobBytes`, or all that is left
  /// at the end of the file. Nil when nothing is left, or when no signature turns up within `maxScanBytes`.
  private func makeJob() throws(InputError) -> Job? {
    guard !gaveUp else { return nil }
    while true {
      if let cut = findSignature(from: max(1, jobBytes)) {
        let job = Job(input: Array(scan[0..<cut]), offset: scanOffset)
        scan.removeSubrange(0..<cut)
        scanOffset += cut
        searched = 0
        return job
      }
      if eof {
        guard !scan.isEmpty else { return nil }
        let job = Job(input: scan, offset: scanOffset)
        scanOffset += scan.count
        scan = []
        searched = 0
        return job
      }
      if scan.count >= maxScanBytes {
        gaveUp = true
        return nil
      }
      if try file.readBlock(appendingTo: &scan) == 0 { eof = true }
    }
  }

  /// The first offset at or after `from` in `scan` where a bzip2 stream starts (`Bzip2Signature`), or nil.
  private func findSignature(from: Int) -> Int? {
    let count = scan.count
    var i = max(from, searched)
    let found: Int? = scan.withUnsafeBufferPointer { b -> Int? in
      while i + Bzip2Signature.length <= count {
        if Bzip2Signature.starts(b, at: i) { return i }
        i += 1
      }
      return nil
    }
    searched = max(searched, min(i, count))
    return found
  }
}

/// The first bytes of a bzip2 stream: "BZh", a block size digit (1-9), and the first block's signature
/// 31 41 59 26 53 59.
enum Bzip2Signature {
  static let length = 10

  /// Whether a stream starts at `i` of `b`, which must hold `length` bytes from `i` on.
  @inline(__always)
  static func starts(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
    b[i] == 0x42 && b[i + 1] == 0x5A && b[i + 2] == 0x68 && b[i + 3] >= 0x31 && b[i + 3] <= 0x39 && b[i + 4] == 0x31
      && b[i + 5] == 0x41 && b[i + 6] == 0x59 && b[i + 7] == 0x26 && b[i + 8] == 0x53 && b[i + 9] == 0x59
  }
}
