import Dispatch
import Foundation
import PrepPipeline
import Synchronization
import Testing

/// A one-shot signal that a test thread can wait for with a deadline, so that a broken gate fails the test
/// instead of hanging it.
final class Latch: Sendable {
  private let semaphore = DispatchSemaphore(value: 0)
  func open() { semaphore.signal() }
  /// Whether the latch opened within a minute.
  func wait() -> Bool { semaphore.wait(timeout: .now() + 60) == .success }
}

/// The pools that share a `WorkGate` hand items over without waiting; the gate runs at most its worker count at
/// once, the urgent items first.
@Suite struct WorkGateTests {
  /// One worker, held by a first item: items submitted meanwhile wait in the gate, and when the worker is free
  /// it takes every `first` item before any `normal` one, each queue in submission order.
  @Test func urgentItemsStartFirst() async {
    let order = Mutex<[String]>([])
    let started = Latch()
    let release = Latch()
    let finished = Latch()
    let released = Atomic<Bool>(false)
    await onOwnThread {
      let gate = WorkGate(workers: 1)
      gate.run(.normal) {
        started.open()
        released.store(release.wait(), ordering: .sequentiallyConsistent)
        order.withLock { $0.append("held") }
      }
      guard started.wait() else { return }
      gate.run(.normal) { order.withLock { $0.append("normal 1") } }
      gate.run(.first) { order.withLock { $0.append("first 1") } }
      gate.run(.normal) { order.withLock { $0.append("normal 2") } }
      gate.run(.first) { order.withLock { $0.append("first 2") } }
      gate.run(.normal) {
        order.withLock { $0.append("normal 3") }
        finished.open()
      }
      release.open()
      _ = finished.wait()
    }
    #expect(released.load(ordering: .sequentiallyConsistent) == true)
    #expect(order.withLock { $0 } == ["held", "first 1", "first 2", "normal 1", "normal 2", "normal 3"])
  }

  /// Submitting to a pool whose gate has no free worker returns at once: the coordinator goes on (here, to
  /// release the worker). A pool whose submit waited for a free worker would never get there, and the held item
  /// would give up after a minute.
  @Test func submitNeverWaitsForAWorker() async {
    let started = Latch()
    let release = Latch()
    let released = Atomic<Bool>(false)
    let results = Mutex<[Int]>([])
    // What the pool said while its one worker was held: items in flight, and whether the oldest was ready.
    let whileHeld = Mutex<(Int, Bool)>((0, true))
    await onOwnThread {
      let gate = WorkGate(workers: 1)
      let pool = OrderedPool<Int>(gate: gate, window: 8)
      pool.submit {
        started.open()
        released.store(release.wait(), ordering: .sequentiallyConsistent)
        return 0
      }
      guard started.wait() else { return }
      for n in 1...5 { pool.submit { n } }
      whileHeld.withLock { $0 = (pool.inFlight, pool.oldestIsReady) }
      release.open()
      while let value = pool.next() { results.withLock { $0.append(value) } }
    }
    #expect(released.load(ordering: .sequentiallyConsistent) == true)
    #expect(whileHeld.withLock { $0.0 } == 6)
    #expect(whileHeld.withLock { $0.1 } == false)
    #expect(results.withLock { $0 } == [0, 1, 2, 3, 4, 5])
  }

  /// Two pools on one gate of two workers, many short items each: never more than two run at once, and each
  /// pool's results come back in its own submission order.
  @Test func poolsSharingAGateStayWithinItsWorkers() async {
    let live = Atomic<Int>(0)
    let peak = Atomic<Int>(0)
    let outcome = Mutex<([Int], [Int])>(([], []))
    await onOwnThread {
      let gate = WorkGate(workers: 2)
      let chunks = OrderedPool<Int>(gate: gate, window: 8)
      let frames = OrderedPool<Int>(gate: gate, priority: .first, window: 4)
      @Sendable func work(_ n: Int) -> Int {
        let now = live.add(1, ordering: .relaxed).newValue
        _ = peak.max(now, ordering: .relaxed)
        var x = 0
        for k in 0..<20_000 { x &+= k &* n }
        live.subtract(1, ordering: .relaxed)
        return n + (x & 0)
      }
      var fromChunks: [Int] = []
      var fromFrames: [Int] = []
      for n in 0..<200 {
        if chunks.inFlight >= chunks.window, let value = chunks.next() { fromChunks.append(value) }
        chunks.submit { work(n) }
        if n % 3 == 0 {
          if frames.inFlight >= frames.window, let value = frames.next() { fromFrames.append(value) }
          frames.submit { work(1000 + n) }
        }
        while frames.oldestIsReady, let value = frames.next() { fromFrames.append(value) }
      }
      while let value = chunks.next() { fromChunks.append(value) }
      while let value = frames.next() { fromFrames.append(value) }
      outcome.withLock { $0 = (fromChunks, fromFrames) }
    }
    let (fromChunks, fromFrames) = outcome.withLock { $0 }
    #expect(fromChunks == Array(0..<200))
    #expect(fromFrames == stride(from: 0, to: 200, by: 3).map { 1000 + $0 })
    #expect(peak.load(ordering: .relaxed) <= 2)
  }

  /// An item's input (what its closure holds: a chunk, a frame's samples) is released once it has run, not when
  /// the gate next compacts its queue: memory stays bounded by the pools' windows.
  @Test func itemsAreReleasedOnceRun() async {
    final class WeakBox: @unchecked Sendable {
      weak var value: Payload?
      init(_ value: Payload) { self.value = value }
    }
    let boxes = Mutex<[WeakBox]>([])
    let ran = Latch()
    // Kept alive until the end: a gate that is freed frees its queue, whatever the queue still held.
    let gate = WorkGate(workers: 1)
    await onOwnThread {
      let started = Latch()
      let release = Latch()
      gate.run(.normal) {
        started.open()
        _ = release.wait()
      }
      guard started.wait() else { return }
      for n in 0..<100 {
        let payload = Payload(n)
        boxes.withLock { $0.append(WeakBox(payload)) }
        gate.run(.normal) {
          _ = payload.n
          if n == 99 { ran.open() }
        }
      }
      release.open()
    }
    #expect(ran.wait())
    // The worker lets go of the last item just after running it.
    let deadline = DispatchTime.now().uptimeNanoseconds + 10_000_000_000
    var alive = 0
    repeat {
      alive = boxes.withLock { $0.filter { $0.value != nil }.count }
      if alive > 0 { usleep(1000) }
    } while alive > 0 && DispatchTime.now().uptimeNanoseconds < deadline
    #expect(alive == 0)
    withExtendedLifetime(gate) {}
  }
}
