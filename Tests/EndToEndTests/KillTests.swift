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
    let process = try prepProcess([
      "run", "monkey", "--set", "input=\(input)", "--set", "output=\(out)", "--set", "output.samples_per_shard=20",
      "--quiet", "--workers", "2",
    ])
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

/// A run to kill and resume: the pipeline, its settings and an input made from a fixture.
struct ResumeCase: Sendable, CustomStringConvertible {
  var pipeline: String
  var settings: [String]
  var fixture: String
  var copies: Int
  /// Put a malformed line after every this many lines (0: none), so that rejects.jsonl is resumed too.
  var badEvery: Int
  var description: String { pipeline }
}

let resumeCases = [
  // Pretraining blocks: a partial block crosses every checkpoint.
  ResumeCase(
    pipeline: "monkey", settings: ["output.samples_per_shard=20"], fixture: "monkey/train.jsonl", copies: 10,
    badEvery: 0),
  // Best-fit SFT packing (open blocks in the checkpoint), a validation split and rejected lines.
  ResumeCase(
    pipeline: "belle-assistant", settings: ["output.samples_per_shard=4", "val_size=0.05"],
    fixture: "belle/train.jsonl", copies: 60, badEvery: 37),
]

/// SIGKILL at random points (before the first checkpoint, just after one, or while a resumed run is itself
/// running), then `--resume` until the run finishes: the dataset is byte-identical to an uninterrupted run's,
/// index.json, validation split and rejects.jsonl included, and nothing temporary is left.
@Test(arguments: resumeCases)
func aKilledRunResumesToTheBytesOfAnUninterruptedRun(_ c: ResumeCase) throws {
  let dir = TestPaths.temporaryDirectory("resume")
  let input = dir + "/input.jsonl"
  let lines = String(decoding: contents(TestPaths.fixture(c.fixture)), as: UTF8.self).split(separator: "\n")
  var text = ""
  var n = 0
  for _ in 0..<c.copies {
    for line in lines {
      text += line + "\n"
      n += 1
      if c.badEvery > 0 && n % c.badEvery == 0 { text += "{\"broken\": \n" }
    }
  }
  try Data(text.utf8).write(to: URL(fileURLWithPath: input))
  let out = dir + "/out"
  var arguments = ["run", c.pipeline, "--set", "input=\(input)", "--set", "output=\(out)"]
  arguments += ["--set", "input.chunk_bytes=4096"]
  for s in c.settings { arguments += ["--set", s] }
  arguments += ["--quiet", "--workers", "2"]

  let reference = try uninterruptedRun(arguments, out: out)
  #expect(reference.keys.contains("index.json"))
  #expect(c.badEvery == 0 || reference.keys.contains("rejects.jsonl"))

  var state: UInt64 = 7
  func random(_ bound: UInt64) -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (state >> 33) % bound
  }
  var resumedRuns = 0
  for attempt in 0..<3 {
    // Kill the first run; on odd attempts kill the first resumed run too.
    var kills = 1 + attempt % 2
    var resume = false
    while true {
      let errPath = dir + "/stderr-\(attempt)-\(kills)-\(resume)"
      let process = try prepProcess(arguments + (resume ? ["--resume"] : []), stderr: errPath)
      try process.run()
      if kills > 0 {
        if random(3) == 0 {
          usleep(UInt32(random(1_500_000)))
        } else {
          // Just after a checkpoint: wait for one to be (re)written, then a little more.
          let checkpoint = out + "/.prep-resume"
          let before = (try? FileManager.default.attributesOfItem(atPath: checkpoint))?[.modificationDate] as? Date
          var waited = 0
          while process.isRunning && waited < 60_000 {
            let now = (try? FileManager.default.attributesOfItem(atPath: checkpoint))?[.modificationDate] as? Date
            if let now, now != before { break }
            usleep(2_000)
            waited += 2
          }
          usleep(UInt32(random(60_000)))
        }
        kill(process.processIdentifier, SIGKILL)
        kills -= 1
      }
      process.waitUntilExit()
      let stderr = String(decoding: contents(errPath), as: UTF8.self)
      if stderr.contains("resuming the interrupted run") { resumedRuns += 1 }
      if process.terminationReason == .exit {
        #expect(process.terminationStatus == 0, "\(stderr)")
        break
      }
      resume = true
    }
    let got = try allFiles(out)
    #expect(Set(got.keys) == Set(reference.keys), "attempt \(attempt): \(got.keys.sorted())")
    for (name, bytes) in reference {
      #expect(got[name] == bytes, "attempt \(attempt): \(name) differs from the uninterrupted run's")
    }
    #expect(try prep(["verify", out]).status == 0)
    try FileManager.default.removeItem(atPath: out)
  }
  #expect(resumedRuns > 0, "no run was resumed from a checkpoint")
}

