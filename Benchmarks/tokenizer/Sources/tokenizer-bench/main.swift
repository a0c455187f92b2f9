// tokenizer-bench FILE [--threads N] [--field text] [--tokenizer DIR] [--runs K] [--warm] [--dump-ids OUT]
//
// Reads the string field of every JSONL line first (untimed), loads the tokenizer (timed separately),
// then times `encode` over all texts and prints MB/s of UTF-8 text and tokens/s (best of K runs), and
// the same MB/s from each thread's CPU time ("cpu ... MB/s/thread"), which other processes on a shared
// machine disturb less than the wall clock. Every run is a first pass: it encodes with a freshly loaded
// tokenizer (loading untimed), so no run starts with caches a previous run filled. --warm instead keeps
// one tokenizer and times the runs after an untimed first pass (pre-token caches already filled), for
// comparison with the peers' --warm figures.
// With --dump-ids, writes one line of space-separated ids per text instead (for the conformance check).
import Dispatch
import Foundation
import PrepTokenizer

struct Options {
  var file = ""
  var threads = 1
  var field = "text"
  var tokenizer = ProcessInfo.processInfo.environment["PREP_TOKENIZER"] ?? ".cache/tokenizer/qwen3"
  var runs = 3
  var dumpIDs: String? = nil
  var warm = false
}

func parseOptions() -> Options {
  var options = Options()
  var args = CommandLine.arguments.dropFirst().makeIterator()
  while let arg = args.next() {
    switch arg {
    case "--threads": options.threads = Int(args.next() ?? "") ?? 1
    case "--field": options.field = args.next() ?? "text"
    case "--tokenizer": options.tokenizer = args.next() ?? options.tokenizer
    case "--runs": options.runs = Int(args.next() ?? "") ?? 3
    case "--dump-ids": options.dumpIDs = args.next()
    case "--warm": options.warm = true
    default: options.file = arg
    }
  }
  if options.file.isEmpty {
    FileHandle.standardError.write(Data("usage: tokenizer-bench FILE [--threads N] [--field text]\n".utf8))
    exit(2)
  }
  return options
}

/// The string value of `"field":` in one JSONL line (a benchmark helper, not a JSON parser).
func extractField(_ line: ArraySlice<UInt8>, key: [UInt8]) -> String? {
  var i = line.startIndex
  let end = line.endIndex
  while i + key.count < end {
    if line[i] == 0x22 && Array(line[(i + 1)..<(i + 1 + key.count)]) == key && line[i + 1 + key.count] == 0x22 {
      var j = i + key.count + 2
      while j < end && (line[j] == 0x20 || line[j] == 0x3A) { j += 1 }
      guard j < end, line[j] == 0x22 else { return nil }
      j += 1
      var out = [UInt8]()
      while j < end {
        let b = line[j]
        if b == 0x22 { return String(decoding: out, as: UTF8.self) }
        if b != 0x5C {
          out.append(b)
          j += 1
          continue
        }
        let e = line[j + 1]
        j += 2
        switch e {
        case 0x6E: out.append(0x0A)
        case 0x72: out.append(0x0D)
        case 0x74: out.append(0x09)
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x75:
          func hex4(_ at: Int) -> UInt32 { UInt32(String(decoding: line[at..<(at + 4)], as: UTF8.self), radix: 16) ?? 0xFFFD }
          var scalar = hex4(j)
          j += 4
          if scalar >= 0xD800 && scalar < 0xDC00 && j + 6 <= end && line[j] == 0x5C && line[j + 1] == 0x75 {
            let low = hex4(j + 2)
            if low >= 0xDC00 && low < 0xE000 {
              scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
              j += 6
            }
          }
          let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
          out.append(contentsOf: Array(String(Character(s)).utf8))
        default: out.append(e)
        }
      }
      return nil
    }
    i += 1
  }
  return nil
}

