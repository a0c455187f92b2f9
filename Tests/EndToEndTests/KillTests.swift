import Foundation
import PrepTestSupport
import Testing

/// SIGKILL at random points of a run: the directory never looks complete. Either there is no index.json (and a
/// rerun without --force refuses to mistake the leftovers for a dataset), or the run had finished and the dataset
/// verifies.
@Test func aKilledRunNeverLeavesSomethingThatLooksComplete() throws {
  let dir = TestPaths.temporaryDirectory("kill")
  let input = dir + "/big.jsonl"
  var bytes = Data()
  let fixture = contents(TestPaths.fixture("monkey/train.jsonl"))
  for _ in 0..<12 { bytes += fixture }
  try bytes.write(to: URL(fileURLWithPath: input))
  var state: UInt64 = 42
  var killedEarly = 0
  for attempt in 0..<6 {
    let out = dir + "/out\(attempt)"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestPaths.binary)
    process.arguments = [
      "run", "monkey", "--set", "input=\(input)", "--set", "output=\(out)", "--set", "output.samples_per_shard=20",
      "--quiet", "--workers", "2",
    ]
    process.currentDirectoryURL = URL(fileURLWithPath: TestPaths.root)
    var env = ProcessInfo.processInfo.environment
    env["PREP_TOKENIZER"] = TestPaths.tokenizer
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    usleep(UInt32(100_000 + (state >> 33) % 900_000))
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let hasIndex = FileManager.default.fileExists(atPath: out + "/index.json")
    if hasIndex {
      #expect(try prep(["verify", out]).status == 0, "a finished run's dataset must verify")
    } else {
      killedEarly += 1
      let names = (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
      #expect(!names.contains { $0.hasSuffix(".json") && !$0.hasPrefix(".") }, "\(names)")
      // The leftovers are not taken for a dataset: export refuses, and a rerun needs --force.
      #expect(try prep(["export", out]).status != 0)
      if !names.filter({ $0.hasPrefix("shard-") }).isEmpty {
        let again = try prep(["run", "monkey", "--set", "input=\(input)", "--set", "output=\(out)", "--quiet"])
        #expect(again.status != 0)
        #expect(again.stderr.contains("--force"))
      }
    }
  }
  #expect(killedEarly > 0, "no run was killed before it finished: make the input bigger")
}