/// Every file under `dir` (relative path → bytes), hidden ones included.
/// The files of an uninterrupted run of `arguments` into `out`, which is then removed for the run under test.
func uninterruptedRun(_ arguments: [String], out: String) throws -> [String: Data] {
  let run = try prep(arguments)
  #expect(run.status == 0, "\(run.stderr)")
  let files = try allFiles(out)
  try FileManager.default.removeItem(atPath: out)
  return files
}

func allFiles(_ dir: String) throws -> [String: Data] {
  var out: [String: Data] = [:]
  guard let walker = FileManager.default.enumerator(atPath: dir) else { return out }
  while let name = walker.nextObject() as? String {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue {
      out[name] = contents(dir + "/" + name)
    }
  }
  return out
}

/// An interrupted run is not mistaken for a dataset nor silently redone: a plain rerun says `--resume` continues
/// it; `--resume` refuses once the input changed (naming what changed); `--force` starts over.
@Test func resumeIsRefusedWhenTheInputChanged() throws {
  let dir = TestPaths.temporaryDirectory("resume-changed")
  let input = try repeatedMonkeyInput(in: dir)
  let out = dir + "/out"
  let arguments = [
    "run", "monkey", "--set", "input=\(input)", "--set", "output=\(out)", "--set", "input.chunk_bytes=4096",
    "--set", "output.samples_per_shard=20", "--quiet",
  ]
  try killAfterCheckpoint(arguments, in: out)
  try #require(FileManager.default.fileExists(atPath: out + "/.prep-resume"))

  let plain = try prep(arguments)
  #expect(plain.status != 0)
  #expect(plain.stderr.contains("--resume continues it"), "\(plain.stderr)")
  // The commands that read datasets say what the directory is and how to finish it.
  for command in ["stats", "verify", "export", "inspect"] {
    let read = try prep([command, out])
    #expect(read.status != 0)
    #expect(read.stderr.contains("interrupted run"), "\(command): \(read.stderr)")
    #expect(read.stderr.contains("prep run pipelines/monkey.pipeline --resume"), "\(command): \(read.stderr)")
  }

  let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
  try handle.seekToEnd()
  try handle.write(contentsOf: Data("{\"text\": \"one more document\"}\n".utf8))
  try handle.close()
  let resumed = try prep(arguments + ["--resume"])
  #expect(resumed.status != 0)
  #expect(resumed.stderr.contains("the input files changed since the interrupted run"), "\(resumed.stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))

  let forced = try prep(arguments + ["--force"])
  #expect(forced.status == 0, "\(forced.stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/.prep-resume"))
  #expect(try prep(["verify", out]).status == 0)
}

