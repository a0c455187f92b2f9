internal import COpenBLAS

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

/// The wrappers around OpenBLAS; the only place PrepTrain touches C.
enum BLAS {
  /// Pins OpenBLAS's thread pool (`openblas_set_num_threads`), so that runs are bit-identical.
  static func setThreads(_ count: Int) {
    openblas_set_num_threads(Int32(clamping: max(1, count)))
  }

  /// The thread count OpenBLAS currently uses (`openblas_get_num_threads`).
  static var threads: Int { Int(openblas_get_num_threads()) }

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
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
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
public func benchmarkPeakSGEMM(size: Int = 1024, threads: Int = 1, repetitions: Int = 5) -> Double {
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
