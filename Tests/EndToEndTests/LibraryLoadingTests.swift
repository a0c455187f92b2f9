import Foundation
import PrepTestSupport
import Testing

/// The shared libraries the dynamic loader reported opening while `prep` ran `arguments` (glibc's
/// `LD_DEBUG=files` trace on stderr), and the exit status.
private func librariesOpened(_ arguments: [String]) throws -> (status: Int32, trace: String) {
  let errPath = TestPaths.temporaryDirectory("ld-debug") + "/stderr.txt"
  let process = try prepProcess(arguments, stderr: errPath)
  var env = process.environment ?? [:]
  env["LD_DEBUG"] = "files"
  process.environment = env
  try process.run()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: contents(errPath), as: UTF8.self))
}

/// OpenBLAS starts a spinning thread pool when it is loaded: only `prep train` may load it.
@Test func onlyTrainingLoadsOpenBLAS() throws {
  let dir = TestPaths.temporaryDirectory("blas-load")
  let run = try librariesOpened([
    "run", "pipelines/fudan.pipeline", "--set", "output.dir=\(dir)/data", "--quiet",
  ])
  #expect(run.status == 0)
  #expect(run.trace.contains("libzstd"), "the trace should list the libraries prep links")
  #expect(!run.trace.contains("libopenblas"), "prep run loaded OpenBLAS")

  let tokenize = try librariesOpened(["tokenize", "hello world"])
  #expect(tokenize.status == 0)
  #expect(!tokenize.trace.contains("libopenblas"), "prep tokenize loaded OpenBLAS")

  let train = try librariesOpened(["train", "\(dir)/data", "--steps", "1"])
  #expect(train.status == 0)
  #expect(train.trace.contains("libopenblas"), "prep train did not load OpenBLAS")
}
