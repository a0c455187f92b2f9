import Foundation
import PrepTestSupport

/// What a run of the `prep` binary printed and how it ended.
struct Outcome {
  var status: Int32
  var stdout: Data
  var stderr: String
  var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// One compiled-tokenizer cache for every `prep` process of the test run (never the user's own).
let tokenizerCache = TestPaths.temporaryDirectory("tokenizer-cache")

/// A `prep` process (the built binary, run from the repository root with the test tokenizer), not yet started;
/// stdout and stderr go nowhere unless `stderr` names a file for it.
func prepProcess(_ arguments: [String], stderr: String? = nil) throws -> Process {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: TestPaths.binary)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: TestPaths.root)
  var env = ProcessInfo.processInfo.environment
  env["PREP_TOKENIZER"] = TestPaths.tokenizer
  env["PREP_TOKENIZER_CACHE"] = tokenizerCache
  process.environment = env
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  if let stderr {
    _ = FileManager.default.createFile(atPath: stderr, contents: nil)
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
  }
  return process
}

/// Runs the built `prep` with `arguments` from the repository root (standard input from the file `input`, if
/// given; `environment` added to the test's own).
func prep(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Outcome {
  let process = try prepProcess(arguments)
  if let input { process.standardInput = FileHandle(forReadingAtPath: input) }
  for (key, value) in environment { process.environment?[key] = value }
  let out = Pipe()
  // stderr goes to a file, so that reading stdout to the end can never block on a full stderr pipe.
  let errPath = TestPaths.temporaryDirectory("stderr") + "/stderr.txt"
  FileManager.default.createFile(atPath: errPath, contents: nil)
  let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  try err.close()
  let stderr = contents(errPath)
  return Outcome(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
}

/// The bytes of a file.
func contents(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

/// Files of a dataset directory that hold data (shards and index), with their bytes.
func datasetFiles(_ dir: String) throws -> [String: Data] {
  var out: [String: Data] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix("shard-") {
    out[name] = contents(dir + "/" + name)
  }
  return out
}

/// A JSON object file parsed with Foundation (tests only).
func jsonObject(_ path: String) throws -> [String: Any] {
  try JSONSerialization.jsonObject(with: contents(path)) as? [String: Any] ?? [:]
}
