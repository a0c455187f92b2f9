/// Everything that can go wrong writing or reading a dataset, with the file and what is wrong.
public enum ShardError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A system call failed: the path, the operation (`open`, `write`, `rename`, ...) and `strerror`.
  case io(path: String, operation: String, message: String)
  /// The output directory already holds a dataset (`index.json` or shard files) and `force` was not given.
  case existingDataset(directory: String, file: String)
  /// A sample cannot be stored: its position in the input order (0-based) and the problem.
  case invalidSample(index: Int, reason: String)
  /// A shard file is damaged or not a shard: the file, the byte offset (if known) and what is wrong.
  case corruptShard(file: String, offset: Int?, reason: String)
  /// `index.json` is missing, unreadable or inconsistent: the file and what is wrong.
  case badIndex(file: String, reason: String)
  /// A sample index beyond the dataset.
  case sampleOutOfRange(index: Int, count: Int)
  /// The writer was used after `finish`, after `abort`, or after an earlier error.
  case writerClosed(directory: String)
  /// A configuration value is out of range: which one and why.
  case badConfiguration(String)
  /// zstd failed to compress a frame (its message).
  case compression(String)
  /// An interrupted run cannot be continued from its checkpoint: the directory and why.
  case cannotResume(directory: String, reason: String)

  /// A one-line message for the user.
  public var description: String {
    switch self {
    case .io(let path, let operation, let message): return "\(path): \(operation) failed: \(message)"
    case .existingDataset(let directory, let file):
      if file == ResumeCheckpoint.fileName {
        return "\(directory) holds an interrupted run (\(file)): --resume continues it, --force starts over"
      }
      if file != DatasetIndex.fileName {
        return "\(directory) holds shards without index.json (\(file)): an interrupted run, not a dataset; "
          + "use --force to start over"
      }
      return "\(directory) already holds a dataset (\(file)); use --force to replace it"
    case .invalidSample(let index, let reason): return "sample \(index): \(reason)"
    case .corruptShard(let file, let offset, let reason):
      if let offset { return "\(file): byte \(offset): \(reason)" }
      return "\(file): \(reason)"
    case .badIndex(let file, let reason): return "\(file): \(reason)"
    case .sampleOutOfRange(let index, let count): return "sample \(index) is out of range (the dataset has \(count))"
    case .writerClosed(let directory): return "\(directory): the shard writer is closed (finished, aborted or failed)"
    case .badConfiguration(let message): return "shard configuration: \(message)"
    case .compression(let message): return "compressing a frame: \(message)"
    case .cannotResume(let directory, let reason):
      return "cannot resume the run in \(directory): \(reason); --force starts over"
    }
  }
}
