import PrepCore

/// One problem `DatasetVerifier` found: the file and what is wrong with it.
public struct ShardFault: Sendable, Equatable, CustomStringConvertible {
  /// The file (index.json or a shard), as a path.
  public var file: String
  /// What is wrong.
  public var message: String

  /// Creates a fault.
  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  /// `file: message`.
  public var description: String { "\(file): \(message)" }
}

/// `prep verify`: checks a dataset directory completely.
public enum DatasetVerifier {
  /// Checks, and returns every fault found (empty when the dataset is sound):
  /// - index.json: its self-checksum, that it parses, format name / version / label convention,
  ///   the tokenizer fingerprint and vocabulary size (when given), totals = sum of shard entries,
  ///   shard file names safe and unique;
  /// - every shard listed: exists, has the recorded size and SHA-256, header / footer / frame table
  ///   consistent, every frame decompresses (zstd checksum) to a well-formed payload, every id below
  ///   the vocabulary size, masks and boundaries well-formed, counts equal to the index's;
  /// - no shard or temporary file in the directory that the index does not list.
  ///
  /// `vocabularySize` defaults to the index's. At most `maxFaultsPerFile` faults are reported per file.
  public static func verify(
    directory: String, vocabularySize: Int? = nil, tokenizerFingerprint: String? = nil, maxFaultsPerFile: Int = 20
  ) -> [ShardFault] {
    var faults = [ShardFault]()
    let indexPath = directory + "/" + DatasetIndex.fileName
    let index: DatasetIndex
    do {
      index = try DatasetIndex.read(directory: directory)
    } catch {
      return [ShardFault(file: indexPath, message: reason(error))]
    }
    func fault(_ file: String, _ message: String) { faults.append(ShardFault(file: file, message: message)) }
    if index.format != ShardFormat.name || index.formatVersion != ShardFormat.version {
      fault(
        indexPath,
        "format \(index.format) version \(index.formatVersion), expected \(ShardFormat.name) \(ShardFormat.version)")
    }
    if index.labelConvention != ShardFormat.labelConvention {
      fault(indexPath, "label convention \(index.labelConvention), expected \(ShardFormat.labelConvention)")
    }
    if let fp = tokenizerFingerprint, fp != index.tokenizerFingerprint {
      fault(indexPath, "tokenizer fingerprint \(index.tokenizerFingerprint) does not match the tokenizer's \(fp)")
    }
    if let v = vocabularySize, v != index.vocabularySize {
      fault(indexPath, "vocabulary size \(index.vocabularySize) does not match the tokenizer's \(v)")
    }
    let vocab = vocabularySize ?? index.vocabularySize
    var totals = ShardCounts()
    for s in index.shards { totals.add(s.counts) }
    if totals != index.totals { fault(indexPath, "totals \(index.totals) differ from the sum over shards \(totals)") }

    var listed = Set<String>()
    var globalSample = 0
    for entry in index.shards {
      let path = directory + "/" + entry.file
      guard isSafeFileName(entry.file), !listed.contains(entry.file) else {
        fault(indexPath, "shard file name \(entry.file) is unsafe or listed twice")
        continue
      }
      listed.insert(entry.file)
      var shardFaults = [String]()
      verifyShard(path: path, entry: entry, vocab: vocab, firstSample: globalSample, limit: maxFaultsPerFile) {
        shardFaults.append($0)
      }
      for m in shardFaults.prefix(maxFaultsPerFile) { fault(path, m) }
      if shardFaults.count > maxFaultsPerFile { fault(path, "\(shardFaults.count - maxFaultsPerFile) more faults") }
      globalSample += entry.counts.samples
    }
    if let names = try? Platform.listDirectory(directory) {
      for name in names
      where ShardWriter.isDatasetFile(name) && name != DatasetIndex.fileName && !listed.contains(name) {
        fault(directory + "/" + name, "shard or temporary file not listed in index.json")
      }
    }
    return faults
  }

  private static func verifyShard(
    path: String, entry: ShardEntry, vocab: Int, firstSample: Int, limit: Int, _ fault: (String) -> Void
  ) {
    guard Platform.exists(path) else { return fault("missing (listed in index.json)") }
    do {
      let digest = try sha256(ofFile: path)
      if digest != entry.sha256 { fault("SHA-256 is \(digest), index.json says \(entry.sha256)") }
    } catch {
      return fault(reason(error))
    }
    let reader: ShardReader
    do {
      reader = try ShardReader(path: path)
    } catch {
      return fault(reason(error))
    }
    if reader.fileSize != entry.bytes { fault("\(reader.fileSize) bytes, index.json says \(entry.bytes)") }
    if reader.frames.count != entry.frames { fault("\(reader.frames.count) frames, index.json says \(entry.frames)") }
    var counts = ShardCounts()
    var faults = 0
    var complete = true
    for f in 0..<reader.frames.count {
      let frame: DecodedFrame
      do {
        frame = try reader.decodeFrame(f)
      } catch {
        fault(reason(error))
        faults += 1
        complete = false
        if faults > limit { return }
        continue
      }
      for j in 0..<frame.count {
        let global = firstSample + reader.frames[f].firstSample + j
        let sample: Sample
        do {
          sample = try frame.sample(j)
        } catch {
          fault("sample \(global) (frame \(f)): \(error.message)")
          faults += 1
          complete = false
          if faults > limit { return }
          continue
        }
        if let bad = sample.ids.firstIndex(where: { Int($0) >= vocab }) {
          fault("sample \(global): id \(sample.ids[bad]) at position \(bad) is not below the vocabulary size \(vocab)")
          faults += 1
          if faults > limit { return }
        }
        counts.add(
          ShardCounts(
            samples: 1, tokens: sample.count, trainedTokens: sample.trainedCount,
            documents: sample.boundaries.count - 1))
      }
    }
    if complete && counts != entry.counts {
      fault("holds \(counts), index.json says \(entry.counts)")
    }
  }

  /// A shard file name must be a plain name inside the directory.
  static func isSafeFileName(_ name: String) -> Bool {
    !name.isEmpty && !name.contains("/") && name != "." && name != ".." && !name.utf8.contains(0)
  }

  /// The SHA-256 of a file, read in 4 MiB pieces.
  static func sha256(ofFile path: String) throws(ShardError) -> String {
    let fd = try Platform.openForReading(path)
    defer { _ = try? Platform.closeFile(fd, path: path) }
    let size = try Platform.size(fd, path: path)
    var hash = SHA256()
    var offset = 0
    while offset < size {
      let n = min(4 << 20, size - offset)
      hash.update(try Platform.readExactly(fd, offset: offset, count: n, path: path))
      offset += n
    }
    return hash.finalize().hexString
  }

  private static func reason(_ error: ShardError) -> String {
    switch error {
    case .corruptShard(_, let offset?, let reason): return "byte \(offset): \(reason)"
    case .corruptShard(_, nil, let reason), .badIndex(_, let reason): return reason
    // The fault already names the file.
    case .io(_, let operation, let message): return "\(operation) failed: \(message)"
    default: return error.description
    }
  }
}

extension ShardCounts: CustomStringConvertible {
  /// `N samples, N tokens, N trained, N documents`.
  public var description: String {
    "\(samples) samples, \(tokens) tokens, \(trainedTokens) trained, \(documents) documents"
  }
}
