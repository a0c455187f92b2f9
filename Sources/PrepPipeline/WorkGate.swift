import Dispatch
import Synchronization

/// Runs the work items of every `OrderedPool` that shares it on at most `workers` Dispatch threads at once, the
/// urgent ones first.
///
/// Handing an item over never blocks: when every worker is busy, the item waits in the gate's queue, and the
/// worker that finishes an item takes the next one itself. The coordinating thread therefore never waits for a
/// free worker, only for the results it needs next. When it did wait for a worker before handing an item over
/// (a semaphore taken by the submitter), it stalled in the middle of reducing a chunk whenever a frame was ready
/// to compress and both workers held chunks; the worker that finished next then had no new chunk until the
/// coordinator had been scheduled, finished that reduction and read on. On two cores that left a fifth of the CPU
/// time of the monkey pipeline idle, in thousands of short waits.
public final class WorkGate: Sendable {
  /// Which queue an item waits in: every `first` item starts before any `normal` one.
  public enum Priority: Int, Sendable {
    /// Work that the coordinator will soon wait for and that frees memory (compressing finished frames).
    case first = 0
    /// The bulk of the work (mapping chunks).
    case normal = 1
  }

  public typealias Work = @Sendable () -> Void

  private struct State {
    var running = 0
    /// Items waiting, one queue per priority.
    var waiting = [FIFO<Work>(), FIFO<Work>()]

    /// The most urgent waiting item, or nil (and one worker fewer is running).
    mutating func take() -> Work? {
      for p in waiting.indices {
        if let work = waiting[p].removeFirst() { return work }
      }
      running -= 1
      return nil
    }
  }

  /// How many items may run at once.
  public let workers: Int
  private let state = Mutex(State())
  private let queue = DispatchQueue(label: "prep.gate", attributes: .concurrent)

  public init(workers: Int) {
    self.workers = max(1, workers)
  }

  /// Runs `work` on a worker now if one is free, else as soon as one is and no more urgent item waits.
  public func run(_ priority: Priority, _ work: @escaping Work) {
    let start = state.withLock { s -> Bool in
      if s.running < workers {
        s.running += 1
        return true
      }
      s.waiting[priority.rawValue].append(work)
      return false
    }
    guard start else { return }
    queue.async {
      var next: Work? = work
      while let item = next {
        item()
        next = self.state.withLock { $0.take() }
      }
    }
  }
}