/// An input file that vanishes mid-run (as a full disk or a lost mount would stop a run) fails the run but keeps
/// what was done: the message says how to continue, and once the file is back `--resume` finishes the dataset
/// byte-identical to an uninterrupted run.
@Test func anInputFailureKeepsTheWorkForResume() throws {
  let dir = TestPaths.temporaryDirectory("resume-io")
  let fixture = contents(TestPaths.fixture("monkey/train.jsonl"))
  var first = Data()
  for _ in 0..<20 { first += fixture }
  try first.write(to: URL(fileURLWithPath: dir + "/a.jsonl"))
  try fixture.write(to: URL(fileURLWithPath: dir + "/b.jsonl"))
  let out = dir + "/out"
  let arguments = [
    "run", "monkey", "--set", "input=\(dir)/*.jsonl", "--set", "output=\(out)", "--set", "input.chunk_bytes=4096",
    "--set", "output.samples_per_shard=20", "--quiet", "--workers", "2",
  ]
  let reference = try uninterruptedRun(arguments, out: out)

  let errPath = dir + "/stderr"
  let process = try prepProcess(arguments, stderr: errPath)
  try process.run()
  waitForCheckpoint(process, in: out)
  // The second file goes away while the first is being read (a rename keeps its modification time).
  try FileManager.default.moveItem(atPath: dir + "/b.jsonl", toPath: dir + "/b.away")
  process.waitUntilExit()
  let stderr = String(decoding: contents(errPath), as: UTF8.self)
  try #require(process.terminationStatus != 0, "the run finished before the file was moved")
  #expect(stderr.contains("b.jsonl"), "\(stderr)")
  #expect(stderr.contains("continue with --resume"), "\(stderr)")
  #expect(!FileManager.default.fileExists(atPath: out + "/index.json"))
  #expect(FileManager.default.fileExists(atPath: out + "/.prep-resume"))

  try FileManager.default.moveItem(atPath: dir + "/b.away", toPath: dir + "/b.jsonl")
  let resumed = try prep(arguments + ["--resume"])
  #expect(resumed.status == 0, "\(resumed.stderr)")
  #expect(resumed.stderr.contains("resuming the interrupted run"))
  let got = try allFiles(out)
  #expect(Set(got.keys) == Set(reference.keys))
  for (name, bytes) in reference { #expect(got[name] == bytes, "\(name) differs from the uninterrupted run's") }
}

/// `dir/input.jsonl`: the monkey fixture 20 times, enough records for several checkpoints with small chunks and
/// shards.
func repeatedMonkeyInput(in dir: String) throws -> String {
  let input = dir + "/input.jsonl"
  var bytes = Data()
  let fixture = contents(TestPaths.fixture("monkey/train.jsonl"))
  for _ in 0..<20 { bytes += fixture }
  try bytes.write(to: URL(fileURLWithPath: input))
  return input
}

/// Runs `prep arguments` and kills it (SIGKILL) once it has written its first checkpoint in `out`; requires that
/// it was killed unfinished (no index.json).
func killAfterCheckpoint(_ arguments: [String], in out: String) throws {
  let process = try prepProcess(arguments)
  try process.run()
  waitForCheckpoint(process, in: out)
  kill(process.processIdentifier, SIGKILL)
  process.waitUntilExit()
  try #require(!FileManager.default.fileExists(atPath: out + "/index.json"), "the run finished before the kill")
}

/// Waits (up to a minute) until `process` has written its first checkpoint in `out`, or has ended.
func waitForCheckpoint(_ process: Process, in out: String) {
  var waited = 0
  while process.isRunning && !FileManager.default.fileExists(atPath: out + "/.prep-resume") && waited < 60_000 {
    usleep(1_000)
    waited += 1
  }
}

/// A write that fails after a checkpoint (a full disk; here a file-size limit, `ulimit -f`, which prep turns from
/// SIGXFSZ into a write error) keeps the finished shards and the checkpoint: `--resume` then finishes the run
/// byte for byte as an uninterrupted one, validation part included. (The writer used to delete its finished
/// shards on any write error, so the resume that the error message offered always failed.)
@Test func aWriteErrorAfterACheckpointResumesToTheBytesOfAnUninterruptedRun() throws {
  let dir = TestPaths.temporaryDirectory("write-error")
  let input = dir + "/input.jsonl"
  var text = ""
  let lines = String(decoding: contents(TestPaths.fixture("alpaca/train.jsonl")), as: UTF8.self).split(separator: "\n")
  for line in lines { text += line + "\n" }
  // Then answers far longer than anything before: their shard is the first file to pass the size limit (one
  // sample a shard, so that the checkpoint holds no samples waiting for a frame and stays small).
  var state: UInt64 = 11
  for _ in 0..<3 {
    var answer = ""
    for _ in 0..<48_000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789 ")
      answer.append(letters[Int((state >> 33) % UInt64(letters.count))])
    }
    text += #"{"instruction": "long", "input": "", "output": ""# + answer + "\"}\n"
  }
  try Data(text.utf8).write(to: URL(fileURLWithPath: input))
  let out = dir + "/out"
  let arguments = [
    "run", "alpaca", "--set", "input=\(input)", "--set", "output=\(out)", "--set", "recipe.cutoff_len=100000",
    "--set", "output.samples_per_shard=1", "--set", "input.chunk_bytes=4096", "--quiet",
  ]
  let reference = try uninterruptedRun(arguments, out: out)
  #expect(reference.keys.contains("validation/index.json"))

  // Files of at most 40 blocks of 512 bytes: the short shards fit, the long answers' shard does not.
  let errPath = dir + "/stderr"
  let limited = try prepProcess([], stderr: errPath)
  limited.executableURL = URL(fileURLWithPath: "/bin/sh")
  limited.arguments = ["-c", #"ulimit -f 40 && exec "$0" "$@""#, TestPaths.binary] + arguments
  try limited.run()
  limited.waitUntilExit()
  let stderr = String(decoding: contents(errPath), as: UTF8.self)
  #expect(limited.terminationReason == .exit && limited.terminationStatus == 1, "\(stderr)")
  #expect(stderr.contains("File too large") && stderr.contains("continue with --resume"), "\(stderr)")
  let left = try FileManager.default.contentsOfDirectory(atPath: out)
  #expect(left.contains("shard-00000.bin"), "\(left)")
  #expect(left.contains(".prep-resume"))
  #expect(!left.contains("index.json"))

  let resumed = try prep(arguments + ["--resume"])
  #expect(resumed.status == 0, "\(resumed.stderr)")
  #expect(try allFiles(out) == reference)
}
