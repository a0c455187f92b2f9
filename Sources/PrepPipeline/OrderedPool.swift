import Dispatch
import Synchronization

/// Runs work items on a `WorkGate`'s workers and hands their results back in submission order.
///
/// The coordinating thread (never a Dispatch worker) submits and collects; workers never block, so the pool cannot
/// starve libdispatch's thread pool. Submitting never waits: memory stays bounded because the coordinator collects
/// the oldest result before submitting more once `window` items are in flight. Output order depends only on
/// submission order, never on the number of workers or on timing.
public final class OrderedPool<Result: Sendable>: @unchecked Sendable {
  // @unchecked: `pending` is touched only by the coordinating thread; each Ticket's value is written by one worker
  // before it sets `ready` and signals `done`, and read by the coordinator after seeing `ready` or waiting on `done`.
  private final class Ticket: @unchecked Sendable {
    /// Whether `value` is set: what `oldestIsReady` asks, without a system call. (A zero-timeout wait on `done`
    /// asked the kernel each time: thousands of futex calls per run, from the per-document check of the
    /// frames, each a chance for the scheduler to switch the coordinator out.)
    let ready = Atomic<Bool>(false)
    let done = DispatchSemaphore(value: 0)
    var value: Result?
  }

  private let gate: WorkGate
  private let priority: WorkGate.Priority
  private var pending = FIFO<Ticket>()
  /// At most this many items are submitted but not yet collected.
  public let window: Int

  /// Creates a pool running at most `workers` items at once, with at most `window` items in flight.
  public init(workers: Int, window: Int) {
    gate = WorkGate(workers: workers)
    priority = .normal
    self.window = max(1, window)
  }

  /// Creates a pool that shares its workers with other pools (`gate`), so that together they never run more items
  /// at once than the gate has workers; `priority` orders its items against theirs.
  public init(gate: WorkGate, priority: WorkGate.Priority = .normal, window: Int) {
    self.gate = gate
    self.priority = priority
    self.window = max(1, window)
  }

  /// Items submitted and not yet collected.
  public var inFlight: Int { pending.count }

  /// Submits work; it starts when a worker of the gate is free (see `WorkGate`).
  public func submit(_ work: @escaping @Sendable () -> Result) {
    let ticket = Ticket()
    pending.append(ticket)
    gate.run(priority) {
      ticket.value = work()
      ticket.ready.store(true, ordering: .releasing)
      ticket.done.signal()
    }
  }

  /// Whether the oldest item has finished (so `next()` would not block).
  public var oldestIsReady: Bool {
    pending.first?.ready.load(ordering: .acquiring) ?? false
  }

  /// The oldest item's result, waiting for it if needed; nil when nothing is in flight. The pool keeps no
  /// reference to a result it has handed out, so memory is bounded by the window alone.
  public func next() -> Result? {
    guard let ticket = pending.removeFirst() else { return nil }
    if !ticket.ready.load(ordering: .acquiring) { ticket.done.wait() }
    let value = ticket.value
    ticket.value = nil
    return value
  }
}
