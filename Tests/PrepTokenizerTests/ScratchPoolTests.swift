import Dispatch
import PrepTestSupport
import Synchronization
import Testing

@testable import PrepTokenizer

/// `Tokenizer.withScratch` hands a thread back the scratch it used last, so that a scratch's first cache
/// levels stay in one core's L2.
struct ScratchPoolTests {
  /// Two threads each hold a scratch at the same time and give them back, A's first; then A borrows again
  /// and must get its own (a pool taken last in, first out would hand it B's).
  @Test func aThreadGetsItsOwnScratchBack() throws {
    let tokenizer = try Tokenizer.load(directory: TestPaths.tokenizer)
    let held = DispatchSemaphore(value: 0)
    let release = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    let returned = DispatchSemaphore(value: 0)
    let again = DispatchSemaphore(value: 0)
    let ids = Mutex<[Int: [ObjectIdentifier]]>([:])
    let threads = DispatchGroup()
    for worker in 0..<2 {
      threads.enter()
      DispatchQueue.global().async {
        tokenizer.withScratch { scratch in
          ids.withLock { $0[worker, default: []].append(ObjectIdentifier(scratch)) }
          held.signal()
          release[worker].wait()
        }
        returned.signal()
        if worker == 0 {
          again.wait()
          tokenizer.withScratch { scratch in ids.withLock { $0[0]!.append(ObjectIdentifier(scratch)) } }
        }
        threads.leave()
      }
    }
    held.wait()
    held.wait()
    for worker in 0..<2 {
      release[worker].signal()
      returned.wait()
    }
    again.signal()
    threads.wait()
    let seen = ids.withLock { $0 }
    let a = try #require(seen[0])
    let b = try #require(seen[1])
    #expect(a.count == 2 && a[0] != b[0])
    #expect(a[0] == a[1], "thread A was lent another scratch")
  }
}
