#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Slice `index` of `count` of a run's input (`prep run --partition I/N`), so that N tasks of a batch
/// scheduler (a Slurm job array, a Kubernetes indexed job) each read a part and `prep merge` joins them.
///
/// The input files, in reading order, are seen as one run of bytes of their on-disk sizes; slice `index`
/// owns the byte range `[total * index / count, total * (index + 1) / count)`. A record belongs to the slice
/// that owns its first byte, so every record is read by exactly one task, and the slices, in order, read the
/// records in input order:
/// - a JSON-lines file without compression is cut between lines (a line starts at the file's first byte or
///   after a `\n`); a task whose range starts inside such a file counts the newlines before its first line
///   (one read of that part of the file, no parsing), so that messages name the right line;
/// - any other file (compressed, a JSON array, XML) cannot be entered in the middle and is read whole by the
///   task that owns its first byte.
public struct InputPartition: Sendable, Equatable, CustomStringConvertible {
  /// This slice, from 0.
  public let index: Int
  /// How many slices.
  public let count: Int

  /// Slice `index` of `count`; nil unless `0 <= index < count`.
  public init?(index: Int, count: Int) {
    guard count >= 1, index >= 0, index < count else { return nil }
    self.index = index
    self.count = count
  }

  /// Parses `I/N` (`3/8`: slice 3 of slices 0 to 7).
  public init?(parsing text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
    self.init(index: i, count: n)
  }

  /// `I/N`.
  public var description: String { "\(index)/\(count)" }

  /// The directory of this slice's dataset inside the run's output directory: `part-00003-of-00008`.
  public var directoryName: String { Self.directoryName(index: index, count: count) }

  /// `part-IIIII-of-NNNNN` (at least five digits each).
  public static func directoryName(index: Int, count: Int) -> String {
    "part-\(padded(index))-of-\(padded(count))"
  }

  /// The slice a directory name `part-I-of-N` stands for, if it is one.
  public static func parse(directoryName name: String) -> InputPartition? {
    guard name.hasPrefix("part-") else { return nil }
    let parts = name.dropFirst(5).split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[1] == "of", let i = Int(parts[0]), let n = Int(parts[2]),
      directoryName(index: i, count: n) == name
    else { return nil }
    return InputPartition(index: i, count: n)
  }

  private static func padded(_ n: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
  }

  /// The first byte of slice `slice` of `total` bytes (`total * slice / count`, without overflow).
  func boundary(_ slice: Int, total: Int) -> Int {
    if slice >= count { return Int.max }
    let product = total.multipliedFullWidth(by: slice)
    return count.dividingFullWidth((product.high, product.low)).quotient
  }

  /// The byte range this slice owns in a run of `total` bytes (the last slice's end is open).
  func range(total: Int) -> (lower: Int, upper: Int) {
    (boundary(index, total: total), boundary(index + 1, total: total))
  }
}

/// What one task reads of one input file.
struct FileSlice: Equatable {
  /// Index into the run's file list.
  var file: Int
  /// Lines that start before this file offset belong to an earlier slice (0: the file is read from its start).
  var from: Int
  /// Lines that start at or after this file offset belong to a later slice (`Int.max`: none).
  var limit: Int
  /// The file's bytes this slice owns, for progress.
  var ownedBytes: Int
}

/// A line start inside a file: its byte offset and 1-based line number.
struct LineStart: Equatable {
  var offset: Int
  var line: Int
}

extension InputPartition {
  /// The files (and parts of files) this slice reads, in order. `sizes` are the on-disk sizes of the run's
  /// files; `splittable` says whether file `i` can be cut between lines (asked only for files that straddle
  /// this slice's range).
  func plan(sizes: [Int], splittable: (Int) throws(InputError) -> Bool) throws(InputError) -> [FileSlice] {
    let total = sizes.reduce(0, +)
    let (lower, upper) = range(total: total)
    var out: [FileSlice] = []
    var fileStart = 0
    for (i, size) in sizes.enumerated() {
      defer { fileStart += size }
      let fileEnd = fileStart + size
      let ownsStart = fileStart >= lower && fileStart < upper
      // Whole inside the range, or outside it: no need to know how the file is laid out.
      if ownsStart && fileEnd <= upper {
        out.append(FileSlice(file: i, from: 0, limit: Int.max, ownedBytes: size))
        continue
      }
      let overlaps = fileStart < upper && fileEnd > lower
      guard overlaps else { continue }
      if try !splittable(i) {
        if ownsStart { out.append(FileSlice(file: i, from: 0, limit: Int.max, ownedBytes: size)) }
        continue
      }
      let from = max(lower, fileStart) - fileStart
      let to = upper == Int.max ? Int.max : min(upper, fileEnd) - fileStart
      out.append(FileSlice(file: i, from: from, limit: to, ownedBytes: min(to, size) - from))
    }
    return out
  }
}
