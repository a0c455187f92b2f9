import Dispatch

/// Runs work items on up to `workers` Dispatch threads and hands their results back in submission order.
///
/// The coordinating thread (never a Dispatch worker) submits and collects; workers never block, so the pool cannot
/// starve libdispatch's thread pool. Memory stays bounded because the coordinator collects the oldest result before
/// submitting more once `window` items are in flight. Output order depends only on submission order, never on the
/// number of workers or on timing.
public final class OrderedPool<Result: Sendable>: @unchecked Sendable {
  // @unchecked: `pending` is touched only by the coordinating thread; each Ticket's value is written by one worker
  // before its semaphore is signalled and read by the coordinator after waiting on it.
  private final class Ticket: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var value: Result?
  }

  private let queue = DispatchQueue(label: "prep.pool", attributes: .concurrent)
  private let running: DispatchSemaphore
  private var pending: [Ticket] = []
  private var head = 0
  /// At most this many items are submitted but not yet collected.
  public let window: Int

  /// Creates a pool running at most `workers` items at once, with at most `window` items in flight.
  public init(workers: Int, window: Int) {
    running = DispatchSemaphore(value: max(1, workers))
    self.window = max(1, window)
  }

  /// Creates a pool that shares its limit on running items with other pools: `gate` starts at the worker count,
  /// so that several pools together never run more than that many items at once.
  public init(gate: DispatchSemaphore, window: Int) {
    running = gate
    self.window = max(1, window)
  }

  /// Items submitted and not yet collected.
  public var inFlight: Int { pending.count - head }

  /// Submits work. Blocks while `workers` items are running.
  public func submit(_ work: @escaping @Sendable () -> Result) {
    let ticket = Ticket()
    pending.append(ticket)
    running.wait()
    let running = self.running
    queue.async {
      ticket.value = work()
      running.signal()
      ticket.done.signal()
    }
  }

  /// Whether the oldest item has finished (so `next()` would not block).
  public var oldestIsReady: Bool {
    guard head < pending.count else { return false }
    if pending[head].done.wait(timeout: .now()) == .success {
      pending[head].done.signal()
      return true
    }
    return false
  }

  /// The oldest item's result, waiting for it if needed; nil when nothing is in flight. The pool keeps no
  /// reference to a result it has handed out, so memory is bounded by the window alone.
  public func next() -> Result? {
    guard head < pending.count else { return nil }
    let ticket = pending[head]
    head += 1
    if head >= 64 {
      pending.removeFirst(head)
      head = 0
    }
    ticket.done.wait()
    let value = ticket.value
    ticket.value = nil
    return value
  }
}