final class Counter: @unchecked Sendable {
  var tokens = [Int]()
  var cpu = [Double]()
  init(_ n: Int) {
    tokens = Array(repeating: 0, count: n)
    cpu = Array(repeating: 0, count: n)
  }
}

/// Seconds of CPU time the calling thread has used (clock_gettime with CLOCK_THREAD_CPUTIME_ID).
func threadCPU() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let options = parseOptions()
guard let data = FileManager.default.contents(atPath: options.file) else {
  print("cannot read \(options.file)")
  exit(1)
}
let bytes = [UInt8](data)
let key = Array(options.field.utf8)
var parsed = [String]()
var lineStart = 0
while lineStart < bytes.count {
  var lineEnd = lineStart
  while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
  if lineEnd > lineStart, let text = extractField(bytes[lineStart..<lineEnd], key: key) { parsed.append(text) }
  lineStart = lineEnd + 1
}
let texts = parsed
let textBytes = texts.reduce(0) { $0 + $1.utf8.count }

let loadStart = ContinuousClock.now
let firstTokenizer: Tokenizer
do {
  firstTokenizer = try Tokenizer.load(directory: options.tokenizer)
} catch {
  print("\(error)")
  exit(1)
}
let loadTime = ContinuousClock.now - loadStart

if let dump = options.dumpIDs {
  var out = [UInt8]()
  var ids = [UInt32]()
  for text in texts {
    ids.removeAll(keepingCapacity: true)
    firstTokenizer.encode(text, into: &ids)
    out.append(contentsOf: ids.map(String.init).joined(separator: " ").utf8)
    out.append(0x0A)
  }
  _ = FileManager.default.createFile(atPath: dump, contents: Data(out))
  print("wrote ids of \(texts.count) texts to \(dump)")
  exit(0)
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

print("file \(options.file): \(texts.count) texts, \(String(format: "%.1f", Double(textBytes) / 1e6)) MB of UTF-8")
print("load \(options.tokenizer): \(String(format: "%.0f", seconds(loadTime) * 1000)) ms")
let threads = max(1, options.threads)
let share = (texts.count + threads - 1) / threads
var best = Double.infinity
var bestCPU = Double.infinity
var tokenCount = 0
// With --warm, run 0 only fills the caches (untimed).
let untimedRuns = options.warm ? 1 : 0
for run in 0..<(options.runs + untimedRuns) {
  // A fresh tokenizer (empty pre-token caches) for every run after the first, unless --warm.
  let tokenizer: Tokenizer
  if run == 0 || options.warm {
    tokenizer = firstTokenizer
  } else {
    do { tokenizer = try Tokenizer.load(directory: options.tokenizer) } catch {
      print("\(error)")
      exit(1)
    }
  }
  let counter = Counter(threads)
  let start = ContinuousClock.now
  DispatchQueue.concurrentPerform(iterations: threads) { worker in
    var ids = [UInt32]()
    var count = 0
    let cpuStart = threadCPU()
    let lower = worker * share
    let upper = min(texts.count, lower + share)
    if lower < upper {
      for index in lower..<upper {
        ids.removeAll(keepingCapacity: true)
        tokenizer.encode(texts[index], into: &ids)
        count += ids.count
      }
    }
    counter.tokens[worker] = count
    counter.cpu[worker] = threadCPU() - cpuStart
  }
  let elapsed = seconds(ContinuousClock.now - start)
  if run < untimedRuns { continue }
  best = min(best, elapsed)
  bestCPU = min(bestCPU, counter.cpu.max() ?? 0)
  tokenCount = counter.tokens.reduce(0, +)
}
print(
  "prep threads=\(threads): \(String(format: "%.1f", Double(textBytes) / best / 1e6)) MB/s, "
    + "cpu \(String(format: "%.1f", Double(textBytes) / Double(threads) / bestCPU / 1e6)) MB/s/thread, "
    + "\(String(format: "%.2f", Double(tokenCount) / best / 1e6)) M tokens/s, \(tokenCount) tokens, "
    + "best of \(options.runs): \(String(format: "%.3f", best)) s")
