import Dispatch

/// Streams items through a parallel map and a sequential, in-order reduce.
///
/// `next` is called on the calling thread until it returns nil; each item is mapped on one of `workers` Dispatch
/// threads; results are reduced on the calling thread strictly in the order the items were read. At most `window`
/// items are read but not yet reduced, so memory is bounded by the window, never by the input. The reduce side sees
/// the same sequence whatever the worker count, so anything it writes is byte-identical for any `--workers`.
///
/// - Parameters:
///   - workers: how many map calls may run at once.
///   - window: how many items may be in flight (read, not yet reduced); at least `workers`.
///   - gate: workers shared with other pools, which caps the running items of all of them (default: its own).
///   - next: produces the next item, or nil at the end.
///   - map: pure per-item work, run concurrently.
///   - reduce: consumes results in input order.
///   - idle: called on the calling thread whenever it waits, with nothing to do (progress reporting).
public func orderedMapReduce<Item: Sendable, Result: Sendable>(
  workers: Int,
  window: Int,
  gate: WorkGate? = nil,
  next: () throws -> Item?,
  map: @escaping @Sendable (Item) -> Result,
  reduce: (Result) throws -> Void,
  idle: () -> Void = {}
) throws {
  let pool =
    gate.map { OrderedPool<Result>(gate: $0, window: max(window, workers)) }
    ?? OrderedPool<Result>(workers: workers, window: max(window, workers))
  var failure: Error? = nil
  func drain(all: Bool) throws {
    while pool.inFlight > 0 && (all || pool.inFlight >= pool.window || pool.oldestIsReady) {
      if !pool.oldestIsReady { idle() }
      guard let result = pool.next() else { break }
      try reduce(result)
    }
  }
  do {
    while let item = try next() {
      try drain(all: false)
      pool.submit { map(item) }
    }
    try drain(all: true)
  } catch {
    failure = error
    // Let running map calls finish before returning, so no work outlives the call.
    while pool.next() != nil {}
  }
  if let failure { throw failure }
}
