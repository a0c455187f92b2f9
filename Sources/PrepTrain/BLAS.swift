#if canImport(Glibc)
  import Glibc
#endif

/// Counts the floating-point work and the time of every `cblas_sgemm` call the trainer makes.
///
/// A `final class` because the forward and backward passes share one running total.
final class GemmMeter {
  /// Floating-point operations issued to sgemm (2·m·n·k per call).
  var flops: Double = 0
  /// Wall time spent inside sgemm calls, in seconds.
  var seconds: Double = 0
  /// Number of sgemm calls.
  var calls: Int = 0
  let clock = ContinuousClock()

  func reset() {
    flops = 0
    seconds = 0
    calls = 0
  }
}

/// OpenBLAS, opened with `dlopen` the first time the trainer needs it.
///
/// Linking it would run its library constructor in every `prep` process, and that starts a thread pool
/// whose idle threads spin on `sched_yield` for a while: about 0.1 s of CPU taken from the workers of
/// every `prep run` and `prep tokenize` on a 2-core machine. Only `prep train` needs BLAS, so only it
/// loads the library. The three functions used have the CBLAS ABI (`int` sizes and enum values), so no
/// header is needed to call them.
struct OpenBLAS: @unchecked Sendable {
  typealias SGEMM =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
      Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
  typealias SetThreads = @convention(c) (Int32) -> Void
  typealias GetThreads = @convention(c) () -> Int32

  /// CBLAS enum values (`CblasRowMajor`, `CblasNoTrans`, `CblasTrans`).
  static let rowMajor: Int32 = 101
  static let noTranspose: Int32 = 111
  static let transpose: Int32 = 112

  /// The file names tried, in order (Debian's runtime package provides the first).
  static let libraryNames = ["libopenblas.so.0", "libopenblas.so"]

  let sgemm: SGEMM
  let setThreads: SetThreads
  let getThreads: GetThreads

  /// The library, or why it could not be opened (the reason is kept for `BLAS.load()`).
  static let shared: Result<OpenBLAS, TrainError> = open(names: libraryNames)

  /// Opens the first of `names` that loads and has the three functions.
  static func open(names: [String]) -> Result<OpenBLAS, TrainError> {
    var reasons: [String] = []
    for name in names {
      guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
        reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): cannot open")
        continue
      }
      guard let sgemm = dlsym(handle, "cblas_sgemm"), let set = dlsym(handle, "openblas_set_num_threads"),
        let get = dlsym(handle, "openblas_get_num_threads")
      else {
        reasons.append("\(name) lacks cblas_sgemm or openblas_set_num_threads or openblas_get_num_threads")
        dlclose(handle)
        continue
      }
      return .success(
        OpenBLAS(
          sgemm: unsafeBitCast(sgemm, to: SGEMM.self), setThreads: unsafeBitCast(set, to: SetThreads.self),
          getThreads: unsafeBitCast(get, to: GetThreads.self)))
    }
    return .failure(.blasUnavailable(reason: reasons.joined(separator: "; ")))
  }
}

/// The wrappers around OpenBLAS; the only place PrepTrain touches C.
enum BLAS {
  /// Opens OpenBLAS (once per process) or says why it cannot be opened. Every entry point of the
  /// trainer calls this before any other `BLAS` function.
  static func load() throws(TrainError) {
    if case .failure(let error) = OpenBLAS.shared { throw error }
  }

  /// The opened library; `load()` must have succeeded.
  @inline(__always)
  static var library: OpenBLAS {
    switch OpenBLAS.shared {
    case .success(let library): return library
    case .failure(let error): preconditionFailure("BLAS used before BLAS.load() succeeded: \(error)")
    }
  }

  /// Pins OpenBLAS's thread pool (`openblas_set_num_threads`), so that runs are bit-identical.
  static func setThreads(_ count: Int) {
    library.setThreads(Int32(clamping: max(1, count)))
  }

  /// The thread count OpenBLAS currently uses (`openblas_get_num_threads`).
  static var threads: Int { Int(library.getThreads()) }

  /// `C = alpha · op(A) · op(B) + beta · C`, all row-major (`cblas_sgemm`), with op(A) m×k, op(B) k×n, C m×n.
  /// Leading dimensions are row strides in elements. The call's flops and time go to `meter`.
  @inline(__always)
  static func sgemm(
    _ meter: GemmMeter, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    if m == 0 || n == 0 { return }
    let start = meter.clock.now
    library.sgemm(
      OpenBLAS.rowMajor, transA ? OpenBLAS.transpose : OpenBLAS.noTranspose,
      transB ? OpenBLAS.transpose : OpenBLAS.noTranspose,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    let elapsed = start.duration(to: meter.clock.now)
    meter.seconds += Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    meter.flops += 2 * Double(m) * Double(n) * Double(k)
    meter.calls &+= 1
  }
}

/// Times a square `size`×`size`×`size` sgemm on `threads` OpenBLAS threads and returns the best
/// GFLOP/s over `repetitions` runs (after one warm-up call): the peak the trainer's own sgemm
/// throughput is compared with. Leaves OpenBLAS pinned to `threads`.
public func benchmarkPeakSGEMM(size: Int = 1024, threads: Int = 1, repetitions: Int = 5) throws(TrainError) -> Double {
  try BLAS.load()
  BLAS.setThreads(threads)
  let n = max(1, size)
  let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
  let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
  let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
  defer {
    a.deallocate()
    b.deallocate()
    c.deallocate()
  }
  var rng = Xoshiro256(seed: 1)
  for i in 0..<(n * n) {
    a[i] = Float(rng.nextUnit()) - 0.5
    b[i] = Float(rng.nextUnit()) - 0.5
    c[i] = 0
  }
  let meter = GemmMeter()
  BLAS.sgemm(meter, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
  var best = 0.0
  for _ in 0..<max(1, repetitions) {
    meter.reset()
    BLAS.sgemm(meter, m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: c, ldc: n)
    if meter.seconds > 0 { best = max(best, meter.flops / meter.seconds / 1e9) }
  }
  return best
}
