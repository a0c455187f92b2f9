import Dispatch
import Foundation
import PrepPipeline
import Synchronization
import Testing

@Test(arguments: [1, 2, 3, 8])
func reduceSeesInputOrderForAnyWorkerCount(workers: Int) throws {
  var i = 0
  var seen: [Int] = []
  try orderedMapReduce(
    workers: workers, window: 4,
    next: { () -> Int? in
      defer { i += 1 }
      return i < 500 ? i : nil
    },
    map: { (n: Int) -> Int in
      // Uneven work so that later items often finish first.
      var x = n
      for _ in 0..<((n * 7919) % 2000) { x = (x &* 31) &+ 7 }
      return n * 2 + (x & 0)
    },
    reduce: { seen.append($0) })
  #expect(seen == (0..<500).map { $0 * 2 })
}

@Test func inFlightItemsNeverExceedTheWindow() throws {
  let live = Atomic<Int>(0)
  let peak = Atomic<Int>(0)
  var produced = 0
  var reduced = 0
  var maxAhead = 0
  try orderedMapReduce(
    workers: 3, window: 5,
    next: { () -> Int? in
      maxAhead = max(maxAhead, produced - reduced)
      produced += 1
      return produced <= 200 ? produced : nil
    },
    map: { (n: Int) -> Int in
      let now = live.add(1, ordering: .relaxed).newValue
      _ = peak.max(now, ordering: .relaxed)
      var x = 0
      for k in 0..<5000 { x &+= k &* n }
      live.subtract(1, ordering: .relaxed)
      return x
    },
    reduce: { _ in reduced += 1 })
  #expect(reduced == 200)
  #expect(maxAhead <= 5)
  #expect(peak.load(ordering: .relaxed) <= 3)
}

struct Boom: Error {}

@Test func aReduceErrorStopsTheRunAndIsRethrown() {
  var i = 0
  var reduced = 0
  #expect(throws: Boom.self) {
    try orderedMapReduce(
      workers: 2, window: 4,
      next: { () -> Int? in
        i += 1
        return i <= 100 ? i : nil
      },
      map: { $0 },
      reduce: { n in
        if n == 10 { throw Boom() }
        reduced += 1
      })
  }
  #expect(reduced == 9)
  #expect(i < 100)
}

/// Runs `body` on a thread of its own and waits without blocking a Swift concurrency thread. On Linux the
/// cooperative pool is built on libdispatch's root queues, so a test that blocked one of its threads would take a
/// share of the width Dispatch gives the map workers (prep itself runs the engine on its main thread).
func onOwnThread(_ body: @escaping @Sendable () -> Void) async {
  await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
    let thread = Thread {
      body()
      done.resume()
    }
    thread.start()
  }
}

/// Two map calls must be able to run at the same time: items 1 and 2 each wait until the other has started. A pool
/// that ran one item at a time would never let both arrive (the wait gives up after a minute, and the test fails).
/// A rendezvous, not a timing: other tests may hold the cores for a while, which only delays it.
@Test func mapCallsReallyRunInParallel() async throws {
  let arrived = Atomic<Int>(0)
  let met = Atomic<Int>(0)
  await onOwnThread {
    var i = 0
    try? orderedMapReduce(
      workers: 2, window: 4,
      next: { () -> Int? in
        i += 1
        return i <= 4 ? i : nil
      },
      map: { (n: Int) -> Int in
        guard n <= 2 else { return n }
        arrived.add(1, ordering: .sequentiallyConsistent)
        let deadline = DispatchTime.now().uptimeNanoseconds + 60_000_000_000
        while arrived.load(ordering: .sequentiallyConsistent) < 2 && DispatchTime.now().uptimeNanoseconds < deadline {
          usleep(1000)
        }
        if arrived.load(ordering: .sequentiallyConsistent) >= 2 { met.add(1, ordering: .sequentiallyConsistent) }
        return n
      },
      reduce: { _ in })
  }
  #expect(met.load(ordering: .sequentiallyConsistent) == 2)
}

final class Payload: Sendable {
  let n: Int
  init(_ n: Int) { self.n = n }
}

/// Memory is bounded by the window: a result handed to reduce is not kept by the pool afterwards.
@Test func reducedResultsAreNotRetained() throws {
  var i = 0
  final class WeakBox {
    weak var value: Payload?
    init(_ value: Payload) { self.value = value }
  }
  var seen: [WeakBox] = []
  var retainedLongAfter = 0
  try orderedMapReduce(
    workers: 2, window: 4,
    next: { () -> Int? in
      i += 1
      return i <= 300 ? i : nil
    },
    map: { Payload($0) },
    reduce: { (p: Payload) in
      seen.append(WeakBox(p))
      if seen.count > 10, seen[seen.count - 11].value != nil { retainedLongAfter += 1 }
    })
  #expect(seen.count == 300)
  #expect(retainedLongAfter == 0)
}
